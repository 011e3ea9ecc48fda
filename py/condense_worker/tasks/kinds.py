"""The task kinds: what gets hidden in the filler, the question, and the exact answer.

Each builder draws from its own seeded RNG and returns a `Plan`: the inserted passages with their depths
(fraction of the filler before them), the question, and the answers.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

# Words for keys and markers; none of them occurs in the filler vocabulary.
_KEY_ADJ = ("amber", "silent", "crimson", "frozen", "golden", "hollow", "ivory", "jagged", "lucky", "misty",
            "nimble", "olive", "proud", "rusty", "scarlet", "tidy", "velvet", "wild", "azure", "brisk")
_KEY_NOUN = ("falcon", "lantern", "walrus", "comet", "pebble", "dragon", "otter", "violin", "glacier", "kettle",
             "badger", "meteor", "parrot", "anchor", "cactus", "beetle", "lynx", "trumpet", "quartz", "heron")
_COLOURS = ("crimson", "turquoise", "violet", "amber", "silver", "emerald", "scarlet", "cobalt")
_CREATURES = ("heron", "fox", "owl", "hare", "stag")

KINDS = ("needle_single", "needle_multikey", "kv_retrieval", "variable_tracking", "counting")


@dataclass(frozen=True)
class Plan:
    inserts: tuple[tuple[float, str], ...]   # (depth in [0, 1], passage), in any order
    question: str
    answers: tuple[str, ...]                 # exact answers; all must appear in a correct reply
    answer_type: str                         # "number" | "count"
    answer_prefix: str = ""                  # start of the assistant's reply (keeps small models on track)


def _key(rng: random.Random, used: set[str]) -> str:
    while True:
        k = f"{rng.choice(_KEY_ADJ)}-{rng.choice(_KEY_NOUN)}"
        if k not in used:
            used.add(k)
            return k


def _number(rng: random.Random, used: set[str], digits: int = 7) -> str:
    while True:
        v = str(rng.randrange(10 ** (digits - 1), 10 ** digits))
        if v not in used:
            used.add(v)
            return v


def needle_single(rng: random.Random) -> Plan:
    keys: set[str] = set()
    vals: set[str] = set()
    key, value = _key(rng, keys), _number(rng, vals)
    return Plan(inserts=((rng.uniform(0.05, 0.95), f"The special magic number for {key} is {value}."),),
                question=f"What is the special magic number for {key}? Answer with the number only.",
                answers=(value,), answer_type="number", answer_prefix=f"The special magic number for {key} is")


def needle_multikey(rng: random.Random, n_keys: int = 4) -> Plan:
    keys: set[str] = set()
    vals: set[str] = set()
    pairs = [(_key(rng, keys), _number(rng, vals)) for _ in range(n_keys)]
    inserts = tuple((rng.uniform(0.05, 0.95), f"The special magic number for {k} is {v}.") for k, v in pairs)
    key, value = rng.choice(pairs)
    return Plan(inserts=inserts, question=f"What is the special magic number for {key}? Answer with the number only.",
                answers=(value,), answer_type="number", answer_prefix=f"The special magic number for {key} is")


def kv_retrieval(rng: random.Random, n_pairs: int = 8) -> Plan:
    keys: set[str] = set()
    vals: set[str] = set()
    pairs = []
    while len(pairs) < n_pairs:
        k = f"{rng.randrange(16 ** 6):06x}"
        if k in keys:
            continue
        keys.add(k)
        pairs.append((k, _number(rng, vals, 6)))
    block = "Registry entries follow. " + " ".join(f"Key {k} stores {v}." for k, v in pairs) + " End of registry."
    key, value = rng.choice(pairs)
    return Plan(inserts=((rng.uniform(0.1, 0.9), block),),
                question=f"In the registry, which value does key {key} store? Answer with the number only.",
                answers=(value,), answer_type="number", answer_prefix=f"Key {key} stores")


def _var_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))
        if name not in used:
            used.add(name)
            return name


def variable_tracking(rng: random.Random, hops: int = 3, chains: int = 2) -> Plan:
    names: set[str] = set()
    vals: set[str] = set()
    inserts = []
    asked: tuple[str, str] | None = None
    for c in range(chains):
        value = _number(rng, vals, 5)
        chain = [_var_name(rng, names) for _ in range(hops + 1)]
        depths = sorted(rng.uniform(0.05, 0.95) for _ in chain)
        inserts.append((depths[0], f"VAR {chain[0]} = {value}."))
        for d, (prev, cur) in zip(depths[1:], zip(chain, chain[1:])):
            inserts.append((d, f"VAR {cur} = VAR {prev}."))
        if c == 0:
            asked = (chain[-1], value)
    assert asked is not None
    return Plan(inserts=tuple(inserts),
                question=f"Follow the VAR assignments in the text. What number does VAR {asked[0]} hold? "
                         "Answer with the number only.",
                answers=(asked[1],), answer_type="number", answer_prefix=f"VAR {asked[0]} holds")


def counting(rng: random.Random) -> Plan:
    colours = rng.sample(_COLOURS, 3)
    creature = rng.choice(_CREATURES)
    counts = [rng.randint(2, 6), rng.randint(1, 4), rng.randint(1, 4)]
    inserts = []
    for colour, n in zip(colours, counts):
        for _ in range(n):
            inserts.append((rng.uniform(0.03, 0.97), f"A {colour} {creature} appeared at the window."))
    return Plan(inserts=tuple(inserts),
                question=f"How many times did a {colours[0]} {creature} appear at the window in the text? "
                         "Answer with the number only.",
                answers=(str(counts[0]),), answer_type="count",
                answer_prefix=f"The number of times a {colours[0]} {creature} appeared is")


BUILDERS = {"needle_single": needle_single, "needle_multikey": needle_multikey, "kv_retrieval": kv_retrieval,
            "variable_tracking": variable_tracking, "counting": counting}
