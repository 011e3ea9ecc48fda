"""load_container: a container URL or path in, a transformers DynamicCache for the named model out, checked as
the validator checks it; `answer` asks a question with transformers' `generate` on that cache.

The container format, its checks, the model specs and where positions continue all live in the worker
package (condense_worker.container, .models, .evaluate); this module only orders them for a consumer and adds
what the validator does in TypeScript: the guarded download and the signature check."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import GenerationConfig

from condense_worker.container import (
    ContainerError, ContainerLimits, ContainerMeta, Expectations, ModelShape, context_sha256, import_legacy_npy,
    read_container, read_container_header,
)
from condense_worker.container.legacy import MAGIC as NPY_MAGIC
from condense_worker.container.spec import DTYPES
from condense_worker.decoding import cache_from_layers, eos_token_ids
from condense_worker.errors import InvalidArgument, ModelLoadError
from condense_worker.evaluate import LoadedContext, load_context
from condense_worker.models import LoadedModel, load_model, model_shape
from condense_worker.tasks.chat import chat_format

from .errors import ClientError
from .fetch import FetchPolicy, check_url, download, private_dir
from .signature import verify_signature as _verify_signature

DEFAULT_MAX_BYTES = 1 << 30  # the subnet's container cap (and the reader's default)


def container_shape(loaded: LoadedModel) -> ModelShape:
    s = model_shape(loaded.config)
    return ModelShape(num_layers=s.num_layers, kv_heads=s.num_kv_heads, head_dim=s.head_dim, hidden_size=s.hidden_size)


def max_container_bytes(shape: ModelShape, max_kept_tokens: int) -> int:
    """Largest file a valid container (or legacy float32 .npy) of this model can be: the header allowance of
    the validator (ts/validator/verify/limits.ts) plus key and value tensors of max_kept_tokens in float32."""
    header = 8192 + 4096 + 160 * 4 * shape.num_layers
    payload = 2 * shape.num_layers * shape.kv_heads * max_kept_tokens * shape.head_dim * 4
    if shape.hidden_size:
        payload = max(payload, max_kept_tokens * shape.hidden_size * 4)
    return 8 + header + payload


@dataclass
class LoadedContainer:
    """A checked container loaded into a DynamicCache for `model`; `answer` reuses the cache per question."""
    cache: Any                    # transformers DynamicCache, [1, kv_heads, kept_tokens, head_dim] per layer
    kept_tokens: int
    next_position: int            # where the question's positions start (the original token count)
    format: str                   # "safetensors" or "npy" (the subnet's legacy float32 KV)
    model: LoadedModel
    source: str
    bytes: int
    meta: ContainerMeta | None = None   # None for the legacy .npy, which carries no metadata
    signature_verified: bool = False
    url: str | None = None              # the URL the bytes came from, after any allowed redirect
    _eos: set[int] = field(default_factory=set, repr=False)

    @property
    def original_tokens(self) -> int:
        return self.meta.original_tokens if self.meta is not None else self.next_position

    @property
    def miner_hotkey(self) -> str | None:
        return self.meta.miner_hotkey if self.meta is not None else None

    @property
    def context_sha256(self) -> str | None:
        return self.meta.context_sha256 if self.meta is not None else None

    @property
    def target_model(self) -> str | None:
        return self.meta.target_model if self.meta is not None else None

    def prompt(self, question: str) -> str:
        """The question as the validator appends it to the context's open user turn."""
        return chat_format(self.model.tokenizer).question(question)

    @torch.inference_mode()
    def answer_ids(self, question: str, max_new_tokens: int = 64, *, raw: bool = False) -> list[int]:
        """Greedy answer token ids (EOS not included). `raw=True` sends `question` as is, unformatted."""
        if not isinstance(question, str) or not question:
            raise ClientError("BAD_ARGUMENT", "the question must be a non-empty string")
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ClientError("BAD_ARGUMENT", f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
        m = self.model
        q = m.tokenizer(question if raw else self.prompt(question), return_tensors="pt",
                        add_special_tokens=False).input_ids.to(m.device)
        if q.shape[1] == 0:
            raise ClientError("BAD_ARGUMENT", "the question tokenises to nothing")
        kept = self.cache.get_seq_length()
        # generate() takes the cached prefix as input ids and feeds only the uncached tail, so the prefix is
        # placeholders; the positions are given, because a compressed cache is shorter than the context it
        # stands for and the question's RoPE positions continue from the original token count.
        ids = torch.cat([torch.zeros((1, kept), dtype=torch.long, device=m.device), q], dim=1)
        positions = torch.arange(self.next_position, self.next_position + q.shape[1], device=m.device).unsqueeze(0)
        eos = sorted(self._eos)
        pad = getattr(m.tokenizer, "pad_token_id", None)
        config = GenerationConfig(do_sample=False, num_beams=1, max_new_tokens=max_new_tokens,
                                  eos_token_id=eos or None, pad_token_id=pad if pad is not None else (eos[0] if eos else 0))
        try:
            out = m.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), position_ids=positions,
                                   past_key_values=self.cache, generation_config=config)
        finally:
            self.cache.crop(kept)  # the next question starts from the container's cache again
        new = out[0, ids.shape[1]:].tolist()
        for i, t in enumerate(new):
            if t in self._eos:
                return new[:i]
        return new

    def answer(self, question: str, max_new_tokens: int = 64, *, raw: bool = False) -> str:
        """The model's greedy answer to `question` about the context the container was made from."""
        ids = self.answer_ids(question, max_new_tokens, raw=raw)
        return self.model.tokenizer.decode(ids, skip_special_tokens=True)


