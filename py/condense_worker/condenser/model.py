"""The soft-token condenser: a causal LM (with a LoRA adapter) reads a context followed by N learned
condense tokens; the hidden states of its last k layers at those N positions are concatenated,
normalised and projected into the decoder's embedding space, giving N soft tokens."""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .config import ADAPTER_DIR, WEIGHTS_FILE, CheckpointError, CondenserConfig
from .lm import load_causal_lm

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def library_versions() -> dict[str, str]:
    import peft
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}


def _hidden_size(lm) -> int:
    return int(lm.config.get_text_config().hidden_size)


def _num_layers(lm) -> int:
    return int(lm.config.get_text_config().num_hidden_layers)


class Condenser(nn.Module):
    def __init__(self, config: CondenserConfig, lm: nn.Module, tokenizer) -> None:
        super().__init__()
        self.config = config.validate()
        self.lm = lm
        self.tokenizer = tokenizer
        h, k = config.condenser_hidden, config.last_k
        if _hidden_size(lm) != h:
            raise CheckpointError(f"condenser LM hidden size is {_hidden_size(lm)}, config says {h}")
        if k > _num_layers(lm):
            raise CheckpointError(f"last_k={k} exceeds the condenser LM's {_num_layers(lm)} layers")
        self.condense_tokens = nn.Parameter(torch.zeros(1, config.num_tokens, h))
        self.norm = nn.LayerNorm(k * h)
        self.proj = nn.Linear(k * h, config.decoder_hidden)

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def random_init(cls, condenser_model: str, decoder_model: str, decoder_hidden: int, num_tokens: int,
                    last_k: int, *, lora_rank: int = 8, lora_alpha: int | None = None,
                    max_context_tokens: int = 4096, device: str | torch.device = "cpu",
                    dtype: torch.dtype = torch.float32, seed: int = 0, lm=None, tokenizer=None,
                    output_std: float | None = None) -> "Condenser":
        """A fresh condenser: LoRA adapter (rank 0 = none) on the condenser LM, random tokens and projection.
        Pass `lm`/`tokenizer` to reuse an already loaded condenser LM, and `output_std` (the decoder's
        embedding std) to start the soft tokens at the scale the decoder expects."""
        if lm is None:
            lm, tokenizer = load_causal_lm(condenser_model, device=device, dtype=dtype)
        for p in lm.parameters():
            p.requires_grad_(False)
        alpha = lora_alpha if lora_alpha is not None else lora_rank
        if lora_rank > 0:
            from peft import LoraConfig, get_peft_model

            lm = get_peft_model(lm, LoraConfig(r=lora_rank, lora_alpha=alpha, lora_dropout=0.0,
                                               target_modules=LORA_TARGETS, bias="none"))
        cfg = CondenserConfig(condenser_model=condenser_model, decoder_model=decoder_model, num_tokens=num_tokens,
                              last_k=last_k, condenser_hidden=_hidden_size(lm), decoder_hidden=decoder_hidden,
                              max_context_tokens=max_context_tokens, lora_rank=lora_rank,
                              lora_alpha=alpha if lora_rank > 0 else 0, versions=library_versions())
        model = cls(cfg, lm, tokenizer)
        gen = torch.Generator().manual_seed(seed)
        emb = lm.get_input_embeddings().weight
        with torch.no_grad():
            # Start the condense tokens at the scale of real token embeddings.
            std = float(emb.float().std())
            model.condense_tokens.copy_(torch.randn(model.condense_tokens.shape, generator=gen) * std)
            w = torch.empty(model.proj.weight.shape)
            nn.init.xavier_uniform_(w, generator=gen)
            if output_std:
                # LayerNorm output has unit variance per feature, so each soft-token coordinate has
                # std = sqrt(in_features) * weight std; rescale the weight to hit output_std.
                w *= output_std / (float(w.std()) * w.shape[1] ** 0.5)
            model.proj.weight.copy_(w)
            model.proj.bias.zero_()
        return model.to(device=device, dtype=dtype)

    @classmethod
    def load(cls, checkpoint_dir: str | Path, device: str | torch.device = "cpu",
             dtype: torch.dtype | None = None, *, merge_adapter: bool = True) -> "Condenser":
        """Loads a checkpoint written by `save` (docs/trainer.md). dtype defaults to bf16 on CUDA, fp32 on CPU.
        With `merge_adapter` the LoRA weights are folded into the LM (inference only)."""
        d = Path(checkpoint_dir)
        if not d.is_dir():
            raise CheckpointError(f"checkpoint directory {d} does not exist")
        cfg = CondenserConfig.load(d)
        if dtype is None:
            dtype = torch.bfloat16 if str(device).startswith("cuda") else torch.float32
        weights_path = d / WEIGHTS_FILE
        if not weights_path.is_file():
            raise CheckpointError(f"{weights_path} not found")
        weights = load_file(str(weights_path))
        expected = {
            "condense_tokens": (1, cfg.num_tokens, cfg.condenser_hidden),
            "norm.weight": (cfg.last_k * cfg.condenser_hidden,),
            "norm.bias": (cfg.last_k * cfg.condenser_hidden,),
            "proj.weight": (cfg.decoder_hidden, cfg.last_k * cfg.condenser_hidden),
            "proj.bias": (cfg.decoder_hidden,),
        }
        for name, shape in expected.items():
            if name not in weights:
                raise CheckpointError(f"{weights_path} lacks tensor {name!r}")
            if tuple(weights[name].shape) != shape:
                raise CheckpointError(f"{weights_path}: {name} has shape {tuple(weights[name].shape)}, config implies {shape}")
        lm, tok = load_causal_lm(cfg.condenser_model, device=device, dtype=dtype)
        for p in lm.parameters():
            p.requires_grad_(False)
        if cfg.lora_rank > 0:
            from peft import PeftModel

            adapter = d / ADAPTER_DIR
            if not (adapter / "adapter_config.json").is_file():
                raise CheckpointError(f"config has lora_rank={cfg.lora_rank} but {adapter}/adapter_config.json is missing")
            lm = PeftModel.from_pretrained(lm, str(adapter), is_trainable=not merge_adapter)
            if merge_adapter:
                lm = lm.merge_and_unload()
        model = cls(cfg, lm, tok)
        model.load_weights(weights)
        return model.to(device=device, dtype=dtype).eval()

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        with torch.no_grad():
            self.condense_tokens.copy_(weights["condense_tokens"])
            self.norm.weight.copy_(weights["norm.weight"])
            self.norm.bias.copy_(weights["norm.bias"])
            self.proj.weight.copy_(weights["proj.weight"])
            self.proj.bias.copy_(weights["proj.bias"])

    def save(self, checkpoint_dir: str | Path, trained_steps: int | None = None) -> Path:
        d = Path(checkpoint_dir)
        d.mkdir(parents=True, exist_ok=True)
        tensors = {
            "condense_tokens": self.condense_tokens,
            "norm.weight": self.norm.weight, "norm.bias": self.norm.bias,
            "proj.weight": self.proj.weight, "proj.bias": self.proj.bias,
        }
        save_file({k: v.detach().float().cpu().contiguous() for k, v in tensors.items()}, str(d / WEIGHTS_FILE),
                  metadata={"format": self.config.format, "format_version": str(self.config.format_version)})
        if self.config.lora_rank > 0:
            self.lm.save_pretrained(str(d / ADAPTER_DIR))
        if trained_steps is not None:
            self.config.trained_steps = int(trained_steps)
        self.config.versions = library_versions()
        self.config.save(d)
        return d

    # ---- parameters ---------------------------------------------------------------------------

    def head_parameters(self) -> list[nn.Parameter]:
        """Condense tokens, LayerNorm and projection (the higher learning-rate group)."""
        return [self.condense_tokens, *self.norm.parameters(), *self.proj.parameters()]

    def adapter_parameters(self) -> list[nn.Parameter]:
        return [p for n, p in self.lm.named_parameters() if p.requires_grad and "lora_" in n]

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        return {n: p for n, p in self.named_parameters() if p.requires_grad}

    # ---- forward ------------------------------------------------------------------------------

    def tokenize(self, contexts: list[str], device: str | torch.device | None = None):
        """Left-padded ids and mask, each context cut to max_context_tokens (its start is kept)."""
        ids = [self.tokenizer(c, add_special_tokens=False)["input_ids"][: self.config.max_context_tokens] or
               [self.tokenizer.pad_token_id] for c in contexts]
        width = max(len(x) for x in ids)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(x)) + x for x in ids], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in ids], dtype=torch.long)
        dev = device if device is not None else self.condense_tokens.device
        return input_ids.to(dev), mask.to(dev)

    def condense(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """[B, T] context ids (left padded) -> [B, N, decoder_hidden] soft tokens."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, tokens], got shape {tuple(input_ids.shape)}")
        b, t = input_ids.shape
        n = self.config.num_tokens
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        emb = self.lm.get_input_embeddings()(input_ids)
        tokens = self.condense_tokens.to(emb.dtype).expand(b, -1, -1)
        inputs = torch.cat([emb, tokens], dim=1)
        mask = torch.cat([attention_mask, attention_mask.new_ones(b, n)], dim=1)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.lm(inputs_embeds=inputs, attention_mask=mask, position_ids=positions,
                      output_hidden_states=True, use_cache=False, logits_to_keep=1)
        last = [h[:, -n:, :] for h in out.hidden_states[-self.config.last_k:]]
        feats = torch.cat(last, dim=-1)
        return self.proj(self.norm(feats.to(self.proj.weight.dtype)))

    def condense_text(self, contexts: list[str]) -> torch.Tensor:
        ids, mask = self.tokenize(contexts)
        return self.condense(ids, mask)
