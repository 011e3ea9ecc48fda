"""Exact answer checking and existence-check chunks for procedural tasks."""
from __future__ import annotations

import re

from .filler import filler_sentences
from .generator import Task, _rng

_INT = re.compile(r"\d+")


def check_answer(task: Task, reply: str) -> bool:
    """True when `reply` answers `task` exactly: every expected number appears as a whole number
    ("number"), or the first number in the reply is the count ("count")."""
    numbers = _INT.findall(reply.replace(",", ""))
    if task.answer_type == "count":
        return bool(numbers) and numbers[0] == task.answers[0]
    return all(a in numbers for a in task.answers)


def existence_chunks(task: Task, n_positive: int = 2, n_negative: int = 2) -> list[tuple[str, bool]]:
    """(chunk, is_in_context) pairs for the validator's existence check: positives are passages or
    filler sentences of the context; negatives are sentences of the same style that are NOT in it."""
    rng = _rng(task.kind, task.seed, "existence")
    sentences = [s.strip() + "." for s in task.context.split(". ") if s.strip()]
    sentences = [s[:-1] if s.endswith("..") else s for s in sentences]
    positives = rng.sample(sentences, min(n_positive, len(sentences)))
    negatives: list[str] = []
    tries = 0
    while len(negatives) < n_negative and tries < 1000:
        tries += 1
        cand = filler_sentences(rng, 1)[0]
        if cand not in task.context and cand not in negatives:
            negatives.append(cand)
    chunks = [(p, True) for p in positives] + [(n, False) for n in negatives]
    rng.shuffle(chunks)
    return chunks
