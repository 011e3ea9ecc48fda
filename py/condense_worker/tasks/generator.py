"""Build a task: filler of the requested length with the kind's passages inserted at seeded depths."""
from __future__ import annotations

import random
import re
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


# ---- Challenges: several tasks in one context, padded to a character length drawn within bounds --------

CHALLENGE_GENERATOR = "condense-challenge-v1"
_WORD = re.compile(r"[a-z0-9][a-z0-9-]*")

# Unrelated prose for negative existence chunks: another topic and vocabulary than the filler, so a
# negative chunk is plainly absent from any challenge context.
_U_SUBJECTS = ("the committee", "a research team", "the city council", "an engineer", "the orchestra",
               "a software vendor", "the museum", "a botanist", "the weather service", "an astronomer")
_U_VERBS = ("published", "approved", "measured", "rejected", "postponed", "announced", "calibrated",
            "reviewed", "catalogued", "funded")
_U_OBJECTS = ("a report on tidal energy", "the new transit budget", "a survey of alpine lichens",
              "the telescope upgrade", "a study of copper alloys", "the spring concert programme",
              "a patch for the billing system", "the flood warning thresholds", "a map of coral reefs")
_U_TAILS = ("after months of debate", "ahead of the conference", "despite several objections",
            "with support from two universities", "for the coming fiscal year", "following a public hearing")


