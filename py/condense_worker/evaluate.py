"""Evaluate: answer formatted questions from a compressed context, as the validator does.

The cache is built once and shared by every question: `decoding.greedy_generate` continues positions
from the ORIGINAL token count (a pruned cache keeps its original RoPE rotations) and crops the cache back
after each answer, so nothing of one question leaks into the next. Soft-token containers are first run
through the decoder as `inputs_embeds` (their positions are 0..N-1, the next token is at N).
The existence check asks the model whether a quoted chunk is in the context (subnet validator, §4.5).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from .compress.prefill import captured_prefill
from .compress.types import CompressResult
from .decoding import cache_from_layers, eos_token_ids, greedy_generate
from .errors import InvalidArgument
from .tasks.chat import chat_format

EXISTENCE_PROMPT = ("Check the context above. Does the following quoted text appear in it, word for word or as a "
                    "clear paraphrase? Reply with one word: yes or no.\n\n```\n{chunk}\n```")
EXISTENCE_MAX_NEW_TOKENS = 8
_WORDS = re.compile(r"[a-z]+")


@dataclass
class LoadedContext:
    """A decoder-ready context: per-layer (k, v) in the model's dtype and where positions continue."""
    layers: list[tuple[torch.Tensor, torch.Tensor]]
    next_position: int


@dataclass
class EvaluateResult:
    answers: list[str]
    answer_ids: list[list[int]]
    existence: list[bool | None]          # per chunk: True = "yes", False = "no", None = neither/both
    existence_replies: list[str] = field(default_factory=list)
    compute_ms: float = 0.0


def existence_verdict(reply: str) -> bool | None:
    """The subnet's reading of a yes/no reply: "yes" without "no"/"not" is yes, the reverse is no."""
    words = set(_WORDS.findall(reply.lower()))
    yes, no = "yes" in words, bool(words & {"no", "not"})
    if yes and not no:
        return True
    if no and not yes:
        return False
    return None


def _to_model(t: torch.Tensor, model) -> torch.Tensor:
    p = next(model.parameters())
    return t.to(device=p.device, dtype=p.dtype)


def load_context(model, container) -> LoadedContext:
    """Accepts a CompressResult, a container path, or the `(tensors, meta)` pair `read_container` returns."""
    if isinstance(container, CompressResult):
        if container.format == "soft_tokens" and not container.keys:
            return _from_soft_tokens(model, container.soft_embeddings)
        layers = [(_to_model(k, model), _to_model(v, model)) for k, v in container.layers]
        return LoadedContext(layers, container.next_position)
    if isinstance(container, (str, bytes)) or hasattr(container, "__fspath__"):
        from .container import read_container
        container = read_container(container)
    if not (isinstance(container, tuple) and len(container) == 2):
        raise InvalidArgument(f"cannot evaluate a {type(container).__name__}; expected a container")
    tensors, meta = container
    kind = getattr(meta, "kind", None) or (meta.get("kind") if isinstance(meta, dict) else None)
    if kind == "soft_tokens" or isinstance(tensors, torch.Tensor):
        return _from_soft_tokens(model, tensors)
    original = getattr(meta, "original_tokens", None)
    params = getattr(meta, "params", None)
    if isinstance(meta, dict):
        original, params = meta.get("original_tokens"), meta.get("params")
    layers = [(_to_model(k, model), _to_model(v, model)) for k, v in tensors]
    kept = layers[0][0].shape[2]
    nxt = params.get("next_position") if isinstance(params, dict) else None
    if nxt is not None:  # soft-token / beacon caches: positions 0..N-1
        if not isinstance(nxt, int) or nxt < kept:
            raise InvalidArgument(f"container next_position {nxt!r} is not an integer >= its {kept} kept tokens")
        return LoadedContext(layers, nxt)
    if not isinstance(original, int) or original < kept:
        raise InvalidArgument(f"container original token count {original!r} is missing or below its kept count")
    return LoadedContext(layers, original)


def _from_soft_tokens(model, soft: torch.Tensor | None) -> LoadedContext:
    if soft is None or soft.dim() not in (2, 3):
        raise InvalidArgument("soft-token container has no [seq, hidden] embeddings")
    embeds = _to_model(soft if soft.dim() == 3 else soft.unsqueeze(0), model)
    prefill = captured_prefill(model, inputs_embeds=embeds, capture=False)
    layers = [prefill.layer_kv(i) for i in range(len(prefill.cache.layers))]
    return LoadedContext(layers, int(embeds.shape[1]))


def _collect(tokens: torch.Tensor, out: list[list[int]], done: list[bool], eos_ids: set[int]) -> bool:
    """Appends each unfinished row's next token (an EOS finishes the row instead); True when all are done."""
    for r, t in enumerate(tokens.tolist()):
        if not done[r]:
            if t in eos_ids:
                done[r] = True
            else:
                out[r].append(int(t))
    return all(done)


