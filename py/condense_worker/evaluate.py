"""Evaluate: answer formatted questions from a compressed context, as the validator does.

The cache is built once and shared by every question: `decoding.greedy_generate` continues positions
from the ORIGINAL token count (a pruned cache keeps its original RoPE rotations) and crops the cache back
after each answer, so nothing of one question leaks into the next. Soft-token containers are first run
through the decoder as `inputs_embeds` (their positions are 0..N-1, the next token is at N).
The existence check asks the model whether a quoted chunk is in the context (subnet validator, §4.5).

Answer checking lives here (`check_reply`), so the validator's TypeScript side only reads verdicts. Free-form
answers (corpus QA) are judged by the same model without the container (`judge_answers`): the subnet's
---QUESTION---/---ANSWER---/---GROUND TRUTH--- prompt, correct iff the reply says yes and neither no nor not.
`evaluate_many` answers several containers (different kept lengths, different original lengths, different
questions) in padded batched decodes: `greedy_rows` left-pads every row's cache to the longest kept length
and its prompt to the longest prompt, masks both paddings, and continues each row's positions from its own
context's next position, so a row computes what its own single decode computes.
"""
from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from .compress.prefill import captured_prefill
from .compress.types import CompressResult
from .decoding import cache_from_layers, eos_token_ids, greedy_generate
from .errors import InvalidArgument
from .tasks.chat import ChatFormat, chat_format
from .tasks.corpus import judge_prompt, judge_verdict

EXISTENCE_PROMPT = ("Check the context above. Does the following quoted text appear in it, word for word or as a "
                    "clear paraphrase? Reply with one word: yes or no.\n\n```\n{chunk}\n```")
EXISTENCE_MAX_NEW_TOKENS = 8
_WORDS = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\d+")
_DIGIT_GROUP = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")

ANSWER_CHECKS = ("procedural", "exact", "judge")
JUDGE_MAX_NEW_TOKENS = 16   # the subnet's judge budget; the verdict is read from the first words
# Batch caps for evaluate_many (rows = container x prompt); the request may lower the row cap.
DEFAULT_MAX_BATCH_ROWS = int(os.environ.get("CONDENSE_EVAL_MAX_ROWS", "32"))
DEFAULT_MAX_BATCH_BYTES = int(os.environ.get("CONDENSE_EVAL_MAX_BATCH_BYTES", str(2 << 30)))


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
    correct: list[bool] = field(default_factory=list)            # per question, when answers were expected
    existence_correct: list[bool] = field(default_factory=list)  # per chunk, when labels were given


def normalise(text: str) -> str:
    """NFKC, case-folded, digit-group commas dropped ("1,234,567" -> "1234567"), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_DIGIT_GROUP.sub("", text).split())


def check_reply(expected: Sequence[str], reply: str, mode: str = "procedural") -> bool:
    """The one answer check. "procedural": the first k numbers of the normalised reply are the k expected
    numbers (as a set), so "4100365." and "is 4,100,365" pass and "7 or 4100365" does not. "exact": the
    normalised reply, stripped of surrounding punctuation, equals one normalised expected answer. ("judge" needs
    the model: `judge_answers`.)"""
    if mode not in ANSWER_CHECKS:
        raise InvalidArgument(f"unknown answer check {mode!r}; known: {', '.join(ANSWER_CHECKS)}")
    want = _valid_expected(expected)
    if mode == "judge":
        raise InvalidArgument("judged answers need the model: use judge_answers")
    text = normalise(reply)
    if mode == "exact":
        strip = " .,;:!?\"'`()[]{}"
        return text.strip(strip) in {a.strip(strip) for a in want}
    if any(not a.isdigit() for a in want):
        raise InvalidArgument("procedural answers are numbers")
    got = _NUMBER.findall(text)[:len(want)]
    return sorted(got) == sorted(want)


def _valid_expected(expected: Sequence[str]) -> list[str]:
    want = [normalise(a) for a in expected]
    if not want or any(not a for a in want):
        raise InvalidArgument("every question needs at least one non-empty expected answer")
    return want


def existence_correct(reply: str, in_context: bool) -> bool:
    """Right iff the subnet's strict reading gives the label (a reply that is neither is wrong)."""
    return existence_verdict(reply) is bool(in_context)


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
    """Accepts a CompressResult, a container path, the `(tensors, meta)` pair `read_container` returns, or a
    LoadedContext (returned as is)."""
    if isinstance(container, LoadedContext):
        return container
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


