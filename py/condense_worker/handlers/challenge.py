"""Challenge: the procedural task generator behind a request, so the validator's TypeScript side can draw
seeded, per-contender challenges (tasks.generator.generate_challenge) formatted with the target model's
chat template. The reply carries the ground truth; the caller decides what of it leaves its process."""
from __future__ import annotations

from ..errors import InvalidArgument, Malformed, UnsupportedModel
from ..gen.condense.v1 import worker_pb2 as pb
from ..tasks import KINDS, TaskError, chat_format
from ..tasks.generator import CHALLENGE_GENERATOR, generate_challenge
from . import Context, Reply, Request, handler

MAX_CHARS = 2_000_000       # far above every tier (the largest asks for ~60k characters)
MAX_QUESTIONS = 32
MAX_CHUNKS = 16
MAX_SALT = 512


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
    try:
        ch = generate_challenge(body.seed, min_chars=body.min_chars, max_chars=body.max_chars,
                                fmt=chat_format(ctx.tokenizer), kinds=tuple(body.kinds) or KINDS,
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
