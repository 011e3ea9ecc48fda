"""Training configuration: one typed object, validated once, built from a TrainRequest or a dict."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

OBJECTIVES = ("reconstruction", "continuation", "mixed")


class TrainConfigError(ValueError):
    """A training setting is out of range; the message names the field and the bad value."""


@dataclass
class TrainConfig:
    output_dir: str
    condenser_model: str = "smollm2"
    decoder_model: str = "smollm2"
    num_condense_tokens: int = 16
    last_k_layers: int = 2
    lora_rank: int = 8
    lora_alpha: int = 0                 # 0 = same as lora_rank
    lr: float = 1e-4                    # LoRA adapter
    lr_projection: float = 1e-3         # condense tokens, LayerNorm, Linear
    weight_decay: float = 1e-5
    max_steps: int = 200
    batch_size: int = 1
    context_tokens: int = 256           # contexts are cut to this many condenser tokens
    max_target_tokens: int = 0          # 0 = context_tokens
    objective: str = "mixed"
    data_path: str = ""                 # local text file or directory; "hf:NAME" for a hub dataset
    corpus_share: float = 0.5           # share of samples drawn from the corpus when one is given
    resume_from: str = ""
    val_every: int = 50
    val_samples: int = 8
    val_generate: int = 8               # validation samples answered by generation (accuracy)
    max_new_tokens: int = 8
    seed: int = 0
    gradient_checkpointing: bool = False
    device: str = "auto"                # auto = cuda when available, else cpu
    progress_every: int = 1

    def __post_init__(self) -> None:
        if not self.output_dir:
            raise TrainConfigError("output_dir is required")
        positive = ("num_condense_tokens", "last_k_layers", "max_steps", "batch_size", "context_tokens",
                    "val_every", "val_samples", "max_new_tokens", "progress_every")
        for name in positive:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise TrainConfigError(f"{name} must be a positive integer, got {v!r}")
        for name in ("lora_rank", "lora_alpha", "max_target_tokens", "val_generate", "seed"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise TrainConfigError(f"{name} must be a non-negative integer, got {v!r}")
        for name in ("lr", "lr_projection"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not (0 < v < 1):
                raise TrainConfigError(f"{name} must be in (0, 1), got {v!r}")
        if not isinstance(self.corpus_share, (int, float)) or not (0 <= self.corpus_share <= 1):
            raise TrainConfigError(f"corpus_share must be in [0, 1], got {self.corpus_share!r}")
        if self.objective not in OBJECTIVES:
            raise TrainConfigError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise TrainConfigError(f"device must be auto, cpu or cuda[:N], got {self.device!r}")
        if self.val_generate > self.val_samples:
            self.val_generate = self.val_samples

    @property
    def target_tokens(self) -> int:
        return self.max_target_tokens or self.context_tokens

    @classmethod
    def from_dict(cls, raw: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise TrainConfigError(f"unknown training settings: {', '.join(unknown)}")
        return cls(**raw)

    @classmethod
    def from_request(cls, req) -> "TrainConfig":
        """From a condense.v1.TrainRequest: proto3 zero values mean "use the default"."""
        raw: dict = {}
        for name in ("condenser_model", "decoder_model", "objective", "data_path", "output_dir", "resume_from"):
            v = getattr(req, name)
            if v:
                raw[name] = v
        mapping = {"num_condense_tokens": "num_condense_tokens", "last_k_layers": "last_k_layers",
                   "lora_rank": "lora_rank", "max_steps": "max_steps", "batch_size": "batch_size",
                   "context_tokens": "context_tokens", "val_every": "val_every", "seed": "seed",
                   "lr": "lr", "lr_projection": "lr_projection"}
        for src, dst in mapping.items():
            v = getattr(req, src)
            if v:
                raw[dst] = v
        if req.gradient_checkpointing:
            raw["gradient_checkpointing"] = True
        if "output_dir" not in raw:
            raise TrainConfigError("output_dir is required")
        return cls.from_dict(raw)

    def to_dict(self) -> dict:
        return asdict(self)