@dataclass
class Row:
    """One prompt against one context in a batched decode."""
    ctx: LoadedContext
    ids: torch.Tensor          # [1, n] or [n] prompt tokens
    max_new_tokens: int


def greedy_many_questions(model, ctx: LoadedContext, questions: Sequence[torch.Tensor], max_new_tokens: int,
                          eos_ids: set[int], check: Callable[[], None] | None = None) -> list[list[int]]:
    """Several questions against ONE context in one batched decode (see `greedy_rows`)."""
    return greedy_rows(model, [Row(ctx, q, max_new_tokens) for q in questions], eos_ids, check)


def row_bytes(ctx: LoadedContext) -> int:
    """Bytes of one row's cache at this context's kept length."""
    return sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in ctx.layers)


def greedy_rows_capped(model, rows: Sequence[Row], eos_ids: set[int], check: Callable[[], None] | None = None, *,
                       max_rows: int = DEFAULT_MAX_BATCH_ROWS, max_bytes: int = DEFAULT_MAX_BATCH_BYTES
                       ) -> list[list[int]]:
    """`greedy_rows` in groups of at most `max_rows` rows and about `max_bytes` of padded cache. Rows are
    grouped by kept length (longest first) so little padding is decoded; results come back in row order."""
    if max_rows < 1:
        raise InvalidArgument(f"max_rows must be >= 1, got {max_rows}")
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].ctx.layers[0][0].shape[2], i))
    out: list[list[int] | None] = [None] * len(rows)
    group: list[int] = []
    for i in order + [-1]:
        if group and (i < 0 or len(group) >= max_rows
                      or (len(group) + 1) * row_bytes(rows[group[0]].ctx) > max_bytes):
            for j, ids in zip(group, greedy_rows(model, [rows[j] for j in group], eos_ids, check)):
                out[j] = ids
            group = []
        if i >= 0:
            group.append(i)
    return [o if o is not None else [] for o in out]