def _resolve_model(model, device: str, dtype: str | None) -> LoadedModel:
    if isinstance(model, LoadedModel):
        return model
    if not isinstance(model, str) or not model or model == "none":
        raise ClientError("BAD_ARGUMENT", f"model must be a model spec (smollm2, tiny:llama, a path, a hub id) "
                          f"or a loaded model, got {model!r}")
    try:
        return load_model(model, device, dtype)
    except ModelLoadError as err:
        raise ClientError("BAD_ARGUMENT", f"cannot load model {model!r}: {err}") from None


def _is_npy(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(NPY_MAGIC)) == NPY_MAGIC
    except OSError as err:
        raise ClientError("IO", f"cannot read {path}: {err}") from None


def _container_error(err: ContainerError) -> ClientError:
    return ClientError(err.code, err.detail)


def load_container(source, model, *, expected_context: str | None = None,
                   expected_context_sha256: str | None = None, expected_hotkey: str | None = None,
                   target_model: str | None = None, allow_private: bool = False,
                   allow_addresses: tuple[str, ...] = (), max_redirects: int = 0, timeout: float = 60.0,
                   max_bytes: int = DEFAULT_MAX_BYTES, min_kept_tokens: int = 1, max_kept_tokens: int = 1 << 20,
                   allowed_dtypes: tuple[str, ...] = DTYPES, verify_signature: bool = True,
                   original_tokens: int | None = None, device: str = "cpu", dtype: str | None = None,
                   fetch_policy: FetchPolicy | None = None) -> LoadedContainer:
    """Fetch (http/https URL) or open (local path) a container, check it, and load it for `model`.

    Checks, in order: the URL policy and the guarded, capped, deadline-bound download; the container header
    against the model's config (layers, kv heads, head_dim), the dtype list and token bounds; `target_model`,
    the context binding (`expected_context` text, or its sha256) and `expected_hotkey`; the sr25519
    signature (always when the container is signed; an unsigned one is refused when a hotkey is expected);
    the data hash and NaN/Inf. A legacy `.npy` [L, 2, 1, H, T, D] float32 carries no binding: it is refused
    when a context or hotkey is expected; its positions continue from `original_tokens` (default: its length).
    Every refusal is a ClientError with a stable `code`.
    """
    text = os.fspath(source) if isinstance(source, os.PathLike) else source
    if not isinstance(text, str) or not text:
        raise ClientError("BAD_ARGUMENT", f"source must be a URL or a path, got {source!r}")
    policy = None
    if "://" in text:  # the URL is refused before a model is loaded or anything is dialled
        policy = fetch_policy or FetchPolicy(allow_private=allow_private, allow_addresses=tuple(allow_addresses),
                                             max_redirects=max_redirects, timeout_s=timeout)
        check_url(text, policy)
    loaded = _resolve_model(model, device, dtype)
    shape = container_shape(loaded)
    try:
        cap = min(max_bytes, max_container_bytes(shape, max_kept_tokens))
        limits = ContainerLimits(max_file_bytes=cap, min_kept_tokens=min_kept_tokens,
                                 max_kept_tokens=max_kept_tokens, allowed_dtypes=tuple(allowed_dtypes))
    except (ValueError, TypeError) as err:
        raise ClientError("BAD_ARGUMENT", str(err)) from None
    if expected_context is not None:
        if not isinstance(expected_context, str):
            raise ClientError("BAD_ARGUMENT", "expected_context must be the context text (a str)")
        sha = context_sha256(expected_context)
        if expected_context_sha256 is not None and expected_context_sha256 != sha:
            raise ClientError("BAD_ARGUMENT", "expected_context and expected_context_sha256 disagree")
        expected_context_sha256 = sha
    expect = Expectations(target_model=target_model, context_sha256=expected_context_sha256,
                          miner_hotkey=expected_hotkey)

    tmp_dir = None
    url = None
    try:
        if policy is not None:
            tmp_dir = private_dir()
            got = download(text, cap, policy, tmp_dir)
            path, url = got.path, got.url
        else:
            path = text
            if not os.path.isfile(path):
                raise ClientError("NOT_FOUND", f"no file at {path}")
        size = os.path.getsize(path)
        if _is_npy(path):
            return _load_legacy(path, loaded, shape, limits, expect, original_tokens, text, size, url)
        return _load_safetensors(path, loaded, shape, limits, expect, verify_signature, text, size, url)
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)


