"""Evaluate: containers (file paths or request tensors) plus formatted questions in; greedy answers,
existence verdicts and, when the ground truth is given, per-question and per-chunk verdicts out (with
ANSWER_CHECK_JUDGE the worker's model judges each free-form answer after answering, see evaluate.judge_answers).

One container: fields 1..9 of EvaluateRequest. Several (e.g. one per miner, each answering its own
challenge): `items`, answered in padded batched decodes by `evaluate_many`; a container that fails its
checks gets its own error in `EvaluateItemResult.error` and the others are still evaluated. Every
container is checked (structure, model shape, NaN/Inf, positions within the model's range) before any of
its tensors reaches the model."""
from __future__ import annotations

import os
import tempfile

from ..container import ContainerError, ModelShape, read_container
from ..errors import InvalidArgument, InvalidContainer, Malformed, NotFound, WorkerError
from ..evaluate import (DEFAULT_MAX_BATCH_ROWS, EXISTENCE_PROMPT, EvalItem, evaluate, evaluate_many,
                        load_context)
from ..gen.condense.v1 import worker_pb2 as pb
from ..tasks.chat import chat_format
from . import Context, Reply, Request, handler

MAX_NEW_TOKENS_LIMIT = 1024
DEFAULT_MAX_NEW_TOKENS = 64
MAX_ITEMS = 64
MAX_PROMPTS_PER_ITEM = 64
_CHECKS = {pb.ANSWER_CHECK_UNSPECIFIED: None, pb.ANSWER_CHECK_PROCEDURAL: "procedural",
           pb.ANSWER_CHECK_EXACT: "exact", pb.ANSWER_CHECK_JUDGE: "judge"}


def _read(ctx: Context, path: str):
    s = ctx.shape
    shape = ModelShape(num_layers=s.num_layers, kv_heads=s.num_kv_heads, head_dim=s.head_dim,
                       hidden_size=s.hidden_size)
    try:
        return read_container(path, model=shape)
    except ContainerError as exc:
        raise InvalidContainer(str(exc)) from None


def _from_frame(ctx: Context, frame) -> tuple:
    if frame.dtype.itemsize != 1 or frame.dim() != 1:
        raise Malformed("a container tensor must be 1-D bytes (u8)")
    with tempfile.TemporaryDirectory(prefix="condense-eval-") as tmp:
        path = os.path.join(tmp, "container.safetensors")
        with open(path, "wb") as f:
            f.write(frame.numpy().tobytes())
        tensors, meta = _read(ctx, path)
        # Detach from the file before the directory goes.
        tensors = [(k.clone(), v.clone()) for k, v in tensors] if isinstance(tensors, list) else tensors.clone()
    return tensors, meta


def _container(ctx: Context, req: Request, path: str, tensor_name: str, target_model: str):
    if path:
        if tensor_name:
            raise Malformed("give the container as a path or as a tensor, not both")
        if not os.path.isfile(path):
            raise NotFound(f"container {path!r} does not exist")
        container = _read(ctx, path)
    else:
        frame = req.tensors.get(tensor_name)
        if frame is None:
            raise Malformed(f"no container path and no request tensor named {tensor_name!r}")
        container = _from_frame(ctx, frame)
    if target_model and target_model != container[1].target_model:
        raise InvalidContainer(f"container was made for {container[1].target_model!r}, not {target_model!r}")
    return container


def _expected(repeated) -> list[list[str]] | None:
    return [list(e.answers) for e in repeated] if len(repeated) else None


def _longest_prompt(ctx: Context, item: EvalItem) -> int:
    fmt = chat_format(ctx.tokenizer)
    prompts = [*item.questions, *(fmt.question(EXISTENCE_PROMPT.format(chunk=c)) for c in item.existence_chunks)]
    return max(len(ctx.tokenizer(p, add_special_tokens=False).input_ids) for p in prompts)


def _check_positions(ctx: Context, loaded, questions_tokens: int, limit: int) -> None:
    top = ctx.shape.max_position_embeddings
    if top and loaded.next_position + questions_tokens + limit > top:
        raise InvalidContainer(f"container positions continue at {loaded.next_position}; with the prompts that "
                               f"exceeds the model's {top} positions")