@torch.inference_mode()
def greedy_rows(model, rows: Sequence[Row], eos_ids: set[int], check: Callable[[], None] | None = None
                ) -> list[list[int]]:
    """Greedy answers for rows that may each have their own context (kept length, next position) and prompt,
    in ONE batched decode. Caches are left-padded along the kept-token axis to the longest one and prompts
    left-padded to the longest prompt; the attention mask hides both paddings, and each row's positions
    continue from its own context's next position. A row stops at EOS or its own `max_new_tokens`. Each
    row computes what its single decode computes, up to float rounding from the different matrix shapes."""
    if not rows:
        return []
    first = rows[0].ctx.layers
    n_layers = len(first)
    for r in rows:
        if len(r.ctx.layers) != n_layers or any(
                r.ctx.layers[i][0].shape[1::2] != first[i][0].shape[1::2] for i in range(n_layers)):
            raise InvalidArgument("batched contexts differ in layer count, heads or head size")
    n = len(rows)
    device = first[0][0].device
    kept = [int(r.ctx.layers[0][0].shape[2]) for r in rows]
    width_kv = max(kept)
    prompts = [r.ids.reshape(-1).to(device) for r in rows]
    lengths = [int(p.shape[0]) for p in prompts]
    if min(lengths) < 1:
        raise InvalidArgument("a prompt tokenises to nothing")
    width = max(lengths)
    layers = []
    for i in range(n_layers):
        k0, v0 = first[i]
        keys = k0.new_zeros((n, k0.shape[1], width_kv, k0.shape[3]))
        values = v0.new_zeros((n, v0.shape[1], width_kv, v0.shape[3]))
        for j, r in enumerate(rows):
            k, v = r.ctx.layers[i]
            keys[j, :, width_kv - kept[j]:] = k[0]
            values[j, :, width_kv - kept[j]:] = v[0]
        layers.append((keys, values))
    cache = cache_from_layers(layers)
    del layers
    ids = torch.zeros((n, width), dtype=torch.long, device=device)
    mask = torch.zeros((n, width_kv + width), dtype=torch.long, device=device)
    positions = torch.zeros((n, width), dtype=torch.long, device=device)
    for j, (r, p) in enumerate(zip(rows, prompts)):
        m = lengths[j]
        mask[j, width_kv - kept[j]:width_kv] = 1
        ids[j, width - m:] = p
        mask[j, width_kv + width - m:] = 1
        positions[j, width - m:] = torch.arange(r.ctx.next_position, r.ctx.next_position + m, device=device)
    nxt = torch.tensor([r.ctx.next_position + m for r, m in zip(rows, lengths)], device=device)
    limits = [r.max_new_tokens for r in rows]
    out: list[list[int]] = [[] for _ in range(n)]
    done = [lim < 1 for lim in limits]
    live = list(range(n))  # batch row -> original row; finished rows leave the batch
    inputs = ids
    for _ in range(max(limits)):
        if all(done):
            break
        if check is not None:
            check()
        logits = model(input_ids=inputs, attention_mask=mask, past_key_values=cache, position_ids=positions,
                       use_cache=True, logits_to_keep=1).logits
        tokens = logits[:, -1].argmax(dim=-1)
        for b, (j, t) in enumerate(zip(live, tokens.tolist())):
            if done[j]:
                continue
            if t in eos_ids:
                done[j] = True
            else:
                out[j].append(int(t))
                done[j] = len(out[j]) >= limits[j]
        keep = [b for b, j in enumerate(live) if not done[j]]
        if not keep:
            break
        if len(keep) < len(live):  # e.g. existence probes stop at 8 tokens while answers go on
            idx = torch.tensor(keep, device=device)
            cache.batch_select_indices(idx)
            tokens, nxt, mask = tokens[idx], nxt[idx], mask[idx]
            live = [live[b] for b in keep]
        inputs = tokens.unsqueeze(1)
        positions = nxt.unsqueeze(1)
        nxt = nxt + 1
        mask = torch.cat([mask, mask.new_ones(len(live), 1)], dim=1)
    return out


def _ids_of(tokenizer, text: str) -> torch.Tensor:
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
    if ids.shape[1] == 0:
        raise InvalidArgument(f"question {text[:40]!r} tokenises to nothing")
    return ids


def raw_question(fmt: ChatFormat, formatted: str) -> str:
    """The question inside a formatted one (`fmt.question`), for the judge; the text itself when it is not."""
    if formatted.startswith("\n\n") and formatted.endswith(fmt.suffix) and len(formatted) >= 2 + len(fmt.suffix):
        return formatted[2:len(formatted) - len(fmt.suffix)]
    return formatted.strip()


