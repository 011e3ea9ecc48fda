"""The quality benchmark's widened task set: harder kinds, several filler sources, a strict checker.

    generate_widened_task(kind, seed, length, filler="prose", *, tokenizer) -> Task
    check_answer_strict(task, reply) -> bool

Kinds: the original `needle_single`, `needle_multikey`, `kv_retrieval` plus `single_fact`, `needle_decoys`,
`lookalike_keys`, `two_hop` (kinds.py). Fillers: `prose`, `report`, `nature` (filler_sources.py). The same
arguments give the same task anywhere (seeded like `generate_task`, with the filler name in the seed).
"""
from __future__ import annotations

import re

from .filler_sources import FILLERS
from .generator import Task, TaskError, _assemble, _rng, measure
from .kinds import BUILDERS, WIDENED_BUILDERS

ALL_BUILDERS = {**{k: BUILDERS[k] for k in ("needle_single", "needle_multikey", "kv_retrieval")},
                **WIDENED_BUILDERS}
WIDENED_SET = tuple(ALL_BUILDERS)
_NUMBER = re.compile(r"\d+")


def generate_widened_task(kind: str, seed: int, length: int, filler: str = "prose", *, unit: str = "tokens",
                          tokenizer=None) -> Task:
    """The longest context of `filler` sentences not above `length`, with the kind's passages inserted."""
    if kind not in ALL_BUILDERS:
        raise TaskError(f"unknown widened kind {kind!r}; known: {', '.join(ALL_BUILDERS)}")
    if filler not in FILLERS:
        raise TaskError(f"unknown filler {filler!r}; known: {', '.join(FILLERS)}")
    size = measure(unit, tokenizer)
    tag = f"{kind}/{filler}"
    plan = ALL_BUILDERS[kind](_rng(tag, seed, "plan"))
    inserts = list(plan.inserts)
    minimum = size(_assemble([], inserts)[0])
    if length < minimum + 8:
        raise TaskError(f"{kind} needs at least {minimum + 8} {unit}, asked for {length}")
    pool = FILLERS[filler](_rng(tag, seed, "filler"), max(1, length // (6 if unit == "tokens" else 30)) + 1)
    lo, hi = 0, len(pool)
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


def check_answer_strict(task: Task, reply: str) -> bool:
    """Stricter than `check_answer`: the FIRST number of the reply is the answer and every other number in
    it repeats the answer. A reply that runs on past the number ("74388711" for 7438871), adds a second
    number, or names a decoy first is wrong. Thousands separators are accepted ("7,438,871")."""
    numbers = _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}\b)", "", reply))
    if not numbers:
        return False
    if task.answer_type == "count":
        return numbers[0] == task.answers[0]
    if len(task.answers) != 1:
        return numbers[:len(task.answers)] == list(task.answers) and set(numbers) <= set(task.answers)
    return all(n == task.answers[0] for n in numbers)