@handler("evaluate")
def evaluate_handler(ctx: Context, req: Request) -> Reply:
    body: pb.EvaluateRequest = req.body
    limit = body.max_new_tokens or DEFAULT_MAX_NEW_TOKENS
    if limit > MAX_NEW_TOKENS_LIMIT:
        raise InvalidArgument(f"max_new_tokens {limit} exceeds {MAX_NEW_TOKENS_LIMIT}")
    answer_check = _CHECKS.get(body.answer_check, "?")
    if answer_check == "?":
        raise InvalidArgument(f"unknown answer_check {body.answer_check}")
    if body.items:
        return _evaluate_items(ctx, req, body, limit, answer_check)
    if not body.questions and not body.existence_chunks:
        raise InvalidArgument("evaluate needs at least one question or existence chunk")
    if body.container_path and req.tensors:
        raise Malformed("give the container as container_path or as a frame, not both")
    if not body.container_path and ("container" not in req.tensors or len(req.tensors) != 1):
        raise Malformed("evaluate needs container_path or exactly one request tensor named 'container'")
    container = _container(ctx, req, body.container_path, "" if body.container_path else "container",
                           body.target_model)
    labels = list(body.existence_labels) if len(body.existence_labels) else None
    result = evaluate(ctx.model, ctx.tokenizer, container, list(body.questions), limit,
                      list(body.existence_chunks), check=ctx.check, batch=body.batch,
                      expected=_expected(body.expected), answer_check=answer_check, existence_labels=labels)
    return Reply(pb.EvaluateReply(answers=result.answers, existence=[v is True for v in result.existence],
                                  compute_ms=result.compute_ms, existence_replies=result.existence_replies,
                                  correct=result.correct, existence_correct=result.existence_correct))


def _evaluate_items(ctx: Context, req: Request, body: pb.EvaluateRequest, limit: int, answer_check) -> Reply:
    if body.container_path or body.questions or body.existence_chunks or body.expected or body.existence_labels:
        raise Malformed("with items, every container, prompt and label goes inside its item")
    if len(body.items) > MAX_ITEMS:
        raise InvalidArgument(f"{len(body.items)} items exceed {MAX_ITEMS} per request")
    max_rows = body.max_batch_rows or DEFAULT_MAX_BATCH_ROWS
    named = {it.container_tensor for it in body.items if not it.container_path}
    if set(req.tensors) - named:
        raise Malformed(f"request tensors {sorted(set(req.tensors) - named)[:4]} belong to no item")
    results: list[pb.EvaluateItemResult] = [pb.EvaluateItemResult(id=it.id) for it in body.items]
    ready: list[tuple[int, EvalItem]] = []
    for i, it in enumerate(body.items):
        n_prompts = len(it.questions) + len(it.existence_chunks)
        if n_prompts == 0 or n_prompts > MAX_PROMPTS_PER_ITEM:
            raise InvalidArgument(f"item {i} has {n_prompts} prompts; each needs 1..{MAX_PROMPTS_PER_ITEM}")
        item = EvalItem(ctx=None, questions=list(it.questions), existence_chunks=list(it.existence_chunks),  # type: ignore[arg-type]
                        expected=_expected(it.expected),
                        existence_labels=list(it.existence_labels) if len(it.existence_labels) else None)
        try:
            container = _container(ctx, req, it.container_path, it.container_tensor, body.target_model)
            item.ctx = load_context(ctx.model, container)
            _check_positions(ctx, item.ctx, _longest_prompt(ctx, item), limit)
        except InvalidContainer as exc:  # the miner's fault: this item fails, the rest go on
            results[i].error.CopyFrom(exc.to_proto(req.id))
            continue
        except NotFound as exc:
            results[i].error.CopyFrom(exc.to_proto(req.id))
            continue
        except InvalidArgument as exc:  # bad metadata inside a container that passed the reader
            results[i].error.CopyFrom(InvalidContainer(exc.message).to_proto(req.id))
            continue
        except (RecursionError, ValueError, OverflowError) as exc:  # one hostile file must not sink the batch
            results[i].error.CopyFrom(InvalidContainer(f"unreadable container: {exc!r}"[:500]).to_proto(req.id))
            continue
        ctx.check()
        ready.append((i, item))
    outs = evaluate_many(ctx.model, ctx.tokenizer, [it for _, it in ready], limit, check=ctx.check,
                         answer_check=answer_check, max_rows=max_rows) if ready else []
    compute_ms = outs[0].compute_ms if outs else 0.0
    for (i, item), res in zip(ready, outs):
        r = results[i]
        r.answers.extend(res.answers)
        r.correct.extend(res.correct)
        r.existence.extend(v is True for v in res.existence)
        r.existence_replies.extend(res.existence_replies)
        r.existence_correct.extend(res.existence_correct)
        r.kept_tokens = int(item.ctx.layers[0][0].shape[2])
        r.next_position = int(item.ctx.next_position)
    return Reply(pb.EvaluateReply(items=results, compute_ms=compute_ms))


__all__ = ["evaluate_handler", "WorkerError"]