def _load_safetensors(path, loaded: LoadedModel, shape, limits, expect: Expectations, verify_sig, source, size, url):
    try:
        header = read_container_header(path, shape, limits, expect)
        required = expect.miner_hotkey is not None
        verified = _verify_signature(header, required) if verify_sig or required else False
        tensors, meta = read_container(path, shape, limits, expect, device=str(loaded.device),
                                       dequantize_to=loaded.dtype)
    except ContainerError as err:
        raise _container_error(err) from None
    if meta.data_sha256 != header.meta.data_sha256 or meta.signature != header.meta.signature:
        raise ClientError("IO", f"{path} changed while it was read")
    try:
        ctx: LoadedContext = load_context(loaded.model, (tensors, meta))
    except InvalidArgument as err:
        raise ClientError("BAD_METADATA", str(err)) from None
    return _finish(ctx, loaded, "safetensors", source, size, url, meta, verified)


def _load_legacy(path, loaded: LoadedModel, shape, limits, expect: Expectations, original_tokens, source, size, url):
    if expect.context_sha256 is not None or expect.miner_hotkey is not None:
        raise ClientError("LEGACY_UNBOUND", "a legacy .npy carries no context hash and no signature, so "
                          "expected_context/expected_hotkey cannot be checked; load it without them, or ask the "
                          "miner for a safetensors container")
    try:
        layers = import_legacy_npy(path, shape, limits)
    except ContainerError as err:
        raise _container_error(err) from None
    kept = int(layers[0][0].shape[2])
    nxt = kept if original_tokens is None else original_tokens
    if not isinstance(nxt, int) or isinstance(nxt, bool) or nxt < kept:
        raise ClientError("BAD_ARGUMENT", f"original_tokens {original_tokens!r} must be an integer >= the "
                          f".npy's {kept} tokens")
    p = next(loaded.model.parameters())
    ctx = LoadedContext([(k.to(p.device, p.dtype), v.to(p.device, p.dtype)) for k, v in layers], nxt)
    return _finish(ctx, loaded, "npy", source, size, url, None, False)


def _finish(ctx: LoadedContext, loaded: LoadedModel, fmt, source, size, url, meta, verified) -> LoadedContainer:
    cache = cache_from_layers(ctx.layers)
    return LoadedContainer(cache=cache, kept_tokens=cache.get_seq_length(), next_position=ctx.next_position,
                           format=fmt, model=loaded, source=source, bytes=size, meta=meta,
                           signature_verified=verified, url=url, _eos=eos_token_ids(loaded.model, loaded.tokenizer))
