"""Challenge: the task generators behind a request, so the validator's TypeScript side can draw seeded,
per-contender challenges formatted with the target model's chat template: procedural tasks
(tasks.generator.generate_challenge) and, for kind corpus_qa, a corpus passage with questions and answers
written by a generator LLM (tasks.corpus.corpus_challenge). The reply carries the ground truth; the caller
decides what of it leaves its process."""
from __future__ import annotations

import random

import torch
from transformers import DynamicCache

from ..decoding import eos_token_ids
from ..errors import InvalidArgument, Malformed, ModelLoadError, UnsupportedModel
from ..gen.condense.v1 import worker_pb2 as pb
from ..models import DTYPES, LoadedModel, load_model
from ..tasks import KINDS, TaskError, chat_format
from ..tasks import corpus
from ..tasks.generator import CHALLENGE_GENERATOR, generate_challenge
from . import Context, Reply, Request, handler

MAX_CHARS = 2_000_000       # far above every tier (the largest asks for ~60k characters)
MAX_QUESTIONS = 32
MAX_CHUNKS = 16
MAX_SALT = 512
MAX_PATH = 4096
MAX_GENERATOR_SPEC = 512
LINE_TOKENS = 48            # generator budget per question and per answer
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines (parse_qa) splits
# A generator other than the worker's own model, loaded on first use; one at a time (a model is large).
_GENERATORS: dict[str, LoadedModel] = {}


@handler("challenge")
def challenge_handler(ctx: Context, req: Request) -> Reply:
    body: pb.ChallengeRequest = req.body
    if req.tensors:
        raise Malformed("challenge takes no tensors")
    loaded = ctx.loaded
    if body.target_model and body.target_model not in (loaded.spec, loaded.model_id):
        raise UnsupportedModel(f"this worker formats for {loaded.spec!r} ({loaded.model_id}), "
                               f"not {body.target_model!r}")
    if not 0 < body.min_chars <= body.max_chars <= MAX_CHARS:
        raise InvalidArgument(f"need 0 < min_chars <= max_chars <= {MAX_CHARS}, got {body.min_chars}, {body.max_chars}")
    questions = body.num_questions or 1
    positive = body.num_positive_chunks or 2
    negative = body.num_negative_chunks or 2
    if questions > MAX_QUESTIONS or positive > MAX_CHUNKS or negative > MAX_CHUNKS:
        raise InvalidArgument(f"at most {MAX_QUESTIONS} questions and {MAX_CHUNKS} chunks of each label")
    if len(body.salt) > MAX_SALT:
        raise InvalidArgument(f"salt longer than {MAX_SALT} characters")
    kinds = tuple(body.kinds) or KINDS
    if corpus.ORGANIC_KIND in kinds or body.passage:
        return _organic_qa(ctx, body, kinds, questions, positive, negative)
    if corpus.KIND in kinds:
        if len(body.corpus_dir) > MAX_PATH or len(body.generator) > MAX_GENERATOR_SPEC:
            raise InvalidArgument(f"corpus_dir over {MAX_PATH} or generator over {MAX_GENERATOR_SPEC} characters")
        if not body.corpus_dir:
            raise InvalidArgument("kind corpus_qa needs corpus_dir (a folder of .txt/.md files)")
        # The kind of the whole challenge is drawn from the seed: a corpus context or a procedural one.
        if random.Random(f"condense-kind:{body.seed}:{body.salt}").choice(kinds) == corpus.KIND:
            return _corpus_qa(ctx, body, questions, positive, negative)
        kinds = tuple(k for k in kinds if k != corpus.KIND)
    try:
        ch = generate_challenge(body.seed, min_chars=body.min_chars, max_chars=body.max_chars,
                                fmt=chat_format(ctx.tokenizer), kinds=kinds,
                                num_questions=questions, salt=body.salt, n_positive=positive, n_negative=negative)
    except TaskError as exc:
        raise InvalidArgument(str(exc)) from None
    return Reply(pb.ChallengeReply(
        context=ch.context, formatted_context=ch.formatted_context,
        questions=[pb.ChallengeQuestion(kind=q.kind, question=q.question, formatted_question=q.formatted_question,
                                        answers=list(q.answers)) for q in ch.questions],
        chunks=[pb.ExistenceChunk(text=t, in_context=lab) for t, lab in ch.chunks],
        context_chars=len(ch.formatted_context), drawn_chars=ch.drawn_chars,
        target_model=body.target_model or loaded.spec, generator=CHALLENGE_GENERATOR))


def _generator(ctx: Context, spec: str) -> LoadedModel:
    loaded = ctx.loaded
    if not spec or spec in (loaded.spec, loaded.model_id):
        return loaded
    if spec not in _GENERATORS:
        _GENERATORS.clear()
        dtype = {v: k for k, v in DTYPES.items()}.get(loaded.dtype)
        try:
            gen = load_model(spec, device=str(loaded.device), dtype=dtype)
        except ModelLoadError as exc:
            raise UnsupportedModel(f"cannot load generator model {spec!r}: {exc}") from None
        if gen is None:
            raise InvalidArgument("the generator model cannot be 'none'")
        _GENERATORS[spec] = gen
    return _GENERATORS[spec]


