"""Build a task: filler of the requested length with the kind's passages inserted at seeded depths."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from .chat import ChatFormat
from .filler import filler_sentences
from .kinds import BUILDERS, KINDS


class TaskError(ValueError):
    """Bad task request (unknown kind, impossible length, missing tokenizer for token units)."""


@dataclass(frozen=True)
class Task:
    kind: str
    seed: int
    context: str                 # raw context (no chat template)
    question: str                # raw question (no chat template)
    answers: tuple[str, ...]     # exact answers; a correct reply contains all of them
    answer_type: str             # "number" | "count"
    length: int                  # measured length of `context` in `unit`
    unit: str                    # "tokens" | "chars"
    passages: tuple[str, ...]    # the inserted passages, in context order
    answer_prefix: str = ""      # start of the assistant's reply, appended after the question's template

    def formatted(self, fmt: ChatFormat) -> tuple[str, str]:
        """(context, question) in the target model's chat format: the context opens the user turn and the
        question closes it (then the answer prefix starts the reply), so a compressed cache of the context
        can serve every question."""
        return fmt.context(self.context), fmt.question(self.question) + self.answer_prefix


def _rng(kind: str, seed: int, salt: str) -> random.Random:
    # String seeds hash with sha512 in CPython: stable across runs and machines.
    return random.Random(f"condense-task:{kind}:{seed}:{salt}")


def _assemble(fillers: list[str], inserts: list[tuple[float, str]]) -> tuple[str, tuple[str, ...]]:
    n = len(fillers)
    slots: dict[int, list[str]] = {}
    for depth, passage in inserts:
        slots.setdefault(min(n, int(round(depth * n))), []).append(passage)
    parts: list[str] = []
    order: list[str] = []
    for i in range(n + 1):
        for passage in slots.get(i, []):
            parts.append(passage)
            order.append(passage)
        if i < n:
            parts.append(fillers[i])
    return " ".join(parts), tuple(order)


def measure(unit: str, tokenizer) -> Callable[[str], int]:
    if unit == "chars":
        return len
    if unit == "tokens":
        if tokenizer is None:
            raise TaskError("a tokenizer is needed to measure length in tokens")
        return lambda text: len(tokenizer(text, add_special_tokens=False).input_ids)
    raise TaskError(f"unit must be 'tokens' or 'chars', got {unit!r}")


def generate_task(kind: str, seed: int, length: int, *, unit: str = "tokens", tokenizer=None) -> Task:
    """A reproducible task: the same (kind, seed, length, unit, tokenizer) always gives the same text.
    The context is the longest one whose length is <= `length` (filler is added sentence by sentence)."""
    if kind not in BUILDERS:
        raise TaskError(f"unknown task kind {kind!r}; known: {', '.join(KINDS)}")
    if not isinstance(seed, int) or seed < 0:
        raise TaskError(f"seed must be a non-negative integer, got {seed!r}")
    size = measure(unit, tokenizer)
    plan = BUILDERS[kind](_rng(kind, seed, "plan"))
    inserts = list(plan.inserts)
    minimum = size(_assemble([], inserts)[0])
    if length < minimum + 8:
        raise TaskError(f"{kind} needs at least {minimum + 8} {unit}, asked for {length}")
    # Filler pool: a generous upper bound (no sentence is shorter than ~8 tokens / 40 chars).
    pool = filler_sentences(_rng(kind, seed, "filler"), max(1, length // (8 if unit == "tokens" else 40)) + 1)
    lo, hi = 0, len(pool)           # largest n with size(text(n)) <= length
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(_assemble(pool[:mid], inserts)[0]) <= length:
            lo = mid
        else:
            hi = mid - 1
    context, order = _assemble(pool[:lo], inserts)
    return Task(kind=kind, seed=seed, context=context, question=plan.question, answers=plan.answers,
                answer_type=plan.answer_type, length=size(context), unit=unit, passages=order,
                answer_prefix=plan.answer_prefix)


def generate_suite(n: int, length: int, *, unit: str = "tokens", tokenizer=None, kinds=KINDS,
                   first_seed: int = 0) -> list[Task]:
    """`n` tasks cycling through `kinds`, seeds `first_seed`, `first_seed+1`, ..."""
    return [generate_task(kinds[i % len(kinds)], first_seed + i, length, unit=unit, tokenizer=tokenizer)
            for i in range(n)]
