# Declarations from the Hugging Face text-classification fine-tuning guide
# (https://huggingface.co/docs/transformers/tasks/sequence_classification) and
# https://github.com/huggingface/transformers/blob/main/examples/pytorch/text-classification/run_glue.py
# presets: argparse pytorch
from dataclasses import dataclass, field
from typing import Optional

from transformers import (AutoModelForSequenceClassification, AutoTokenizer, Trainer,
                          TrainingArguments)


@dataclass
class DataTrainingArguments:
    task_name: Optional[str] = field(default=None, metadata={"help": "The name of the task to train on"})
    max_seq_length: int = field(
        default=128,
        metadata={"help": "The maximum total input sequence length after tokenization."},
    )
    overwrite_cache: bool = field(default=False, metadata={"help": "Overwrite the cached preprocessed datasets or not."})
    pad_to_max_length: bool = field(default=True, metadata={"help": "Whether to pad all samples to `max_seq_length`."})


@dataclass
class ModelArguments:
    model_name_or_path: str = field(metadata={"help": "Path to pretrained model or model identifier"})
    cache_dir: Optional[str] = field(default=None, metadata={"help": "Where do you want to store the pretrained models"})


checkpoint = "distilbert/distilbert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)

training_args = TrainingArguments(
    output_dir="my_awesome_model",
    learning_rate=2e-5,  # label: config
    per_device_train_batch_size=16,  # label: config
    per_device_eval_batch_size=16,
    num_train_epochs=2,
    weight_decay=0.01,  # label: config
    warmup_ratio=0.1,  # label: config
    lr_scheduler_type="linear",
    eval_strategy="epoch",
    save_strategy="epoch",
    logging_steps=50,
    load_best_model_at_end=True,
    seed=42,
    push_to_hub=False,
)
trainer = Trainer(model=model, args=training_args, tokenizer=tokenizer)
