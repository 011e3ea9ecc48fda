"""The JSON config stored beside a condenser checkpoint (docs/trainer.md describes the layout)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT_NAME = "condense-soft-token-condenser"
FORMAT_VERSION = 1
CONFIG_FILE = "condenser_config.json"
WEIGHTS_FILE = "condenser.safetensors"
ADAPTER_DIR = "adapter"


class CheckpointError(ValueError):
    """A checkpoint directory is missing, incomplete or inconsistent; the message names what is wrong."""


@dataclass
class CondenserConfig:
    condenser_model: str          # model spec of the condenser LM (LoRA base), e.g. "smollm2" or "tiny:llama"
    decoder_model: str            # model spec of the frozen decoder the soft tokens are made for
    num_tokens: int               # N: learned condense tokens = soft tokens produced
    last_k: int                   # hidden states of the last k layers are concatenated
    condenser_hidden: int         # H of the condenser LM
    decoder_hidden: int           # D of the decoder's embedding space
    max_context_tokens: int = 4096
    lora_rank: int = 0            # 0 = no LoRA adapter
    lora_alpha: int = 0
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    versions: dict[str, str] = field(default_factory=dict)  # torch / transformers / peft used to write it
    trained_steps: int = 0

    def validate(self) -> "CondenserConfig":
        if self.format != FORMAT_NAME:
            raise CheckpointError(f"format is {self.format!r}, expected {FORMAT_NAME!r}")
        if self.format_version != FORMAT_VERSION:
            raise CheckpointError(f"format_version {self.format_version} is not supported (this build reads {FORMAT_VERSION})")
        for name in ("num_tokens", "last_k", "condenser_hidden", "decoder_hidden", "max_context_tokens"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise CheckpointError(f"{name} must be a positive integer, got {v!r}")
        for name in ("condenser_model", "decoder_model"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise CheckpointError(f"{name} must be a non-empty string")
        if self.lora_rank < 0:
            raise CheckpointError(f"lora_rank must be >= 0, got {self.lora_rank}")
        return self

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def save(self, directory: Path) -> None:
        (Path(directory) / CONFIG_FILE).write_text(self.to_json())

    @classmethod
    def load(cls, directory: Path) -> "CondenserConfig":
        path = Path(directory) / CONFIG_FILE
        if not path.is_file():
            raise CheckpointError(f"{path} not found: not a condenser checkpoint directory")
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise CheckpointError(f"{path} is not valid JSON: {e}") from e
        if not isinstance(raw, dict):
            raise CheckpointError(f"{path} must hold a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise CheckpointError(f"{path} has unknown keys {unknown}")
        try:
            cfg = cls(**raw)
        except TypeError as e:
            raise CheckpointError(f"{path}: {e}") from e
        return cfg.validate()
