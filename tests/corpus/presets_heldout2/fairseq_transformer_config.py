# Declarations from https://github.com/facebookresearch/fairseq/blob/main/fairseq/models/transformer/transformer_config.py
# (the model's dataclass config: fairseq fills it from Hydra or the command line)
# presets: argparse pytorch
from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class EncDecBaseConfig:
    embed_path: Optional[str] = field(
        default=None, metadata={"help": "path to pre-trained embedding"}
    )
    embed_dim: Optional[int] = field(
        default=512, metadata={"help": "embedding dimension"}
    )  # label: config
    ffn_embed_dim: int = field(
        default=2048, metadata={"help": "embedding dimension for FFN"}
    )  # label: config
    layers: int = field(default=6, metadata={"help": "number of layers"})  # label: config
    attention_heads: int = field(
        default=8, metadata={"help": "number of attention heads"}
    )  # label: config
    normalize_before: bool = field(
        default=False, metadata={"help": "apply layernorm before each block"}
    )
    learned_pos: bool = field(
        default=False, metadata={"help": "use learned positional embeddings"}
    )
    layerdrop: float = field(default=0, metadata={"help": "LayerDrop probability"})  # label: config
    layers_to_keep: Optional[List[int]] = field(
        default=None, metadata={"help": "which layers to *keep* when pruning"}
    )


@dataclass
class TransformerConfig:
    activation_fn: str = field(
        default="relu",
        metadata={"help": "activation function to use"},
    )  # label: config
    dropout: float = field(default=0.1, metadata={"help": "dropout probability"})  # label: config
    attention_dropout: float = field(
        default=0.0, metadata={"help": "dropout probability for attention weights"}
    )  # label: config
    activation_dropout: float = field(
        default=0.0,
        metadata={
            "help": "dropout probability after activation in FFN.",
            "alias": "--relu-dropout",
        },
    )  # label: config
    adaptive_input: bool = False
    max_source_positions: int = field(
        default=1024,
        metadata={"help": "Maximum input length supported by the encoder"},
    )
    max_target_positions: int = field(
        default=1024,
        metadata={"help": "Maximum output length supported by the decoder"},
    )
    share_decoder_input_output_embed: bool = field(
        default=False, metadata={"help": "share decoder input and output embeddings"}
    )
    min_params_to_wrap: int = field(
        default=int(1e8),
        metadata={"help": "minimum number of params for a layer to be wrapped with FSDP()"},
    )
    base_layers: Optional[int] = field(
        default=0, metadata={"help": "number of BASE layers in total"}
    )
    base_sublayers: Optional[int] = field(
        default=1, metadata={"help": "number of sublayers in each BASE layer"}
    )
    base_shuffle: Optional[int] = field(
        default=1,
        metadata={"help": "shuffle tokens between workers before computing assignment"},
    )
