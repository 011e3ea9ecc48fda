"""Corpus QA building blocks (subnet §4.4-4.6): a seeded passage from a local folder of .txt files, the
generator prompt in the subnet's ---CONTEXT--- style, a strict parser of the LLM's QA output, and the
free-form judge prompt with its yes/no reading. Pure functions; the Challenge/Evaluate wiring is not done."""
from __future__ import annotations

import random
import re
from pathlib import Path

from .generator import TaskError

MAX_FILES = 10_000
MAX_FILE_BYTES = 8 << 20
QA_PROMPT = ("---CONTEXT---\n{context}\n---END CONTEXT---\n"
             "Write {n} questions about the context above, each answerable from it alone, each with a short "
             "answer. Use exactly this format and nothing else:\nQ1: <question>\nA1: <answer>\n")
JUDGE_PROMPT = ("You are given a question, a model's answer and the ground truth. The answer is correct if it "
                "mentions the important points of the ground truth. Reply with one word: yes or no.\n"
                "---QUESTION---\n{question}\n---ANSWER---\n{answer}\n---GROUND TRUTH---\n{truth}\n")
_QA_LINE = re.compile(r"^([QA])(\d+):\s*(\S.*)$")
_WORDS = re.compile(r"[a-z]+")


def corpus_files(corpus_dir: str) -> list[Path]:
    """The corpus's .txt files in a stable (sorted) order; a missing or empty folder is a TaskError."""
    root = Path(corpus_dir)
    if not root.is_dir():
        raise TaskError(f"corpus_dir {corpus_dir!r} is not a folder")
    files = sorted(p for p in root.rglob("*.txt") if p.is_file())[:MAX_FILES]
    if not files:
        raise TaskError(f"corpus_dir {corpus_dir!r} has no .txt files")
    return files


def pick_passage(corpus_dir: str, seed: int, length: int, salt: str = "") -> str:
    """A passage of exactly `length` characters (whitespace-collapsed), chosen by the seed: the same seed
    and corpus give the same passage. Short files are continued by the next files in order (padding)."""
    if length < 1:
        raise TaskError(f"passage length must be >= 1, got {length}")
    files = corpus_files(corpus_dir)
    rng = random.Random(f"condense-corpus:{seed}:{salt}")
    start = rng.randrange(len(files))
    text = ""
    for i in range(len(files)):
        part = " ".join(files[(start + i) % len(files)].read_bytes()[:MAX_FILE_BYTES]
                        .decode("utf-8", "replace").split())
        text = f"{text} {part}".strip()
        if len(text) >= length:
            break
    if len(text) < length:
        raise TaskError(f"corpus holds {len(text)} characters, fewer than the {length} drawn")
    offset = rng.randrange(len(text) - length + 1)
    return text[offset:offset + length]


def parse_qa(reply: str, n: int) -> list[tuple[str, str]]:
    """Strictly the first `n` Q/A pairs in order Q1, A1, Q2, A2, ...; anything else (missing pair, wrong
    numbering, empty answer, stray lines before them) raises TaskError so the caller redraws."""
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    pairs: list[tuple[str, str]] = []
    for i in range(n):
        if len(lines) < 2 * i + 2:
            raise TaskError(f"generator wrote {len(pairs)} of {n} QA pairs")
        q, a = _QA_LINE.match(lines[2 * i]), _QA_LINE.match(lines[2 * i + 1])
        if not (q and a and q.group(1) == "Q" and a.group(1) == "A"
                and int(q.group(2)) == int(a.group(2)) == i + 1):
            raise TaskError(f"generator output is not Q{i + 1}/A{i + 1} at line {2 * i + 1}")
        pairs.append((q.group(3).strip(), a.group(3).strip()))
    return pairs


def judge_verdict(reply: str) -> bool:
    """The subnet's reading: correct iff the judge's reply says "yes" and neither "no" nor "not"."""
    words = set(_WORDS.findall(reply.lower()))
    return "yes" in words and not words & {"no", "not"}


def draw_corpus_qa(corpus_dir: str, seed: int, length: int, n: int, generate, *, salt: str = "",
                   attempts: int = 4) -> tuple[str, list[tuple[str, str]]]:
    """(passage, QA pairs): `generate(prompt) -> text` is the loaded LLM (greedy, so the same seed gives the
    same challenge). Unparsable output redraws the passage (attempt k uses salt + ":k"); after `attempts`
    failures a TaskError (the handler's INVALID_ARGUMENT)."""
    if not 1 <= attempts <= 16:
        raise TaskError(f"attempts must be in [1, 16], got {attempts}")
    last = ""
    for k in range(attempts):
        passage = pick_passage(corpus_dir, seed, length, f"{salt}:{k}")
        try:
            return passage, parse_qa(generate(QA_PROMPT.format(context=passage, n=n)), n)
        except TaskError as exc:
            last = str(exc)
    raise TaskError(f"generator output unparsable after {attempts} attempts: {last}")
