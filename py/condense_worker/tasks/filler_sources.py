"""More than one kind of filler, so a press is not tuned to one style of haystack.

Each source turns a seeded RNG into plain sentences without digits (numbers belong to needles and
decoys only) and without the words needles use for keys (tested in py/tests/test_tasks_widened.py).
`prose` is the original village prose of `filler.py`; `report` reads like minutes of an office;
`nature` like a field journal.
"""
from __future__ import annotations

import random
from typing import Callable

from .filler import filler_sentences as _prose

_REPORT_SUBJECTS = ("the committee", "the finance office", "our regional team", "the board", "the auditors",
                    "the planning group", "the legal department", "the support desk", "a new supplier",
                    "the steering panel", "the project sponsor", "the safety officer")
_REPORT_VERBS = ("reviewed", "postponed", "approved", "questioned", "summarised", "drafted", "circulated",
                 "revised", "discussed", "rejected", "signed off", "flagged")
_REPORT_OBJECTS = ("the quarterly budget", "the hiring plan", "a revised contract", "the travel policy",
                   "the supplier shortlist", "the annual forecast", "the office move", "the training schedule",
                   "a draft memo", "the procurement rules", "the audit findings", "the risk register")
_REPORT_TAILS = ("at the weekly meeting", "after a short debate", "pending further input", "without objection",
                 "ahead of the deadline", "for the second time", "in a brief email", "before the holidays",
                 "with minor edits", "at the request of management")

_NATURE_OPENERS = ("At dawn", "By noon", "Towards evening", "Overnight", "Early on", "Just after sunrise",
                   "Late in the day", "During the storm")
_NATURE_SUBJECTS = ("a pair of swallows", "the tide", "a thin mist", "the wind", "a herd of deer",
                    "the creek", "a flock of geese", "the pine forest", "a family of beavers", "the meadow")
_NATURE_VERBS = ("drifted over", "crossed", "settled on", "circled", "flooded", "covered", "rustled through",
                 "moved past", "gathered near", "vanished behind")
_NATURE_OBJECTS = ("the marsh", "the far ridge", "the reed beds", "the birch grove", "the sand bar",
                   "the lower valley", "the rocky shore", "the old dam", "the clearing", "the ferns")


def _report(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        s = f"{rng.choice(_REPORT_SUBJECTS)} {rng.choice(_REPORT_VERBS)} {rng.choice(_REPORT_OBJECTS)} " \
            f"{rng.choice(_REPORT_TAILS)}."
        out.append(s[0].upper() + s[1:])
    return out


def _nature(rng: random.Random, n: int) -> list[str]:
    return [f"{rng.choice(_NATURE_OPENERS)}, {rng.choice(_NATURE_SUBJECTS)} {rng.choice(_NATURE_VERBS)} "
            f"{rng.choice(_NATURE_OBJECTS)}." for _ in range(n)]


FILLERS: dict[str, Callable[[random.Random, int], list[str]]] = {"prose": _prose, "report": _report,
                                                                  "nature": _nature}
