"""Corpus QA (subnet §4.4-4.6): a seeded passage from a local folder of .txt/.md files, questions and answers
written about it by a generator LLM (the subnet's ---CONTEXT--- prompt, read by a strict parser), and the
free-form judge prompt with its yes/no reading. `corpus_challenge` builds a whole Challenge of kind corpus_qa:
a corpus window of the drawn length with the QA passage inside it. Pure functions: the model comes in as a
`generate(prompt) -> text` callable (handlers/challenge.py), greedy, so a seed replays exactly.

The corpus folder is the operator's, but its contents are read with care anyway: only regular .txt/.md files
whose real path lies inside the folder (a symlink out of it is refused), at most MAX_FILES files, MAX_FILE_BYTES
each (a bigger file is refused rather than read), MAX_ENTRIES directory entries walked."""
from __future__ import annotations

import os
import random
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .chat import ChatFormat
from .generator import TaskError, mix_existence_chunks

KIND = "corpus_qa"
GENERATOR = "condense-corpus-qa-v1"
SUFFIXES = (".txt", ".md")
MAX_FILES = 10_000
MAX_ENTRIES = 100_000
MAX_FILE_BYTES = 8 << 20
PASSAGE_CHARS = 1500          # what the generator reads (~400 tokens): the rest of the window is padding
MIN_PASSAGE_CHARS = 200
MAX_JUDGE_FIELD = 2000        # characters of a question, answer or truth put in the judge prompt
QA_PROMPT = ("---CONTEXT---\n{context}\n---END CONTEXT---\n"
             "Write {n} questions about the context above, each answerable from it alone, each with a short "
             "answer. Use exactly this format and nothing else:\nQ1: <question>\nA1: <answer>\n")
JUDGE_PROMPT = ("You are given a question, a model's answer and the ground truth. The answer is correct if it "
                "mentions the important points of the ground truth. Reply with one word: yes or no.\n"
                "---QUESTION---\n{question}\n---ANSWER---\n{answer}\n---GROUND TRUTH---\n{truth}\n")
_QA_LINE = re.compile(r"^([QA])(\d+):\s*(\S.*)$")
_WORDS = re.compile(r"[a-z]+")


