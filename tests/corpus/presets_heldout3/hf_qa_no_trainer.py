# Declarations from https://github.com/huggingface/transformers/blob/main/examples/pytorch/question-answering/run_qa_no_trainer.py
# presets: argparse pytorch
import argparse

from transformers import SchedulerType, get_scheduler


def parse_args():
    parser = argparse.ArgumentParser(description="Fine-tune a transformer on extractive question answering")
    parser.add_argument("--dataset_name", type=str, default=None, help="The name of the dataset to use.")
    parser.add_argument("--train_file", type=str, default=None, help="A csv or a json training file.")
    parser.add_argument("--preprocessing_num_workers", type=int, default=1,
                        help="processes for the preprocessing.")
    parser.add_argument("--max_seq_length", type=int, default=384,
                        help="The maximum total input sequence length after tokenization.")
    parser.add_argument("--pad_to_max_length", action="store_true", help="pad all samples to max_seq_length")
    parser.add_argument("--model_name_or_path", type=str, help="Path to pretrained model or model identifier.")
    parser.add_argument("--per_device_train_batch_size", type=int, default=8,
                        help="Batch size (per device) for the training dataloader.")  # label: config
    parser.add_argument("--per_device_eval_batch_size", type=int, default=8,
                        help="Batch size (per device) for the evaluation dataloader.")
    parser.add_argument("--learning_rate", type=float, default=5e-5,
                        help="Initial learning rate (after the potential warmup period) to use.")  # label: config
    parser.add_argument("--weight_decay", type=float, default=0.0, help="Weight decay to use.")  # label: config
    parser.add_argument("--num_train_epochs", type=int, default=3, help="Total number of training epochs.")
    parser.add_argument("--max_train_steps", type=int, default=None,
                        help="Total number of training steps; overrides num_train_epochs.")
    parser.add_argument("--gradient_accumulation_steps", type=int, default=1,
                        help="Number of updates steps to accumulate before a backward/update pass.")
    parser.add_argument("--lr_scheduler_type", type=SchedulerType, default="linear",
                        help="The scheduler type to use.",
                        choices=["linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                                 "constant_with_warmup"])  # label: config
    parser.add_argument("--num_warmup_steps", type=int, default=0,
                        help="Number of steps for the warmup in the lr scheduler.")  # label: config
    parser.add_argument("--output_dir", type=str, default=None, help="Where to store the final model.")
    parser.add_argument("--seed", type=int, default=None, help="A seed for reproducible training.")
    parser.add_argument("--doc_stride", type=int, default=128,
                        help="When splitting a long document into chunks, the stride between chunks.")
    parser.add_argument("--n_best_size", type=int, default=20,
                        help="The total number of n-best predictions to generate.")
    parser.add_argument("--null_score_diff_threshold", type=float, default=0.0,
                        help="The threshold used to select the null answer.")
    parser.add_argument("--max_answer_length", type=int, default=30,
                        help="The maximum length of an answer that can be generated.")
    parser.add_argument("--checkpointing_steps", type=str, default=None,
                        help="Save every n steps, or 'epoch' for each epoch.")
    return parser.parse_args()


def scheduler_for(args, optimizer, steps):
    return get_scheduler(name=args.lr_scheduler_type, optimizer=optimizer,
                         num_warmup_steps=args.num_warmup_steps, num_training_steps=steps)
