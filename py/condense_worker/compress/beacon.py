"""activation_beacon: serve a LOCAL Activation Beacon / UltraGist checkpoint (GPU hosts only).

The checkpoint is a whole model (base weights plus beacon projections) whose modeling code ships in the
directory and loads with `trust_remote_code=True`. Compression is: reset the beacon memory, run the
context, take the per-layer (k, v) memory (sinks + beacon activations + unfinished raw tail). Its
positions run 0..kept-1, so decoding continues at `kept`. No such checkpoint exists offline (7B only), so
on this project's CPU machines the code path past the checks is untested; nothing here fakes a result.
"""
from __future__ import annotations

import json
import os
from typing import Callable

import torch

from .types import CheckpointNotFound, CompressParams, CompressResult, InvalidCompressArgument, UnsupportedCheckpoint

_MARKERS = ("beacon", "ultragist")
_CACHE: dict[str, tuple] = {}


def check_beacon_checkpoint(path: str) -> dict:
    """The checkpoint's config.json if `path` is a local Activation Beacon directory; typed errors otherwise."""
    if not path:
        raise InvalidCompressArgument("activation_beacon needs params.checkpoint: a local Activation Beacon "
                                      "(or UltraGist) checkpoint directory")
    if not os.path.isdir(path):
        raise CheckpointNotFound(f"Activation Beacon checkpoint directory {path!r} does not exist")
    cfg_path = os.path.join(path, "config.json")
    if not os.path.isfile(cfg_path):
        raise UnsupportedCheckpoint(f"{path!r} has no config.json, so it is not a transformers checkpoint")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as exc:
        raise UnsupportedCheckpoint(f"{cfg_path} is not valid JSON: {exc}") from exc
    if not isinstance(cfg, dict):
        raise UnsupportedCheckpoint(f"{cfg_path} is not a JSON object")
    auto_map = cfg.get("auto_map") or {}
    targets = [v for v in (auto_map.values() if isinstance(auto_map, dict) else []) if isinstance(v, str)]
    has_beacon_keys = any(k.startswith(_MARKERS) for k in cfg)
    beacon_code = [t for t in targets if any(m in t.lower() for m in _MARKERS)]
    if not (has_beacon_keys and beacon_code):
        raise UnsupportedCheckpoint(f"{path!r} is not an Activation Beacon model: its config needs beacon_*/"
                                    "ultragist_* settings and an auto_map to modeling_beacon/modeling_ultragist")
    for target in beacon_code:
        module = target.split(".")[0] if "--" not in target else target.split("--")[-1].split(".")[0]
        if not os.path.isfile(os.path.join(path, module + ".py")):
            raise UnsupportedCheckpoint(f"{path!r} lacks {module}.py, the remote code its config names")
    return cfg


def _load(path: str, device: torch.device):
    if path not in _CACHE:
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tok = AutoTokenizer.from_pretrained(path, trust_remote_code=True, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=True, local_files_only=True,
                                                     dtype=torch.bfloat16, attn_implementation="sdpa").to(device)
        _CACHE[path] = (model.eval(), tok)
    return _CACHE[path]


@torch.inference_mode()
def beacon_compress(tokenizer, context, params: CompressParams, *, add_special_tokens: bool,
                    check: Callable[[], None] | None) -> CompressResult:
    check_beacon_checkpoint(params.checkpoint)
    if not isinstance(context, str) or not context:
        raise InvalidCompressArgument("activation_beacon compresses text: context must be a non-empty string")
    if not torch.cuda.is_available():
        raise UnsupportedCheckpoint("activation_beacon runs on GPU hosts only (7B checkpoints); "
                                    "this worker has no CUDA device")
    model, tok = _load(params.checkpoint, torch.device("cuda"))
    ids = tok(context, return_tensors="pt", add_special_tokens=add_special_tokens).input_ids.to("cuda")
    model.memory.reset()
    model(input_ids=ids)
    if check is not None:
        check()
    memory = model.memory.get_memory()
    keys = [k.contiguous() for k, _ in memory]
    values = [v.contiguous() for _, v in memory]
    model.memory.reset()
    kept = int(keys[0].shape[2])
    if params.min_tokens and kept < params.min_tokens or params.max_tokens and kept > params.max_tokens:
        raise InvalidCompressArgument(f"beacon memory holds {kept} tokens, outside the bounds "
                                      f"[{params.min_tokens}, {params.max_tokens or 'inf'}]")
    used = dict(params.as_dict(), next_position=kept, kept_tokens=kept)
    return CompressResult(algorithm="activation_beacon", format="kv", original_tokens=int(ids.shape[1]),
                          kept_tokens=kept, keys=keys, values=values, params=used)
