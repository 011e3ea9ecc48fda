"""Training samples (reconstruction, continuation, answering) and their batching.

A sample is a context (read by the condenser), a prompt and a target (read by the decoder after
the soft tokens); the loss covers only the target tokens.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import IterableDataset

from .tasks import filler, held_out, qa_sample

RECONSTRUCT_PROMPT = "\nRepeat the text above exactly:\n"
TEXT_SUFFIXES = {".txt", ".md", ".text", ".rst"}


class DataError(ValueError):
    """The training data cannot be read; the message names the path or dataset."""


class DataNotFound(DataError):
    """The data path does not exist."""


@dataclass(frozen=True)
class TrainSample:
    context: str
    prompt: str
    target: str          # ignored for reconstruction: the (truncated) context is the target
    kind: str            # reconstruction | continuation | answering
    answer: str = ""     # exact answer, for accuracy on answering samples


# ---- corpus ---------------------------------------------------------------------------------------

def load_corpus(data_path: str) -> list[str]:
    """Documents from a text file, a directory of text files, or "hf:NAME" (needs a reachable hub)."""
    if not data_path:
        return []
    if data_path.startswith("hf:"):
        return _load_hf(data_path[3:])
    p = Path(data_path)
    if not p.exists():
        raise DataNotFound(f"data path {data_path} does not exist")
    files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise DataError(f"data path {data_path} holds no text files ({', '.join(sorted(TEXT_SUFFIXES))})")
    docs = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as e:
            raise DataError(f"cannot read {f} as UTF-8 text: {e}") from e
        if text.strip():
            docs.append(text)
    if not docs:
        raise DataError(f"data path {data_path} holds only empty files")
    return docs


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    """A quick TCP probe: without it the datasets library retries for tens of seconds before failing."""
    import os
    import socket

    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return True  # the user asks for the local cache; let datasets read it
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def _load_hf(name: str) -> list[str]:
    try:
        import datasets  # optional: only for hub datasets
    except ImportError as e:
        raise DataError(f"data path hf:{name} needs the `datasets` package and a reachable Hugging Face hub; "
                        "use a local text file or directory instead") from e
    if not _hub_reachable():
        raise DataError(f"data path hf:{name} needs the Hugging Face hub, which is not reachable from here; "
                        "use a local text file or directory instead (or set HF_HUB_OFFLINE=1 to use the local cache)")
    try:
        ds = datasets.load_dataset(name, split="train")
    except Exception as e:  # network, auth or name errors all end the same way for the user
        raise DataError(f"cannot load Hugging Face dataset {name!r} (is the hub reachable?): {e}") from e
    column = "text" if "text" in ds.column_names else "context" if "context" in ds.column_names else None
    if column is None:
        raise DataError(f"dataset {name!r} has no 'text' or 'context' column (columns: {ds.column_names})")
    return [t for t in ds[column] if isinstance(t, str) and t.strip()]


# ---- samples --------------------------------------------------------------------------------------

class SampleSource:
    """Draws samples for an objective from procedural tasks and an optional corpus."""

    def __init__(self, objective: str, corpus: list[str], context_chars: int, target_chars: int,
                 corpus_share: float = 0.5) -> None:
        self.objective, self.corpus, self.corpus_share = objective, corpus, corpus_share
        self.context_chars, self.target_chars = context_chars, target_chars

    def _window(self, rng: random.Random, chars: int) -> str:
        doc = rng.choice(self.corpus)
        if len(doc) <= chars:
            return doc
        start = rng.randint(0, len(doc) - chars)
        return doc[start:start + chars]

    def reconstruction(self, rng: random.Random) -> TrainSample:
        if self.corpus and rng.random() < self.corpus_share:
            context = self._window(rng, self.context_chars)
        elif rng.random() < 0.5:
            context = qa_sample(rng, self.context_chars).context
        else:
            context = filler(rng, max(1, self.context_chars // 7))
        return TrainSample(context, RECONSTRUCT_PROMPT, "", "reconstruction")

    def continuation(self, rng: random.Random) -> TrainSample:
        if self.corpus and rng.random() < self.corpus_share:
            text = self._window(rng, self.context_chars + self.target_chars)
            cut = max(1, len(text) - self.target_chars)
            return TrainSample(text[:cut], "", text[cut:] or text[-1:], "continuation")
        qa = qa_sample(rng, self.context_chars)
        return TrainSample(qa.context, f"\nQuestion: {qa.question}\nAnswer:", f" {qa.answer}", "answering", qa.answer)

    def sample(self, rng: random.Random) -> TrainSample:
        if self.objective == "reconstruction":
            return self.reconstruction(rng)
        if self.objective == "continuation":
            return self.continuation(rng)
        return self.reconstruction(rng) if rng.random() < 0.5 else self.continuation(rng)


def validation_samples(source: SampleSource, seed: int, n: int, n_answering: int) -> list[TrainSample]:
    """Fixed validation set: `n_answering` held-out QA samples (accuracy) plus objective samples (loss)."""
    qa = [TrainSample(s.context, f"\nQuestion: {s.question}\nAnswer:", f" {s.answer}", "answering", s.answer)
          for s in held_out(seed, n_answering, source.context_chars)]
    rng = random.Random(f"validation:{seed}")
    return qa + [source.sample(rng) for _ in range(n - len(qa))]


class StreamDataset(IterableDataset):
    """An endless, seeded stream of training samples; `offset` moves the stream on a resume."""

    def __init__(self, source: SampleSource, seed: int, offset: int = 0) -> None:
        self.source, self.seed, self.offset = source, seed, offset

    def __iter__(self):
        rng = random.Random(f"train:{self.seed}:{self.offset}")
        while True:
            yield self.source.sample(rng)


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, samples: list[TrainSample]) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> TrainSample:
        return self.samples[i]


# ---- batching -------------------------------------------------------------------------------------

class Collator:
    """Tokenises samples: condenser ids left padded (condense tokens follow directly), decoder
    prompt+target right padded with labels -100 everywhere except on target tokens."""

    def __init__(self, condenser_tokenizer, decoder_tokenizer, context_tokens: int, target_tokens: int) -> None:
        self.ctok, self.dtok = condenser_tokenizer, decoder_tokenizer
        self.context_tokens, self.target_tokens = context_tokens, target_tokens

    def __call__(self, samples: list[TrainSample]) -> dict:
        ctx, dec, labels, prompts, answers, kinds = [], [], [], [], [], []
        for s in samples:
            ids = self.ctok(s.context, add_special_tokens=False)["input_ids"][: self.context_tokens]
            ids = ids or [self.ctok.pad_token_id]
            ctx.append(ids)
            target = self.ctok.decode(ids) if s.kind == "reconstruction" else s.target
            p = self.dtok(s.prompt, add_special_tokens=False)["input_ids"] if s.prompt else []
            t = self.dtok(target, add_special_tokens=False)["input_ids"][: self.target_tokens]
            t = t + [self.dtok.eos_token_id]
            dec.append(p + t)
            labels.append([-100] * len(p) + t)
            prompts.append(p)
            answers.append(s.answer)
            kinds.append(s.kind)
        cw, dw = max(map(len, ctx)), max(map(len, dec))
        cpad, dpad = self.ctok.pad_token_id, self.dtok.pad_token_id
        return {
            "ctx_ids": torch.tensor([[cpad] * (cw - len(x)) + x for x in ctx]),
            "ctx_mask": torch.tensor([[0] * (cw - len(x)) + [1] * len(x) for x in ctx]),
            "dec_ids": torch.tensor([x + [dpad] * (dw - len(x)) for x in dec]),
            "dec_mask": torch.tensor([[1] * len(x) + [0] * (dw - len(x)) for x in dec]),
            "labels": torch.tensor([x + [-100] * (dw - len(x)) for x in labels]),
            "prompts": prompts, "answers": answers, "kinds": kinds,
        }


def chars_per_token(tokenizer) -> float:
    """Measured on filler text so context sizes in characters match the token budget."""
    text = filler(random.Random(0), 200)
    n = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    return max(1.0, len(text) / max(1, n))
