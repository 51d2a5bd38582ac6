# Declarations from https://github.com/huggingface/pytorch-image-models/blob/main/train.py
# (a subset of its options, each as timm declares it)
# presets: argparse pytorch
import argparse

parser = argparse.ArgumentParser(description="PyTorch ImageNet Training")
group = parser.add_argument_group("Model parameters")
group.add_argument("--model", default="resnet50", type=str, metavar="MODEL",
                   help='Name of model to train (default: "resnet50")')
group.add_argument("--pretrained", action="store_true", default=False,
                   help="Start with pretrained version of specified network (if avail)")
group.add_argument("--num-classes", type=int, default=None, metavar="N",
                   help="number of label classes (Model default if None)")
group.add_argument("--img-size", type=int, default=None, metavar="N",
                   help="Image size (default: None => model default)")
group.add_argument("-b", "--batch-size", type=int, default=128, metavar="N",
                   help="Input batch size for training (default: 128)")  # label: config
group.add_argument("-vb", "--validation-batch-size", type=int, default=None, metavar="N",
                   help="Validation batch size override (default: None)")

group = parser.add_argument_group("Optimizer parameters")
group.add_argument("--opt", default="sgd", type=str, metavar="OPTIMIZER",
                   help='Optimizer (default: "sgd")')
group.add_argument("--opt-eps", default=None, type=float, metavar="EPSILON",
                   help="Optimizer Epsilon (default: None, use opt default)")
group.add_argument("--momentum", type=float, default=0.9, metavar="M",
                   help="Optimizer momentum (default: 0.9)")  # label: config
group.add_argument("--weight-decay", type=float, default=2e-5,
                   help="weight decay (default: 2e-5)")  # label: config
group.add_argument("--clip-grad", type=float, default=None, metavar="NORM",
                   help="Clip gradient norm (default: None, no clipping)")

group = parser.add_argument_group("Learning rate schedule parameters")
group.add_argument("--sched", type=str, default="cosine", metavar="SCHEDULER",
                   help='LR scheduler (default: "cosine"')
group.add_argument("--lr", type=float, default=None, metavar="LR",
                   help="learning rate, overrides lr-base if set (default: None)")
group.add_argument("--lr-base", type=float, default=0.1, metavar="LR",
                   help="base learning rate: lr = lr_base * global_batch_size / base_size")  # label: config
group.add_argument("--warmup-lr", type=float, default=1e-5, metavar="LR",
                   help="warmup learning rate (default: 1e-5)")
group.add_argument("--min-lr", type=float, default=0, metavar="LR",
                   help="lower lr bound for cyclic schedulers that hit 0 (default: 0)")
group.add_argument("--epochs", type=int, default=300, metavar="N",
                   help="number of epochs to train (default: 300)")
group.add_argument("--decay-rate", "--dr", type=float, default=0.1, metavar="RATE",
                   help="LR decay rate (default: 0.1)")
group.add_argument("--warmup-epochs", type=int, default=5, metavar="N",
                   help="epochs to warmup LR, if scheduler supports")  # label: config

group = parser.add_argument_group("Augmentation and regularization parameters")
group.add_argument("--mixup", type=float, default=0.0,
                   help="mixup alpha, mixup enabled if > 0. (default: 0.)")
group.add_argument("--smoothing", type=float, default=0.1,
                   help="Label smoothing (default: 0.1)")  # label: config
group.add_argument("--drop", type=float, default=0.0, metavar="PCT",
                   help="Dropout rate (default: 0.)")
group.add_argument("--drop-path", type=float, default=None, metavar="PCT",
                   help="Drop path rate (default: None)")

group = parser.add_argument_group("Miscellaneous parameters")
group.add_argument("--seed", type=int, default=42, metavar="S",
                   help="random seed (default: 42)")
group.add_argument("--log-interval", type=int, default=50, metavar="N",
                   help="how many batches to wait before logging training status")
group.add_argument("-j", "--workers", type=int, default=4, metavar="N",
                   help="how many training processes to use (default: 4)")
group.add_argument("--amp", action="store_true", default=False,
                   help="use NVIDIA Apex AMP or Native AMP for mixed precision training")
group.add_argument("--output", default="", type=str, metavar="PATH",
                   help="path to output folder (default: none, current dir)")
args = parser.parse_args()
