"""ContainerError and its codes: the TypeScript codes (ts/container/errors.ts) plus the value and .npy checks."""
from __future__ import annotations

CODES = frozenset({
    # shared with ts/container/errors.ts
    "IO", "TRUNCATED", "HEADER_TOO_LARGE", "FILE_TOO_LARGE", "BAD_HEADER", "TOO_MANY_TENSORS",
    "BAD_TENSOR_SET", "BAD_OFFSETS", "BAD_DTYPE", "BAD_SHAPE", "BAD_METADATA", "UNSUPPORTED_VERSION",
    "MODEL_MISMATCH", "TOKEN_BOUNDS", "BINDING_MISMATCH", "HOTKEY_MISMATCH", "UNSIGNED", "BAD_SIGNATURE",
    "ALREADY_SIGNED", "DATA_MISMATCH",
    # Python only: tensor values and legacy .npy files
    "NON_FINITE",     # NaN or Inf in a tensor (or a scale)
    "NPY_PICKLE",     # .npy with object dtype, or a pickle instead of an .npy
    "NPY_BAD",        # .npy header malformed, unsupported dtype/order, or size disagreeing with the shape
    "BAD_INPUT",      # writer given tensors or metadata that cannot form a valid container
})


class ContainerError(ValueError):
    """A container (or legacy .npy) was refused; `code` is stable, the message says what and where."""

    def __init__(self, code: str, message: str):
        if code not in CODES:
            raise AssertionError(f"unknown container error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.detail = message
