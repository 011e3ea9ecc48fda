"""Token scores from kvpress's rectangular presses, computed on a captured prefill.

We call each press's own `score()` (the library's published algorithms) and do the top-k ourselves, so
the kept count is exactly the budget in every layer and head whatever the ratio rounding.
"""
from __future__ import annotations

import torch
from kvpress import ExpectedAttentionPress, KnormPress, SnapKVPress, StreamingLLMPress, TOVAPress

from .prefill import CapturedPrefill, attention_modules, decoder
from .types import CompressParams, InvalidCompressArgument


def make_press(algorithm: str, params: CompressParams, num_tokens: int, kept: int):
    """A kvpress scorer configured for this context. The ratio matters only to StreamingLLM's scorer,
    which marks the pruned span itself; `1 - (kept + 0.5) / T` makes kvpress's int() rounding land
    exactly on `kept`."""
    ratio = max(0.0, 1.0 - (kept + 0.5) / num_tokens)
    sink = params.sink_tokens
    if algorithm == "knorm":
        return KnormPress(compression_ratio=ratio)
    if algorithm == "snapkv":
        # The observation window must leave something to score; short test contexts shrink it.
        window = min(params.window_size, max(1, num_tokens // 2))
        return SnapKVPress(compression_ratio=ratio, window_size=window)
    if algorithm == "expected_attention":
        if num_tokens <= sink:
            raise InvalidCompressArgument(f"expected_attention needs more than sink_tokens={sink} tokens")
        return ExpectedAttentionPress(compression_ratio=ratio, n_sink=sink)
    if algorithm == "tova":
        return TOVAPress(compression_ratio=ratio)
    if algorithm == "streaming_llm":
        if num_tokens <= sink:
            raise InvalidCompressArgument(f"streaming_llm needs more than sink_tokens={sink} tokens")
        return StreamingLLMPress(compression_ratio=ratio, n_sink=sink)
    raise InvalidCompressArgument(f"not a kvpress scorer: {algorithm}")


@torch.inference_mode()
def press_scores(model, prefill: CapturedPrefill, algorithm: str, params: CompressParams,
                 kept: int) -> torch.Tensor:
    """Scores `[L, kv_heads, T]` (higher = keep) for `algorithm` from a captured prefill."""
    if not prefill.hidden_states:
        raise ValueError("prefill was run without capture")
    T = prefill.num_tokens
    press = make_press(algorithm, params, T, kept)
    modules = attention_modules(model)
    rotary = getattr(decoder(model), "rotary_emb", None)
    out = []
    for i, module in enumerate(modules):
        if rotary is not None and not hasattr(module, "rotary_emb"):
            # expected_attention averages RoPE over future positions through `module.rotary_emb`; a plain
            # attribute (not a registered submodule) leaves the model's module tree unchanged.
            module.__dict__["rotary_emb"] = rotary
        keys, values = prefill.layer_kv(i)
        kwargs = {"position_embeddings": prefill.position_embeddings,
                  "cache_position": torch.arange(T, device=keys.device)}
        scores = press.score(module, prefill.hidden_states[i], keys, values, None, kwargs)
        out.append(scores[0].float())
    return torch.stack(out)
