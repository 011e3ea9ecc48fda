"""Python side of the cross-language container tests (test/container/roundtrip.test.ts).

  write PATH DTYPE KIND SEED CONTEXT HOTKEY   write a container from seeded tensors; print its info as JSON
  read  PATH DTYPE KIND SEED CONTEXT HOTKEY   read it back (all checks), compare with the seeded tensors, print JSON
  codes SPEC.json                            one process for a whole corpus: SPEC is {"model", "expect", "files"};
                                             prints the code of each file (header checks, then data checks),
                                             "ok" when accepted, "PY_ESCAPE:<exception>" for anything else
Errors are printed as {"error": CODE, "message": ...} with exit status 3.
"""
from __future__ import annotations

import json
import sys

import torch

from condense_worker.container import (
    ContainerError, Expectations, ModelShape, check_values, context_sha256, read_container, read_container_header, signing_message,
    write_kv_container, write_soft_token_container,
)

L, H, T, D, HIDDEN, ORIGINAL = 3, 2, 17, 8, 24, 40
MODEL = ModelShape(L, H, D, HIDDEN)
TORCH = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}


def source(kind: str, seed: int):
    g = torch.Generator().manual_seed(seed)
    if kind == "soft_tokens":
        return torch.randn(T, HIDDEN, generator=g)
    return [(torch.randn(1, H, T, D, generator=g), torch.randn(1, H, T, D, generator=g)) for _ in range(L)]


def codes(spec_path: str) -> int:
    spec = json.loads(open(spec_path, encoding="utf-8").read())
    model = ModelShape(**spec["model"]) if spec.get("model") else None
    expect = Expectations(**spec.get("expect", {}))
    out = []
    for path in spec["files"]:
        try:
            check_values(path, read_container_header(path, model, expect=expect))
            out.append("ok")
        except ContainerError as err:
            out.append(err.code)
        except Exception as err:  # noqa: BLE001 - an escape is exactly what the corpus looks for
            out.append(f"PY_ESCAPE:{type(err).__name__}")
    print(json.dumps(out))
    return 0


def main(argv: list[str]) -> int:
    if argv[0] == "codes":
        return codes(argv[1])
    op, path, dtype, kind, seed, context, hotkey = argv
    src = source(kind, int(seed))
    if op == "write":
        meta = {"target_model": "tiny/cross", "original_tokens": ORIGINAL, "algorithm": "kvzip",
                "params": {"ratio": 0.5, "note": "ünïcode"}, "context": context, "miner_hotkey": hotkey}
        writer = write_soft_token_container if kind == "soft_tokens" else write_kv_container
        info = writer(path, src, meta, dtype)
        print(json.dumps({"bytes": info.bytes, "data_sha256": info.data_sha256, "context_sha256": info.context_sha256}))
        return 0
    expect = Expectations(target_model="tiny/cross", context_sha256=context_sha256(context), miner_hotkey=hotkey)
    data, meta = read_container(path, MODEL, expect=expect, dequantize_to=torch.float32)
    if kind == "soft_tokens":
        same = torch.equal(data, src.to(TORCH[dtype]))
    elif dtype == "int8":
        same = all(bool(((a - b).abs() <= b.abs().amax(dim=2, keepdim=True) / 254 + 1e-6).all())
                   for pair, spair in zip(data, src) for a, b in zip(pair, spair))
    else:
        same = all(torch.equal(a, b.to(TORCH[dtype])) for pair, spair in zip(data, src) for a, b in zip(pair, spair))
    header = read_container_header(path)
    print(json.dumps({"signed": meta.signed, "signature": meta.signature, "kept_tokens": meta.kept_tokens,
                      "same_values": same, "signing_message": signing_message(meta.raw, header.tensors).decode()}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ContainerError as err:
        print(json.dumps({"error": err.code, "message": err.detail}))
        sys.exit(3)
