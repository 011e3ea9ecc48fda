"""Loads the condenser and decoder LMs through the worker's model specs (condense_worker.models), so a
checkpoint's config names exactly the models the miner's worker loads ("tiny:llama", "smollm2", a path)."""
from __future__ import annotations

import copy

import torch

from ..errors import ModelLoadError
from ..models import load_model

ModelSpecError = ModelLoadError

_DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}


def load_causal_lm(spec: str, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32):
    """(model, tokenizer) for a model spec, in eval mode on `device`; raises ModelLoadError."""
    if not isinstance(spec, str) or not spec or spec == "none":
        raise ModelLoadError(f"a condenser or decoder needs a real model spec, got {spec!r}")
    if dtype not in _DTYPE_NAMES:
        raise ModelLoadError(f"unsupported dtype {dtype}")
    loaded = load_model(spec, device=str(device), dtype=_DTYPE_NAMES[dtype])
    tok = loaded.tokenizer
    # GGUF tokenizers can carry a swapped eos (SmolLM2's says <|im_start|>); the model's generation
    # config is right, and training targets must end with the token generation stops on.
    gen_eos = getattr(getattr(loaded.model, "generation_config", None), "eos_token_id", None)
    if isinstance(gen_eos, (list, tuple)):
        gen_eos = gen_eos[0] if gen_eos else None
    if isinstance(gen_eos, int) and tok.eos_token_id != gen_eos:
        tok.eos_token = tok.convert_ids_to_tokens(gen_eos)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return loaded.model, tok


def load_causal_lm_pair(condenser_spec: str, decoder_spec: str, device: str | torch.device = "cpu",
                        condenser_dtype: torch.dtype = torch.float32, decoder_dtype: torch.dtype = torch.float32):
    """((condenser lm, tokenizer), (decoder, tokenizer)). When both roles name the same spec and dtype,
    the model is loaded once and the decoder gets a deep copy: dequantising a GGUF again costs seconds
    to minutes on a CPU, a copy under one. The copies share no tensors, so LoRA and training on the
    condenser never touch the decoder."""
    if condenser_spec == decoder_spec and condenser_dtype == decoder_dtype:
        lm, tok = load_causal_lm(condenser_spec, device=device, dtype=condenser_dtype)
        return (lm, tok), (copy.deepcopy(lm), copy.deepcopy(tok))
    decoder = load_causal_lm(decoder_spec, device=device, dtype=decoder_dtype)
    return load_causal_lm(condenser_spec, device=device, dtype=condenser_dtype), decoder
