# Declarations from https://github.com/pytorch/examples/blob/main/word_language_model/main.py
# presets: argparse pytorch
import argparse
import math

import torch
import torch.nn as nn

parser = argparse.ArgumentParser(description="an RNN/LSTM/Transformer language model")
parser.add_argument("--data", type=str, default="./data/wikitext-2",
                    help="location of the data corpus")
parser.add_argument("--model", type=str, default="LSTM",
                    help="type of network (RNN_TANH, RNN_RELU, LSTM, GRU, Transformer)")
parser.add_argument("--emsize", type=int, default=200,
                    help="size of word embeddings")  # label: config
parser.add_argument("--nhid", type=int, default=200,
                    help="number of hidden units per layer")  # label: config
parser.add_argument("--nlayers", type=int, default=2,
                    help="number of layers")  # label: config
parser.add_argument("--lr", type=float, default=20,
                    help="initial learning rate")  # label: config
parser.add_argument("--clip", type=float, default=0.25,
                    help="gradient clipping")  # label: config
parser.add_argument("--epochs", type=int, default=40,
                    help="upper epoch limit")
parser.add_argument("--batch_size", type=int, default=20, metavar="N",
                    help="batch size")  # label: config
parser.add_argument("--bptt", type=int, default=35,
                    help="sequence length")  # label: config
parser.add_argument("--dropout", type=float, default=0.2,
                    help="dropout applied to layers (0 = no dropout)")  # label: config
parser.add_argument("--tied", action="store_true",
                    help="tie the word embedding and softmax weights")
parser.add_argument("--seed", type=int, default=1111,
                    help="random seed")
parser.add_argument("--log-interval", type=int, default=200, metavar="N",
                    help="report interval")
parser.add_argument("--save", type=str, default="model.pt",
                    help="path to save the final model")
parser.add_argument("--onnx-export", type=str, default="",
                    help="path to export the final model in onnx format")
parser.add_argument("--nhead", type=int, default=2,
                    help="the number of heads in the encoder/decoder of the transformer model")  # label: config
parser.add_argument("--dry-run", action="store_true",
                    help="verify the code and the model")
args = parser.parse_args()

torch.manual_seed(args.seed)
model = nn.LSTM(args.emsize, args.nhid, args.nlayers, dropout=args.dropout)
criterion = nn.NLLLoss()
lr = args.lr
best_val_loss = None
for epoch in range(1, args.epochs + 1):
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    val_loss = 5.0 / epoch
    if not best_val_loss or val_loss < best_val_loss:
        best_val_loss = val_loss
    else:
        lr /= 4.0
print(math.exp(best_val_loss))
