"""NaN/Inf detection on raw little-endian float bytes: a value is non-finite iff its exponent bits are all ones.

Works on the bytes exactly as stored, through numpy integer views (no copy of the data, no torch): on
these 2-core machines torch.isfinite measured 1.5 ms per 1 MiB tensor single-threaded and ~65 ms with
two contended threads, numpy under 0.1 ms.
"""
from __future__ import annotations

import numpy as np

# safetensors dtype -> (integer view, exponent mask)
EXPONENT = {"BF16": (np.uint16, 0x7F80), "F16": (np.uint16, 0x7C00), "F32": (np.uint32, 0x7F800000)}


def count_non_finite(buf, dtype: str) -> int:
    """NaN and Inf values in `buf` (bytes-like) holding `dtype` values; 0 for dtypes without them (I8)."""
    if dtype not in EXPONENT:
        return 0
    view, mask = EXPONENT[dtype]
    a = np.frombuffer(buf, dtype=np.dtype(view).newbyteorder("<"))
    return int(np.count_nonzero((a & view(mask)) == view(mask)))