def corpus_files(corpus_dir: str) -> list[Path]:
    """The corpus's .txt/.md files (real paths) in a stable (sorted) order. A missing or empty folder, a file
    whose real path leaves the folder, a non-regular file and a file over MAX_FILE_BYTES are TaskErrors that
    name the file, so the operator sees what to fix and nothing outside the folder is ever opened."""
    if not corpus_dir:
        raise TaskError("corpus_qa needs a corpus_dir")
    try:
        root = Path(corpus_dir).resolve(strict=True)
    except (OSError, RuntimeError):
        raise TaskError(f"corpus_dir {corpus_dir!r} does not exist") from None
    if not root.is_dir():
        raise TaskError(f"corpus_dir {corpus_dir!r} is not a folder")
    files: list[Path] = []
    seen = 0
    # os.walk without followlinks: a symlinked folder is not entered (its files could lie anywhere).
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        seen += len(dirs) + len(names)
        if seen > MAX_ENTRIES:
            raise TaskError(f"corpus_dir {corpus_dir!r} has more than {MAX_ENTRIES} entries")
        for name in sorted(names):
            if not name.lower().endswith(SUFFIXES):
                continue
            path = Path(folder) / name
            try:
                real = path.resolve()
                outside = not real.is_relative_to(root)
                st = None if outside else os.stat(real)
            except (OSError, RuntimeError) as exc:  # a dangling link, a link loop, no permission
                raise TaskError(f"cannot read corpus file {str(path)!r}: {exc}") from None
            if st is None:
                raise TaskError(f"corpus file {str(path)!r} links outside corpus_dir {corpus_dir!r}")
            if not stat.S_ISREG(st.st_mode):
                raise TaskError(f"corpus file {str(path)!r} is not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                raise TaskError(f"corpus file {str(path)!r} has {st.st_size} bytes, over the {MAX_FILE_BYTES} allowed")
            files.append(real)
            if len(files) > MAX_FILES:
                raise TaskError(f"corpus_dir {corpus_dir!r} has more than {MAX_FILES} .txt/.md files")
    if not files:
        raise TaskError(f"corpus_dir {corpus_dir!r} has no .txt or .md files")
    return files


def read_text(path: Path) -> str:
    """At most MAX_FILE_BYTES of a corpus file, whitespace-collapsed. O_NOFOLLOW and O_NONBLOCK: a file swapped
    for a symlink or a FIFO after the listing is refused instead of followed or waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise TaskError(f"cannot open corpus file {str(path)!r}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise TaskError(f"corpus file {str(path)!r} is not a regular file")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TaskError(f"corpus file {str(path)!r} grew over {MAX_FILE_BYTES} bytes")
    return " ".join(data.decode("utf-8", "replace").split())


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
        part = read_text(files[(start + i) % len(files)])
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


def judge_prompt(question: str, answer: str, truth: str) -> str:
    """JUDGE_PROMPT with each field bounded (the answer comes from a miner's cache: it is hostile text)."""
    clip = lambda t: " ".join(t.split())[:MAX_JUDGE_FIELD]  # noqa: E731
    return JUDGE_PROMPT.format(question=clip(question), answer=clip(answer), truth=clip(truth))


@dataclass(frozen=True)
class CorpusChallenge:
    context: str                           # raw: a corpus window; formatted, its length is the drawn length
    formatted_context: str
    passage: str                           # the part of the context the questions are about
    qa: tuple[tuple[str, str], ...]
    formatted_questions: tuple[str, ...]
    chunks: tuple[tuple[str, bool], ...]   # (text, in_context), shuffled
    drawn_chars: int


def _word_span(text: str, start: int, length: int) -> str:
    """text[start:start+length] moved inward to word boundaries (whole words for the generator to read)."""
    end = min(len(text), start + length)
    if start > 0 and text[start - 1] != " ":
        nxt = text.find(" ", start, end)
        start = nxt + 1 if nxt >= 0 else start
    if end < len(text) and text[end] != " ":
        prev = text.rfind(" ", start, end)
        end = prev if prev > start else end
    return text[start:end].strip()


def _generated_qa(text: str, limit: int, base: str, span: int, generate, num_questions: int,
                  attempts: int) -> tuple[str, list[tuple[str, str]]]:
    """A seeded passage of `span` characters starting within text[:limit] and the QA the generator writes about
    it; unparsable output (or a passage too short) moves the passage, attempt k; after `attempts` a TaskError."""
    last = ""
    for k in range(attempts):
        passage = _word_span(text, random.Random(f"{base}:passage:{k}").randrange(limit - span + 1), span)
        if len(passage) < MIN_PASSAGE_CHARS:
            last = f"passage of {len(passage)} characters"
            continue
        try:
            return passage, parse_qa(generate(QA_PROMPT.format(context=passage, n=num_questions)), num_questions)
        except TaskError as exc:
            last = str(exc)
    raise TaskError(f"generator output unparsable after {attempts} attempts: {last}")


def _existence_chunks(text: str, rng: random.Random, n_positive: int, n_negative: int,
                      what: str) -> list[tuple[str, bool]]:
    """Positive chunks of the subnet's 256 characters from `text`, then the shared negatives and shuffle."""
    positives: list[str] = []
    size = min(256, len(text))
    for _ in range(1000):
        if len(positives) >= n_positive:
            break
        chunk = _word_span(text, rng.randrange(len(text) - size + 1), size)
        if chunk and chunk not in positives:
            positives.append(chunk)
    return mix_existence_chunks(rng, text, positives, n_positive, n_negative, what)


def corpus_challenge(corpus_dir: str, seed: int, *, min_chars: int, max_chars: int, fmt: ChatFormat, generate,
                     num_questions: int = 1, salt: str = "", n_positive: int = 2, n_negative: int = 2,
                     attempts: int = 4, passage_chars: int = PASSAGE_CHARS) -> CorpusChallenge:
    """A corpus_qa challenge: a window of the corpus whose formatted length is the length drawn in
    [min_chars, max_chars] (as the procedural kinds draw it), a passage of about `passage_chars` inside it at a
    seeded place, `num_questions` QA pairs the generator writes about that passage, positive existence chunks
    from the window and negative ones from unrelated prose. Unparsable generator output moves the passage
    (attempt k); after `attempts` a TaskError. Same arguments and the same (greedy) generator: the same challenge."""
    if not isinstance(seed, int) or seed < 0:
        raise TaskError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < min_chars <= max_chars:
        raise TaskError(f"need 0 < min_chars <= max_chars, got {min_chars}, {max_chars}")
    if num_questions < 1:
        raise TaskError(f"num_questions must be >= 1, got {num_questions}")
    if not 1 <= attempts <= 16:
        raise TaskError(f"attempts must be in [1, 16], got {attempts}")
    base = f"{GENERATOR}:{seed}:{salt}"
    rng = random.Random(base)
    drawn = rng.randint(min_chars, max_chars)
    length = drawn - len(fmt.context(""))
    if length < MIN_PASSAGE_CHARS:
        raise TaskError(f"a corpus_qa context needs at least {MIN_PASSAGE_CHARS} characters after the template, "
                        f"the drawn length leaves {length}")
    window = pick_passage(corpus_dir, seed, length, f"{salt}:window")
    passage, qa = _generated_qa(window, length, base, min(passage_chars, length), generate, num_questions, attempts)
    chunks = _existence_chunks(window, random.Random(f"{base}:chunks"), n_positive, n_negative, "context")
    return CorpusChallenge(context=window, formatted_context=fmt.context(window), passage=passage, qa=tuple(qa),
                           formatted_questions=tuple(fmt.question(q) for q, _ in qa), chunks=tuple(chunks),
                           drawn_chars=drawn)


# ---- organic QA: questions and answers about a client's own context -------------------------------------

ORGANIC_KIND = "organic_qa"
ORGANIC_GENERATOR = "condense-organic-qa-v1"


@dataclass(frozen=True)
class OrganicChallenge:
    passage: str                           # the part of the text the questions are about
    qa: tuple[tuple[str, str], ...]
    formatted_questions: tuple[str, ...]
    chunks: tuple[tuple[str, bool], ...]   # (text, in_context), shuffled


def organic_challenge(text: str, seed: int, *, fmt: ChatFormat, generate, num_questions: int = 1, salt: str = "",
                      n_positive: int = 2, n_negative: int = 2, attempts: int = 4,
                      passage_chars: int = PASSAGE_CHARS) -> OrganicChallenge:
    """QA about a given text (an organic client's context, exactly as the miner compressed it): a seeded passage
    of about `passage_chars` of it for the generator to read, `num_questions` QA pairs parsed as corpus QA's are
    (unparsable output moves the passage, attempt k; after `attempts` a TaskError), positive existence chunks
    from the text and negative ones from unrelated prose. The text itself is not reformatted: questions are
    asked after it as the miner's container holds it. Same arguments and generator: the same challenge."""
    if not isinstance(seed, int) or seed < 0:
        raise TaskError(f"seed must be a non-negative integer, got {seed!r}")
    if num_questions < 1:
        raise TaskError(f"num_questions must be >= 1, got {num_questions}")
    if not 1 <= attempts <= 16:
        raise TaskError(f"attempts must be in [1, 16], got {attempts}")
    if len(text.strip()) < MIN_PASSAGE_CHARS:
        raise TaskError(f"organic_qa needs a text of at least {MIN_PASSAGE_CHARS} characters, got {len(text.strip())}")
    base = f"{ORGANIC_GENERATOR}:{seed}:{salt}"
    passage, qa = _generated_qa(text, len(text), base, min(passage_chars, len(text)), generate, num_questions, attempts)
    chunks = _existence_chunks(text, random.Random(f"{base}:chunks"), n_positive, n_negative, "text")
    return OrganicChallenge(passage=passage, qa=tuple(qa), formatted_questions=tuple(fmt.question(q) for q, _ in qa),
                            chunks=tuple(chunks))
