# Declarations from https://github.com/facebookresearch/mae/blob/main/main_pretrain.py
# presets: argparse pytorch
import argparse

import torch


def get_args_parser():
    parser = argparse.ArgumentParser("MAE pre-training", add_help=False)
    parser.add_argument("--batch_size", default=64, type=int,
                        help="Batch size per GPU (effective batch size is batch_size * accum_iter * # gpus")  # label: config
    parser.add_argument("--epochs", default=400, type=int)
    parser.add_argument("--accum_iter", default=1, type=int,
                        help="Accumulate gradient iterations (for increasing the effective batch size under memory constraints)")
    parser.add_argument("--model", default="mae_vit_large_patch16", type=str, metavar="MODEL",
                        help="Name of model to train")
    parser.add_argument("--input_size", default=224, type=int, help="images input size")
    parser.add_argument("--mask_ratio", default=0.75, type=float,
                        help="Masking ratio (percentage of removed patches).")  # label: config
    parser.add_argument("--norm_pix_loss", action="store_true",
                        help="Use (per-patch) normalized pixels as targets for computing loss")
    parser.set_defaults(norm_pix_loss=False)
    parser.add_argument("--weight_decay", type=float, default=0.05,
                        help="weight decay (default: 0.05)")  # label: config
    parser.add_argument("--lr", type=float, default=None, metavar="LR",
                        help="learning rate (absolute lr)")
    parser.add_argument("--blr", type=float, default=1e-3, metavar="LR",
                        help="base learning rate: absolute_lr = base_lr * total_batch_size / 256")  # label: config
    parser.add_argument("--min_lr", type=float, default=0., metavar="LR",
                        help="lower lr bound for cyclic schedulers that hit 0")
    parser.add_argument("--warmup_epochs", type=int, default=40, metavar="N",
                        help="epochs to warmup LR")  # label: config
    parser.add_argument("--data_path", default="/datasets01/imagenet_full_size/061417/", type=str,
                        help="dataset path")
    parser.add_argument("--output_dir", default="./output_dir",
                        help="path where to save, empty for no saving")
    parser.add_argument("--log_dir", default="./output_dir", help="path where to tensorboard log")
    parser.add_argument("--device", default="cuda", help="device to use for training / testing")
    parser.add_argument("--seed", default=0, type=int)
    parser.add_argument("--resume", default="", help="resume from checkpoint")
    parser.add_argument("--start_epoch", default=0, type=int, metavar="N", help="start epoch")
    parser.add_argument("--num_workers", default=10, type=int)
    parser.add_argument("--world_size", default=1, type=int, help="number of distributed processes")
    parser.add_argument("--local_rank", default=-1, type=int)
    parser.add_argument("--dist_url", default="env://", help="url used to set up distributed training")
    return parser


def make_optimizer(args, param_groups):
    return torch.optim.AdamW(param_groups, lr=args.lr, betas=(0.9, 0.95))