def judge_answers(model, tokenizer, questions: Sequence[str], answers: Sequence[str],
                  expected: Sequence[Sequence[str]], *, check: Callable[[], None] | None = None,
                  max_rows: int = DEFAULT_MAX_BATCH_ROWS) -> tuple[list[bool], list[str]]:
    """(verdicts, judge replies): the model, given no context, judges each answer against its ground truth in
    one batched decode per `max_rows` prompts. Greedy, so the same answers always get the same verdicts."""
    if not questions:
        return [], []
    fmt = chat_format(tokenizer)
    cfg = model.config
    heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    p = next(model.parameters())
    empty = torch.zeros((1, heads, 0, head_dim), device=p.device, dtype=p.dtype)
    # No context: an empty cache at position 0, so the judge rows batch like any other rows.
    none = LoadedContext([(empty, empty) for _ in range(cfg.num_hidden_layers)], 0)
    prompts = [fmt.context(judge_prompt(raw_question(fmt, q), a, " / ".join(e))) + fmt.suffix
               for q, a, e in zip(questions, answers, expected)]
    rows = [Row(none, _ids_of(tokenizer, t), JUDGE_MAX_NEW_TOKENS) for t in prompts]
    top = getattr(cfg, "max_position_embeddings", 0) or 0
    if top and max(int(r.ids.shape[-1]) for r in rows) + JUDGE_MAX_NEW_TOKENS > top:
        raise InvalidArgument(f"a judge prompt exceeds the model's {top} positions")
    ids = greedy_rows_capped(model, rows, eos_token_ids(model, tokenizer), check, max_rows=max_rows)
    replies = [tokenizer.decode(x, skip_special_tokens=True) for x in ids]
    return [judge_verdict(r) for r in replies], replies


def _check_prompts(questions: Sequence[str], expected, labels, chunks, answer_check: str | None) -> None:
    if any(not isinstance(q, str) or not q for q in questions):
        raise InvalidArgument("every question must be a non-empty string")
    if expected is not None:
        if len(expected) != len(questions):
            raise InvalidArgument(f"{len(expected)} expected answers for {len(questions)} questions")
        if answer_check not in ANSWER_CHECKS:
            raise InvalidArgument(f"expected answers need an answer check ({', '.join(ANSWER_CHECKS)}), "
                                  f"got {answer_check!r}")
        for answers in expected:  # validates them once, before any decoding
            _valid_expected(answers) if answer_check == "judge" else check_reply(answers, "", answer_check)
    if labels is not None and len(labels) != len(chunks):
        raise InvalidArgument(f"{len(labels)} existence labels for {len(chunks)} chunks")


def _verdicts(result: EvaluateResult, expected, labels, answer_check: str | None) -> EvaluateResult:
    if expected is not None and answer_check != "judge":  # judged verdicts are filled in by the caller
        result.correct = [check_reply(e, a, answer_check or "procedural") for e, a in zip(expected, result.answers)]
    if labels is not None:
        result.existence_correct = [existence_correct(r, lab) for r, lab in zip(result.existence_replies, labels)]
    return result


