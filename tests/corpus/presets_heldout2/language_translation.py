# Declarations from https://github.com/pytorch/examples/blob/main/language_translation/main.py
# presets: argparse pytorch
from argparse import ArgumentParser

import torch


def build(opts, model_cls):
    model = model_cls(num_encoder_layers=opts.enc_layers, num_decoder_layers=opts.dec_layers,
                      embed_size=opts.embed_size, num_heads=opts.attn_heads,
                      dim_feedforward=opts.dim_feedforward, dropout=opts.dropout)
    optim = torch.optim.Adam(model.parameters(), lr=opts.lr, betas=(0.9, 0.98), eps=1e-9)
    return model, optim


if __name__ == "__main__":
    parser = ArgumentParser(prog="Machine Translator training and inference")
    parser.add_argument("--inference", action="store_true", help="Set true to run inference")
    parser.add_argument("--model_path", type=str, help="Path to the model to run inference on")
    parser.add_argument("--src", type=str, default="de",
                        help="Source language (translating FROM this language)")
    parser.add_argument("--tgt", type=str, default="en",
                        help="Target language (translating TO this language)")
    parser.add_argument("-e", "--epochs", type=int, default=30, help="Epochs")
    parser.add_argument("--lr", type=float, default=1e-4, help="Default learning rate")  # label: config
    parser.add_argument("--batch", type=int, default=128, help="Batch size")  # label: config
    parser.add_argument("--backend", type=str, default="cpu", help="Batch size")
    parser.add_argument("--attn_heads", type=int, default=8, help="Number of attention heads")  # label: config
    parser.add_argument("--enc_layers", type=int, default=5, help="Number of encoder layers")  # label: config
    parser.add_argument("--dec_layers", type=int, default=5, help="Number of decoder layers")  # label: config
    parser.add_argument("--embed_size", type=int, default=512,
                        help="Size of the language embedding")  # label: config
    parser.add_argument("--dim_feedforward", type=int, default=512,
                        help="Feedforward dimensionality")  # label: config
    parser.add_argument("--dropout", type=float, default=0.1, help="Transformer dropout")  # label: config
    parser.add_argument("--logging_dir", type=str, default="./logs/",
                        help="Where the output of this program should be placed")
    parser.add_argument("--dry_run", action="store_true")
    args = parser.parse_args()
