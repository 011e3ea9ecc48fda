"""How many tokens a compression keeps: ratio or explicit target, clamped to the tier's bounds."""
from __future__ import annotations

from .types import CompressParams, InvalidCompressArgument


def kept_token_budget(original_tokens: int, params: CompressParams) -> int:
    """Kept count for a context of `original_tokens`. `target_tokens` wins over `ratio`; the result is
    clamped into [min_tokens, max_tokens] and never exceeds the context. A context shorter than the tier
    minimum cannot satisfy the bounds, which is the caller's error, not something to paper over."""
    if original_tokens < 1:
        raise InvalidCompressArgument("context is empty after tokenisation")
    if params.min_tokens and original_tokens < params.min_tokens:
        raise InvalidCompressArgument(
            f"context has {original_tokens} tokens, fewer than the minimum kept count {params.min_tokens}")
    if params.target_tokens > 0:
        kept = params.target_tokens
    else:
        # Same rounding as kvpress (int(T * (1 - r))), at least one token.
        kept = max(1, int(original_tokens * (1.0 - params.ratio)))
    if params.min_tokens:
        kept = max(kept, params.min_tokens)
    if params.max_tokens:
        kept = min(kept, params.max_tokens)
    return min(kept, original_tokens)