def evaluate(model, tokenizer, container, questions: Sequence[str], max_new_tokens: int = 64,
             existence_chunks: Sequence[str] = (), *, check: Callable[[], None] | None = None,
             batch: bool = False, expected: Sequence[Sequence[str]] | None = None,
             answer_check: str | None = None, existence_labels: Sequence[bool] | None = None) -> EvaluateResult:
    """Greedy answers to already-formatted `questions` and yes/no verdicts for `existence_chunks`.
    Sequential by default: each answer is then exactly the uncompressed decode's. `batch=True` answers all
    prompts in one padded batched decode (faster on many prompts, equal up to float rounding). With
    `expected` (per question) and `answer_check`, `correct` holds the verdicts; with `existence_labels`,
    `existence_correct` does."""
    if max_new_tokens < 1:
        raise InvalidArgument(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    _check_prompts(questions, expected, existence_labels, existence_chunks, answer_check)
    started = time.perf_counter()
    ctx = load_context(model, container)
    cache = cache_from_layers(ctx.layers)
    eos = eos_token_ids(model, tokenizer)

    def ask(text: str, limit: int) -> list[int]:
        return greedy_generate(model, cache, _ids_of(tokenizer, text), original_length=ctx.next_position,
                               max_new_tokens=limit, eos_ids=eos, check=check)

    fmt = chat_format(tokenizer)
    probes = [fmt.question(EXISTENCE_PROMPT.format(chunk=c)) for c in existence_chunks]
    with torch.inference_mode():
        if batch and len(questions) + len(probes) > 1:
            rows = [Row(ctx, _ids_of(tokenizer, q), max_new_tokens) for q in questions]
            rows += [Row(ctx, _ids_of(tokenizer, p), EXISTENCE_MAX_NEW_TOKENS) for p in probes]
            ids = greedy_rows(model, rows, eos, check)
            answer_ids, probe_ids = ids[:len(questions)], ids[len(questions):]
        else:
            answer_ids = [ask(q, max_new_tokens) for q in questions]
            probe_ids = [ask(p, EXISTENCE_MAX_NEW_TOKENS) for p in probes]
    replies = [tokenizer.decode(p, skip_special_tokens=True) for p in probe_ids]
    result = EvaluateResult(answers=[tokenizer.decode(a, skip_special_tokens=True) for a in answer_ids],
                            answer_ids=answer_ids, existence=[existence_verdict(r) for r in replies],
                            existence_replies=replies)
    if expected is not None and answer_check == "judge":
        result.correct, _ = judge_answers(model, tokenizer, questions, result.answers, expected, check=check)
    result.compute_ms = (time.perf_counter() - started) * 1000
    return _verdicts(result, expected, existence_labels, answer_check)


@dataclass
class EvalItem:
    """One container of `evaluate_many`, with its own prompts and ground truth."""
    ctx: LoadedContext
    questions: Sequence[str]
    existence_chunks: Sequence[str] = ()
    expected: Sequence[Sequence[str]] | None = None
    existence_labels: Sequence[bool] | None = None


def evaluate_many(model, tokenizer, items: Sequence[EvalItem], max_new_tokens: int = 64, *,
                  check: Callable[[], None] | None = None, answer_check: str | None = None,
                  max_rows: int = DEFAULT_MAX_BATCH_ROWS, max_bytes: int = DEFAULT_MAX_BATCH_BYTES
                  ) -> list[EvaluateResult]:
    """Every item's questions and existence probes as rows of padded batched decodes (`greedy_rows`, in
    groups capped by rows and bytes); per item, the same result `evaluate` gives one container at a time
    (up to float rounding, see `greedy_rows`)."""
    if max_new_tokens < 1:
        raise InvalidArgument(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    for it in items:
        _check_prompts(it.questions, it.expected, it.existence_labels, it.existence_chunks, answer_check)
    started = time.perf_counter()
    eos = eos_token_ids(model, tokenizer)
    fmt = chat_format(tokenizer)
    rows: list[Row] = []
    spans = []
    for it in items:
        first = len(rows)
        rows += [Row(it.ctx, _ids_of(tokenizer, q), max_new_tokens) for q in it.questions]
        rows += [Row(it.ctx, _ids_of(tokenizer, fmt.question(EXISTENCE_PROMPT.format(chunk=c))),
                     EXISTENCE_MAX_NEW_TOKENS) for c in it.existence_chunks]
        spans.append((first, first + len(it.questions), len(rows)))
    ids = greedy_rows_capped(model, rows, eos, check, max_rows=max_rows, max_bytes=max_bytes)
    results = []
    for it, (a, b, c) in zip(items, spans):
        replies = [tokenizer.decode(p, skip_special_tokens=True) for p in ids[b:c]]
        res = EvaluateResult(answers=[tokenizer.decode(x, skip_special_tokens=True) for x in ids[a:b]],
                             answer_ids=ids[a:b], existence=[existence_verdict(r) for r in replies],
                             existence_replies=replies)
        results.append(_verdicts(res, it.expected, it.existence_labels, answer_check))
    if answer_check == "judge":  # every item's judge prompts in the same batched decodes
        judged = [(res, it) for res, it in zip(results, items) if it.expected is not None]
        verdicts, _ = judge_answers(model, tokenizer, [q for _, it in judged for q in it.questions],
                                    [a for res, _ in judged for a in res.answers],
                                    [e for _, it in judged for e in it.expected], check=check, max_rows=max_rows)
        for res, _ in judged:
            res.correct, verdicts = verdicts[:len(res.answers)], verdicts[len(res.answers):]
    elapsed = (time.perf_counter() - started) * 1000
    for res in results:
        res.compute_ms = elapsed
    return results