def unrelated_sentences(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        s = f"{rng.choice(_U_SUBJECTS)} {rng.choice(_U_VERBS)} {rng.choice(_U_OBJECTS)} {rng.choice(_U_TAILS)}."
        out.append(s[0].upper() + s[1:])
    return out


@dataclass(frozen=True)
class ChallengeQuestion:
    kind: str
    question: str                # raw
    formatted_question: str      # closes the user turn in the chat format, then the answer prefix
    answers: tuple[str, ...]
    answer_type: str


@dataclass(frozen=True)
class Challenge:
    seed: int
    salt: str
    context: str                 # raw
    formatted_context: str       # opens the user turn; its length is within the bounds
    questions: tuple[ChallengeQuestion, ...]
    chunks: tuple[tuple[str, bool], ...]   # (text, in_context), shuffled
    drawn_chars: int


def _builders() -> dict:
    # The widened kinds (kinds.WIDENED_BUILDERS) may be asked for by name as well.
    from . import kinds as _kinds
    return {**BUILDERS, **getattr(_kinds, "WIDENED_BUILDERS", {})}


def challenge_kinds() -> tuple[str, ...]:
    return tuple(_builders())


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


_TEMPLATES: dict[str, frozenset[str]] = {}


def _template_words(kind: str, build) -> frozenset[str]:
    """Words every plan of this kind uses (its phrasing); the rest of a plan's words are its entities."""
    if kind not in _TEMPLATES:
        sets = [_plan_words(build(random.Random(f"condense-template:{kind}:{i}"))) for i in range(16)]
        _TEMPLATES[kind] = frozenset(set.intersection(*sets))
    return _TEMPLATES[kind]


def _plan_words(plan) -> set[str]:
    return _words(" ".join([plan.question, plan.answer_prefix, *(p for _, p in plan.inserts)]))



def mix_existence_chunks(rng: random.Random, context: str, positives: list[str], n_positive: int, n_negative: int,
                         what: str = "context") -> list[tuple[str, bool]]:
    """The positives drawn from `context` plus `n_negative` chunks of unrelated prose not in it, labelled
    (text, in_context) and shuffled with `rng`; a TaskError when either count cannot be reached."""
    negatives: list[str] = []
    for _ in range(1000):
        if len(negatives) >= n_negative:
            break
        chunk = " ".join(unrelated_sentences(rng, 2))
        if chunk not in context and chunk not in negatives:
            negatives.append(chunk)
    if len(positives) < n_positive or len(negatives) < n_negative:
        raise TaskError(f"the {what} is too short for the existence chunks asked for")
    chunks = [(c, True) for c in positives] + [(c, False) for c in negatives]
    rng.shuffle(chunks)
    return chunks

def generate_challenge(seed: int, *, min_chars: int, max_chars: int, fmt: ChatFormat, kinds=KINDS,
                       num_questions: int = 1, salt: str = "", n_positive: int = 2, n_negative: int = 2) -> Challenge:
    """`num_questions` tasks hidden in one filler context whose formatted length (the chat format's prefix
    included, in code points) lies in [min_chars, max_chars], drawn from the seed. Everything derives from
    (seed, salt): the same arguments give the same challenge anywhere; another salt gives other content.
    Plans whose entities (keys, names, colours, numbers) overlap are redrawn, so no question is ambiguous."""
    builders = _builders()
    kinds = tuple(kinds) or tuple(KINDS)
    unknown = [k for k in kinds if k not in builders]
    if unknown:
        raise TaskError(f"unknown task kind(s) {', '.join(map(repr, unknown))}; known: {', '.join(builders)}")
    if not isinstance(seed, int) or seed < 0:
        raise TaskError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < min_chars <= max_chars:
        raise TaskError(f"need 0 < min_chars <= max_chars, got {min_chars}, {max_chars}")
    if num_questions < 1:
        raise TaskError(f"num_questions must be >= 1, got {num_questions}")
    base = f"{CHALLENGE_GENERATOR}:{seed}:{salt}"
    rng = random.Random(base)
    drawn = rng.randint(min_chars, max_chars)
    plans: list[tuple[str, object, set[str]]] = []
    for i in range(num_questions):
        for attempt in range(64):
            kind = rng.choice(kinds)
            build = builders[kind]
            plan = build(random.Random(f"{base}:plan:{i}:{attempt}"))
            entities = _plan_words(plan) - _template_words(kind, build)
            if all(not (entities & other) for _, _, other in plans):
                plans.append((kind, plan, entities))
                break
        else:
            raise TaskError(f"could not draw {num_questions} non-overlapping questions from kinds {list(kinds)}")
    inserts = [ins for _, plan, _ in plans for ins in plan.inserts]
    size = lambda text: len(fmt.context(text))  # noqa: E731
    if size(_assemble([], inserts)[0]) > max_chars:
        raise TaskError(f"{num_questions} question(s) need more than max_chars={max_chars} characters")
    pool = filler_sentences(random.Random(f"{base}:filler"), max(1, max_chars // 40) + 1)
    n = _fit(pool, inserts, size, drawn)
    while size(_assemble(pool[:n], inserts)[0]) < min_chars and n < len(pool):
        n += 1
    context, _ = _assemble(pool[:n], inserts)
    if not min_chars <= size(context) <= max_chars:
        raise TaskError(f"cannot fit a context into [{min_chars}, {max_chars}] characters (got {size(context)})")
    chunk_rng = random.Random(f"{base}:chunks")
    positives: list[str] = []
    if len(set(pool[:n])) < n_positive:  # a short context crowded with passages: take whole sentences
        sentences = sorted({p for p in pool[:n]} | {ins for _, ins in inserts})
        positives = chunk_rng.sample(sentences, min(n_positive, len(sentences)))
    for _ in range(1000):
        if len(positives) >= n_positive:
            break
        j = chunk_rng.randrange(n)
        chunk = " ".join(pool[j:min(n, j + 2)])
        if chunk not in context:  # a passage sits between the two sentences
            chunk = pool[j]
        if chunk not in positives:
            positives.append(chunk)
    chunks = mix_existence_chunks(chunk_rng, context, positives, n_positive, n_negative)
    questions = tuple(ChallengeQuestion(kind=kind, question=plan.question,
                                        formatted_question=fmt.question(plan.question) + plan.answer_prefix,
                                        answers=tuple(plan.answers), answer_type=plan.answer_type)
                      for kind, plan, _ in plans)
    return Challenge(seed=seed, salt=salt, context=context, formatted_context=fmt.context(context),
                     questions=questions, chunks=tuple(chunks), drawn_chars=drawn)


def _fit(pool: list[str], inserts, size: Callable[[str], int], length: int) -> int:
    """The largest n with size(text of pool[:n] and the inserts) <= length (0 when none fits)."""
    lo, hi = 0, len(pool)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(_assemble(pool[:mid], inserts)[0]) <= length:
            lo = mid
        else:
            hi = mid - 1
    return lo