def _generate_fn(ctx: Context, gen: LoadedModel, n: int):
    """prompt -> the generator's greedy reply to it as a user turn in its own chat template. The reply's labels
    are written for the model (Q1:, then A1:, ...) and it completes one line after each: small models keep the
    format that way (SmolLM2-135M, asked for the whole list, writes questions without answers)."""
    fmt = chat_format(gen.tokenizer)
    eos = eos_token_ids(gen.model, gen.tokenizer)
    top = gen.shape.max_position_embeddings

    @torch.inference_mode()
    def line(cache: DynamicCache, text: str) -> str:
        """Feeds `text`, then greedy tokens until a newline, an EOS or LINE_TOKENS; returns the line."""
        ids = gen.tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids.to(gen.device)
        out: list[int] = []
        for _ in range(LINE_TOKENS):
            ctx.check()
            start = cache.get_seq_length()
            if top and start + ids.shape[1] > top:
                raise InvalidArgument(f"the QA prompt leaves no room in the generator's {top} positions")
            pos = torch.arange(start, start + ids.shape[1], device=gen.device).unsqueeze(0)
            logits = gen.model(input_ids=ids, past_key_values=cache, position_ids=pos, use_cache=True,
                               logits_to_keep=1).logits
            token = int(logits[0, -1].argmax())
            if token in eos:
                break
            out.append(token)
            text = gen.tokenizer.decode(out, skip_special_tokens=True)  # whole: multi-byte characters stay whole
            cut = next((i for i, ch in enumerate(text) if ch in _LINE_BREAKS), -1)
            if cut >= 0:
                return text[:cut].strip()
            ids = torch.tensor([[token]], device=gen.device)
        return gen.tokenizer.decode(out, skip_special_tokens=True).strip()

    def generate(prompt: str) -> str:
        cache = DynamicCache(config=gen.model.config)
        pending = fmt.context(prompt) + fmt.suffix
        lines = []
        for i in range(1, n + 1):
            for label in (f"Q{i}:", f"A{i}:"):
                lines.append(f"{label} {line(cache, pending + label)}")
                pending = "\n"
        return "\n".join(lines)
    return generate


def _corpus_qa(ctx: Context, body: pb.ChallengeRequest, questions: int, positive: int, negative: int) -> Reply:
    gen = _generator(ctx, body.generator)
    try:
        ch = corpus.corpus_challenge(body.corpus_dir, body.seed, min_chars=body.min_chars, max_chars=body.max_chars,
                                     fmt=chat_format(ctx.tokenizer), generate=_generate_fn(ctx, gen, questions),
                                     num_questions=questions, salt=body.salt, n_positive=positive, n_negative=negative)
    except TaskError as exc:
        raise InvalidArgument(str(exc)) from None
    return Reply(pb.ChallengeReply(
        context=ch.context, formatted_context=ch.formatted_context,
        questions=[pb.ChallengeQuestion(kind=corpus.KIND, question=q, formatted_question=fq, answers=[a])
                   for (q, a), fq in zip(ch.qa, ch.formatted_questions)],
        chunks=[pb.ExistenceChunk(text=t, in_context=lab) for t, lab in ch.chunks],
        context_chars=len(ch.formatted_context), drawn_chars=ch.drawn_chars,
        target_model=body.target_model or ctx.loaded.spec, generator=f"{corpus.GENERATOR}:{gen.model_id}"))


def _organic_qa(ctx: Context, body: pb.ChallengeRequest, kinds: tuple[str, ...], questions: int, positive: int,
                negative: int) -> Reply:
    """Kind organic_qa: QA written about `passage` (an organic client's context) by the generator; the context
    is that text unchanged (it is what the miner compressed), its length within [min_chars, max_chars]."""
    if kinds != (corpus.ORGANIC_KIND,) or not body.passage:
        raise InvalidArgument(f"kind {corpus.ORGANIC_KIND} needs a passage and no other kind")
    if len(body.generator) > MAX_GENERATOR_SPEC:
        raise InvalidArgument(f"generator over {MAX_GENERATOR_SPEC} characters")
    text = body.passage
    if not body.min_chars <= len(text) <= body.max_chars:
        raise InvalidArgument(f"passage of {len(text)} characters outside [{body.min_chars}, {body.max_chars}]")
    gen = _generator(ctx, body.generator)
    try:
        ch = corpus.organic_challenge(text, body.seed, fmt=chat_format(ctx.tokenizer),
                                      generate=_generate_fn(ctx, gen, questions), num_questions=questions,
                                      salt=body.salt, n_positive=positive, n_negative=negative)
    except TaskError as exc:
        raise InvalidArgument(str(exc)) from None
    return Reply(pb.ChallengeReply(
        context=text, formatted_context=text,
        questions=[pb.ChallengeQuestion(kind=corpus.ORGANIC_KIND, question=q, formatted_question=fq, answers=[a])
                   for (q, a), fq in zip(ch.qa, ch.formatted_questions)],
        chunks=[pb.ExistenceChunk(text=t, in_context=lab) for t, lab in ch.chunks],
        context_chars=len(text), drawn_chars=len(text),
        target_model=body.target_model or ctx.loaded.spec, generator=f"{corpus.ORGANIC_GENERATOR}:{gen.model_id}"))
