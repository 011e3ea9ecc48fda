"""Seeded filler prose: plain sentences built from small word lists, so any length can be generated
without a corpus, and nothing in it can collide with the needles (keys, values and markers use other words)."""
from __future__ import annotations

import random

_SUBJECTS = ("the farmer", "a traveller", "the old teacher", "my neighbour", "the baker", "a young painter",
             "the river guide", "the librarian", "a quiet student", "the carpenter", "the ship captain",
             "a street musician", "the gardener", "the night nurse", "a retired pilot", "the potter")
_VERBS = ("walked along", "looked at", "talked about", "carried", "painted", "repaired", "cleaned", "visited",
          "remembered", "described", "followed", "admired", "measured", "sketched", "studied", "passed")
_OBJECTS = ("the narrow bridge", "a wooden fence", "the morning market", "an empty harbour", "the stone wall",
            "a small orchard", "the village square", "the winding road", "a broken cart", "the quiet chapel",
            "the hillside path", "a row of houses", "the open field", "the dusty station", "an old mill")
_TAILS = ("before the rain started", "while the sun was setting", "on a cold afternoon", "after a long day",
          "without saying much", "as the bells rang", "in the early morning", "during the harvest",
          "with great care", "for the first time in years", "as the wind picked up", "near the end of summer")
_OPENERS = ("", "", "", "Later, ", "Meanwhile, ", "Once again, ", "In the end, ", "That week, ", "Afterwards, ")


def filler_sentence(rng: random.Random) -> str:
    opener = rng.choice(_OPENERS)
    subject = rng.choice(_SUBJECTS)
    if opener:
        text = f"{opener}{subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
    else:
        text = f"{subject[0].upper()}{subject[1:]} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
    return text


def filler_sentences(rng: random.Random, n: int) -> list[str]:
    return [filler_sentence(rng) for _ in range(n)]