@torch.inference_mode()
def greedy_same_question(model, contexts: Sequence[LoadedContext], question_ids: torch.Tensor,
                         max_new_tokens: int, eos_ids: set[int], check: Callable[[], None] | None = None
                         ) -> list[list[int]]:
    """One question answered against several same-shaped contexts in ONE batched decode (rows = contexts).

    `decoding.greedy_generate` serves one cache; this batches across caches, which costs little more than
    one row on a CPU (decoding is bound by reading the weights). All contexts must have the same kept
    length and next position, so no padding or masking is needed and each row equals its own
    single-row decode up to float rounding."""
    if not contexts:
        return []
    shapes = {(c.layers[0][0].shape[2], c.next_position) for c in contexts}
    if len(shapes) != 1:
        raise InvalidArgument(f"batched contexts differ in kept length or position: {sorted(shapes)}")
    n_layers = len(contexts[0].layers)
    stacked = [(torch.cat([c.layers[i][0] for c in contexts]), torch.cat([c.layers[i][1] for c in contexts]))
               for i in range(n_layers)]
    cache = cache_from_layers(stacked)
    rows = len(contexts)
    device = stacked[0][0].device
    inputs = question_ids.to(device).expand(rows, -1)
    pos = contexts[0].next_position
    out: list[list[int]] = [[] for _ in range(rows)]
    done = [False] * rows
    for _ in range(max_new_tokens):
        if check is not None:
            check()
        n = inputs.shape[1]
        position_ids = torch.arange(pos, pos + n, device=device).unsqueeze(0).expand(rows, -1)
        logits = model(input_ids=inputs, past_key_values=cache, position_ids=position_ids, use_cache=True,
                       logits_to_keep=1).logits
        tokens = logits[:, -1].argmax(dim=-1)
        if _collect(tokens, out, done, eos_ids):
            break
        pos += n
        inputs = tokens.unsqueeze(1)
    return out


@torch.inference_mode()
def greedy_many_questions(model, ctx: LoadedContext, questions: Sequence[torch.Tensor], max_new_tokens: int,
                          eos_ids: set[int], check: Callable[[], None] | None = None) -> list[list[int]]:
    """Several questions against ONE context in one batched decode. Questions are left-padded; the pads sit
    between the cache and the question and are masked out, and each row's positions start at the
    context's next position, so a row computes what its single decode computes (up to float rounding from
    the different matrix shapes; `evaluate` therefore batches only when asked)."""
    if not questions:
        return []
    rows = len(questions)
    device = ctx.layers[0][0].device
    kept = ctx.layers[0][0].shape[2]
    width = max(int(q.shape[-1]) for q in questions)
    pad_id = 0
    ids = torch.full((rows, width), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros((rows, kept + width), dtype=torch.long, device=device)
    mask[:, :kept] = 1
    positions = torch.zeros((rows, width), dtype=torch.long, device=device)
    lengths = []
    for r, q in enumerate(questions):
        q = q.reshape(-1).to(device)
        n = int(q.shape[0])
        lengths.append(n)
        ids[r, width - n:] = q
        mask[r, kept + width - n:] = 1
        positions[r, width - n:] = torch.arange(ctx.next_position, ctx.next_position + n, device=device)
    cache = cache_from_layers([(k.expand(rows, -1, -1, -1).contiguous(), v.expand(rows, -1, -1, -1).contiguous())
                               for k, v in ctx.layers])
    nxt = torch.tensor([ctx.next_position + n for n in lengths], device=device)
    out: list[list[int]] = [[] for _ in range(rows)]
    done = [False] * rows
    inputs = ids
    for _ in range(max_new_tokens):
        if check is not None:
            check()
        logits = model(input_ids=inputs, attention_mask=mask, past_key_values=cache, position_ids=positions,
                       use_cache=True, logits_to_keep=1).logits
        tokens = logits[:, -1].argmax(dim=-1)
        if _collect(tokens, out, done, eos_ids):
            break
        inputs = tokens.unsqueeze(1)
        positions = nxt.unsqueeze(1)
        nxt = nxt + 1
        mask = torch.cat([mask, mask.new_ones(rows, 1)], dim=1)
    return out


def evaluate(model, tokenizer, container, questions: Sequence[str], max_new_tokens: int = 64,
             existence_chunks: Sequence[str] = (), *, check: Callable[[], None] | None = None,
             batch: bool = False) -> EvaluateResult:
    """Greedy answers to already-formatted `questions` and yes/no verdicts for `existence_chunks`.
    Sequential by default: each answer is then exactly the uncompressed decode's. `batch=True` answers all
    prompts in one padded batched decode (faster on many prompts, equal up to float rounding)."""
    if max_new_tokens < 1:
        raise InvalidArgument(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if any(not isinstance(q, str) or not q for q in questions):
        raise InvalidArgument("every question must be a non-empty string")
    started = time.perf_counter()
    ctx = load_context(model, container)
    cache = cache_from_layers(ctx.layers)
    eos = eos_token_ids(model, tokenizer)

    def ids_of(text: str) -> torch.Tensor:
        ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
        if ids.shape[1] == 0:
            raise InvalidArgument(f"question {text[:40]!r} tokenises to nothing")
        return ids

    def ask(text: str, limit: int) -> list[int]:
        return greedy_generate(model, cache, ids_of(text), original_length=ctx.next_position, max_new_tokens=limit,
                               eos_ids=eos, check=check)

    fmt = chat_format(tokenizer)
    probes = [fmt.question(EXISTENCE_PROMPT.format(chunk=c)) for c in existence_chunks]
    with torch.inference_mode():
        if batch and len(questions) + len(probes) > 1:
            answer_ids = greedy_many_questions(model, ctx, [ids_of(q) for q in questions], max_new_tokens, eos, check)
            probe_ids = greedy_many_questions(model, ctx, [ids_of(p) for p in probes], EXISTENCE_MAX_NEW_TOKENS,
                                              eos, check)
        else:
            answer_ids = [ask(q, max_new_tokens) for q in questions]
            probe_ids = [ask(p, EXISTENCE_MAX_NEW_TOKENS) for p in probes]
    replies = [tokenizer.decode(p, skip_special_tokens=True) for p in probe_ids]
    return EvaluateResult(answers=[tokenizer.decode(a, skip_special_tokens=True) for a in answer_ids],
                          answer_ids=answer_ids, existence=[existence_verdict(r) for r in replies],
                          existence_replies=replies, compute_ms=(time.perf_counter() - started) * 1000)
