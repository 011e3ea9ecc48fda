"""Procedural question-answering samples for training and held-out evaluation.

Two families: the validator's challenge kinds (condense_worker.tasks: needles, key-value retrieval,
variable tracking, counting) and a few short single-fact tasks with small answer sets, which a briefly
trained condenser can learn first. Everything is drawn from seeded RNGs; training seeds stay below
HELD_OUT_SEED_BASE and held-out seeds above it, so evaluation tasks are never trained on.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

WORDS = ("river stone garden window paper cloud market bridge silver lantern forest harbor engine "
         "candle mirror valley meadow winter summer autumn spring orchard castle village letter "
         "journey morning evening shadow thunder ribbon pocket whistle compass anchor").split()
COLOURS = ["red", "blue", "green", "yellow", "black", "white", "purple", "orange"]
OBJECTS = ["box", "car", "door", "hat", "cup", "kite", "boat", "lamp"]
NAMES = ["Alice", "Bruno", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana"]
CITIES = ["Lisbon", "Oslo", "Cairo", "Lima", "Hanoi", "Quito", "Dublin", "Perth"]


@dataclass(frozen=True)
class QASample:
    context: str
    question: str
    answer: str
    task: str


def filler(rng: random.Random, n_words: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n_words)]
    sentences, i = [], 0
    while i < len(words):
        k = rng.randint(5, 10)
        chunk = words[i:i + k]
        sentences.append(" ".join(chunk).capitalize() + ".")
        i += k
    return " ".join(sentences)


def _embed(rng: random.Random, fact: str, context_chars: int) -> str:
    """Places `fact` at a random sentence boundary inside filler of roughly context_chars."""
    n_words = max(0, (context_chars - len(fact)) // 7)
    sentences = filler(rng, n_words).split(". ") if n_words else []
    at = rng.randint(0, len(sentences))
    parts = sentences[:at] + [fact.rstrip(".")] + sentences[at:]
    return ". ".join(p.rstrip(".") for p in parts) + "."


def colour_fact(rng: random.Random, context_chars: int) -> QASample:
    obj, colour = rng.choice(OBJECTS), rng.choice(COLOURS)
    return QASample(_embed(rng, f"The {obj} is {colour}.", context_chars),
                    f"What colour is the {obj}?", colour, "colour_fact")


def city_fact(rng: random.Random, context_chars: int) -> QASample:
    name, city = rng.choice(NAMES), rng.choice(CITIES)
    return QASample(_embed(rng, f"{name} lives in {city}.", context_chars),
                    f"Where does {name} live?", city, "city_fact")


def key_value(rng: random.Random, context_chars: int) -> QASample:
    key = rng.choice(WORDS)
    value = str(rng.randint(1000, 9999))
    return QASample(_embed(rng, f"The secret number for {key} is {value}.", context_chars),
                    f"What is the secret number for {key}?", value, "key_value")


HELD_OUT_SEED_BASE = 2**31


def challenge(rng: random.Random, context_chars: int, seed: int | None = None) -> QASample:
    """One of the validator's procedural challenge kinds (falls back to key_value when too short)."""
    from ..tasks import KINDS, TaskError, generate_task

    kind = rng.choice(KINDS)
    try:
        t = generate_task(kind, rng.randrange(HELD_OUT_SEED_BASE) if seed is None else seed, context_chars, unit="chars")
    except TaskError:
        return key_value(rng, context_chars)
    question = f"{t.question}\n{t.answer_prefix}".rstrip() if t.answer_prefix else t.question
    return QASample(t.context, question, " ".join(t.answers), f"challenge:{kind}")


GENERATORS = {"colour_fact": colour_fact, "city_fact": city_fact, "key_value": key_value, "challenge": challenge}


def qa_sample(rng: random.Random, context_chars: int, tasks: tuple[str, ...] = tuple(GENERATORS)) -> QASample:
    return GENERATORS[rng.choice(tasks)](rng, context_chars)


def held_out(seed: int, n: int, context_chars: int, tasks: tuple[str, ...] = tuple(GENERATORS)) -> list[QASample]:
    """A fixed evaluation set; challenge seeds come from above HELD_OUT_SEED_BASE (never trained on)."""
    rng = random.Random(f"held-out:{seed}")
    out = []
    for i in range(n):
        name = tasks[i % len(tasks)]
        if name == "challenge":
            out.append(challenge(rng, context_chars, seed=HELD_OUT_SEED_BASE + seed * 100_003 + i))
        else:
            out.append(GENERATORS[name](rng, context_chars))
    return out


def answer_matches(generated: str, answer: str) -> bool:
    """Every space-separated part of the answer appears in the generated text (case-insensitive)."""
    text = generated.strip().lower()
    return all(part in text for part in answer.strip().lower().split())
