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


# --- Widened kinds (the quality benchmark's harder set; not in KINDS, so the validator's challenge kinds
# stay as they are). Each picks one of several phrasings, so a press cannot key on one sentence shape.
_CODENAMES = ("Orion", "Juniper", "Kestrel", "Marlow", "Quillon", "Tamsin", "Vesper", "Wexford", "Yarrow",
              "Zephyr", "Bramble", "Calloway", "Dunmore", "Everly", "Fenwick", "Galloway", "Hollis", "Ingram")
_PEOPLE = ("Alice Moreau", "Bruno Keller", "Chiara Valli", "Dmitri Orlov", "Elena Sousa", "Farid Haddad",
           "Greta Lindqvist", "Hiro Tanaka", "Isla Brennan", "Jonas Weber", "Kavya Rao", "Lucas Pereira")

# (fact, question, answer prefix) with {k} the key and {v} the value.
_FACT_PHRASINGS = (
    ("The access code for the {k} vault is {v}.", "What is the access code for the {k} vault?",
     "The access code for the {k} vault is"),
    ("Shipment {k} was logged with tracking number {v}.", "What tracking number was shipment {k} logged with?",
     "Shipment {k} was logged with tracking number"),
    ("For the record, the {k} account holds exactly {v} credits.", "How many credits does the {k} account hold?",
     "The {k} account holds"),
)
_HOP_PHRASINGS = (
    ("{p} leads the {k} project.", "The badge number of {p} is {v}.",
     "What is the badge number of the person who leads the {k} project?",
     "The badge number of the person who leads the {k} project is"),
    ("The {k} expedition is run by {p}.", "{p} can be reached on extension {v}.",
     "Which extension reaches the person who runs the {k} expedition?",
     "The extension of the person who runs the {k} expedition is"),
)
_NUMBER_ONLY = " Answer with the number only."


def _value(rng: random.Random, used: set[str]) -> str:
    return _number(rng, used, rng.randint(5, 8))


def _fact_plan(rng: random.Random, n_facts: int, keys: list[str]) -> Plan:
    fact, question, prefix = rng.choice(_FACT_PHRASINGS)
    vals: set[str] = set()
    pairs = [(k, _value(rng, vals)) for k in keys[:n_facts]]
    inserts = tuple((rng.uniform(0.05, 0.95), fact.format(k=k, v=v)) for k, v in pairs)
    key, value = pairs[0]  # the asked one is drawn first; its depth is as random as the others'
    return Plan(inserts=inserts, question=question.format(k=key) + _NUMBER_ONLY, answers=(value,),
                answer_type="number", answer_prefix=prefix.format(k=key))


def single_fact(rng: random.Random) -> Plan:
    return _fact_plan(rng, 1, rng.sample(_CODENAMES, 1))


def needle_decoys(rng: random.Random, n_facts: int = 4) -> Plan:
    """The asked fact and n-1 decoys of the same phrasing with other keys and other numbers."""
    return _fact_plan(rng, n_facts, rng.sample(_CODENAMES, n_facts))


def lookalike_keys(rng: random.Random, n_facts: int = 4) -> Plan:
    """Keys that differ from the asked one in a single letter (e.g. ZQMRT / ZQMRX / ZQNRT)."""
    letters = "BCDFGHJKLMNPQRSTVWXZ"
    base = "".join(rng.choice(letters) for _ in range(5))
    keys = [base]
    while len(keys) < n_facts:
        i = rng.randrange(5)
        cand = base[:i] + rng.choice(letters.replace(base[i], "")) + base[i + 1:]
        if cand not in keys:
            keys.append(cand)
    return _fact_plan(rng, n_facts, keys)


def two_hop(rng: random.Random, n_chains: int = 2) -> Plan:
    """Key -> person in one sentence, person -> number in another, far apart; a second chain as decoy."""
    link, fact, question, prefix = rng.choice(_HOP_PHRASINGS)
    keys = rng.sample(_CODENAMES, n_chains)
    people = rng.sample(_PEOPLE, n_chains)
    vals: set[str] = set()
    inserts = []
    answer = ""
    for c, (k, p) in enumerate(zip(keys, people)):
        v = _value(rng, vals)
        a, b = sorted((rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95)))
        first, second = (link.format(p=p, k=k), fact.format(p=p, v=v))
        if rng.random() < 0.5:  # either hop may come first in the text
            first, second = second, first
        inserts += [(a, first), (b, second)]
        if c == 0:
            answer = v
    return Plan(inserts=tuple(inserts), question=question.format(k=keys[0]) + _NUMBER_ONLY, answers=(answer,),
                answer_type="number", answer_prefix=prefix.format(k=keys[0]))


WIDENED_BUILDERS = {"single_fact": single_fact, "needle_decoys": needle_decoys, "lookalike_keys": lookalike_keys,
                    "two_hop": two_hop}
WIDENED_KINDS = tuple(WIDENED_BUILDERS)
