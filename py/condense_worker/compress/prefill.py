"""One prefill of the context that keeps what every scorer needs, so several algorithms can share it.

Pruning a layer's cache after its attention ran does not change any later layer (the prefill output was
already computed with the full cache), so scoring after the pass is exactly what a kvpress hook does during
it. Capturing the attention inputs once lets the benchmark and `compress` score many presses per prefill.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from transformers import DynamicCache


@dataclass
class CapturedPrefill:
    input_ids: torch.Tensor | None                  # [1, T] (None when prefilled from embeddings)
    cache: DynamicCache                             # full cache of the context
    hidden_states: list[torch.Tensor] = field(default_factory=list)  # per layer, input of self_attn [1, T, h]
    position_embeddings: tuple[torch.Tensor, torch.Tensor] | None = None  # (cos, sin) of positions 0..T-1

    @property
    def num_tokens(self) -> int:
        return int(self.cache.get_seq_length())

    def layer_kv(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        layer = self.cache.layers[i]
        return layer.keys, layer.values


def attention_modules(model) -> list[torch.nn.Module]:
    """The self-attention module of every decoder layer (llama-like models)."""
    return [layer.self_attn for layer in decoder(model).layers]


def decoder(model):
    """The base transformer without the LM head (runs the prefill without computing vocab logits)."""
    return model.model if hasattr(model, "model") and hasattr(model.model, "layers") else model


@torch.inference_mode()
def captured_prefill(model, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
                     capture: bool = True) -> CapturedPrefill:
    """Run the base model over the context into a fresh DynamicCache. With `capture`, also keep each
    attention layer's input hidden states and the rotary (cos, sin) used for the context positions."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("give exactly one of input_ids or inputs_embeds")
    base = decoder(model)
    hidden: list[torch.Tensor] = []
    rope: list[tuple[torch.Tensor, torch.Tensor]] = []

    def keep_inputs(module, args, kwargs):
        hidden.append(kwargs["hidden_states"])
        if not rope:
            rope.append(kwargs["position_embeddings"])

    hooks = [m.register_forward_pre_hook(keep_inputs, with_kwargs=True) for m in attention_modules(model)] \
        if capture else []
    cache = DynamicCache(config=model.config)
    try:
        base(input_ids=input_ids, inputs_embeds=inputs_embeds, past_key_values=cache, use_cache=True)
    finally:
        for h in hooks:
            h.remove()
    return CapturedPrefill(input_ids=input_ids, cache=cache, hidden_states=hidden,
                           position_embeddings=rope[0] if rope else None)
