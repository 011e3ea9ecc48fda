"""The multi-container Evaluate through a real worker: one request, containers from several "miners" (each
its own challenge, kept length and original length) as files and as frames; the answers and verdicts equal
one single-container Evaluate per container; a hostile container fails alone."""
from __future__ import annotations

import pytest
import torch

from condense_worker.gen.condense.v1 import worker_pb2 as pb

MINERS = [("5Alice", "kvzip_shared", 0.5), ("5Bob", "streaming_llm", 0.7), ("5Carol", "full", 0.0)]


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn("tiny:llama", "--threads", "1")


@pytest.fixture(scope="module")
def containers(worker, tmp_path_factory):
    """(challenge reply, container path) per miner, made by the worker itself."""
    out = []
    d = tmp_path_factory.mktemp("containers")
    for i, (salt, algorithm, ratio) in enumerate(MINERS):
        ch = worker.call("challenge", pb.ChallengeRequest(seed=100 + i, min_chars=400, max_chars=800, salt=salt,
                                                          num_questions=2, kinds=["needle_single", "counting"]))
        assert ch.kind == "challenge", ch.msg
        path = str(d / f"{salt}.safetensors")
        r = worker.call("compress", pb.CompressRequest(context=ch.msg.challenge.formatted_context, algorithm=algorithm,
                                                       params=pb.CompressParams(ratio=ratio), output_path=path,
                                                       dtype=pb.DTYPE_F32))
        assert r.kind == "compress", r.msg
        out.append((ch.msg.challenge, path, r.msg.compress.info))
    assert len({info.kept_tokens for _, _, info in out}) == len(out)
    assert len({info.original_tokens for _, _, info in out}) > 1
    return out


def _item(ch, path, tag, **kw):
    return pb.EvaluateItem(id=tag, container_path=path, questions=[q.formatted_question for q in ch.questions],
                           expected=[pb.ExpectedAnswer(answers=q.answers) for q in ch.questions],
                           existence_chunks=[c.text for c in ch.chunks],
                           existence_labels=[c.in_context for c in ch.chunks], **kw)


def _single(worker, ch, path):
    r = worker.call("evaluate", pb.EvaluateRequest(
        container_path=path, questions=[q.formatted_question for q in ch.questions], max_new_tokens=8,
        expected=[pb.ExpectedAnswer(answers=q.answers) for q in ch.questions],
        answer_check=pb.ANSWER_CHECK_PROCEDURAL, existence_chunks=[c.text for c in ch.chunks],
        existence_labels=[c.in_context for c in ch.chunks]))
    assert r.kind == "evaluate", r.msg
    return r.msg.evaluate


def test_one_batched_request_equals_one_request_per_container(worker, containers):
    singles = [_single(worker, ch, path) for ch, path, _ in containers]
    for s, (ch, _, _) in zip(singles, containers):
        assert len(s.correct) == len(ch.questions) and len(s.existence_correct) == len(ch.chunks)
    items = [_item(ch, path, f"m{i}") for i, (ch, path, _) in enumerate(containers)]
    r = worker.call("evaluate", pb.EvaluateRequest(items=items, max_new_tokens=8,
                                                   answer_check=pb.ANSWER_CHECK_PROCEDURAL, max_batch_rows=5))
    assert r.kind == "evaluate", r.msg
    got = r.msg.evaluate.items
    assert [g.id for g in got] == ["m0", "m1", "m2"]
    for g, s, (_, _, info) in zip(got, singles, containers):
        assert not g.HasField("error")
        assert list(g.answers) == list(s.answers)
        assert list(g.correct) == list(s.correct)
        assert list(g.existence_replies) == list(s.existence_replies)
        assert list(g.existence) == list(s.existence)
        assert list(g.existence_correct) == list(s.existence_correct)
        assert (g.kept_tokens, g.next_position) == (info.kept_tokens, info.original_tokens)


def test_containers_as_frames_and_a_hostile_container_fails_alone(worker, containers, tmp_path):
    (ch0, p0, _), (ch1, p1, _), (ch2, p2, _) = containers
    blob = torch.frombuffer(bytearray(open(p1, "rb").read()), dtype=torch.uint8)
    garbage = tmp_path / "garbage.safetensors"
    header = b'{"a":' + b"[" * 20000 + b"]" * 20000 + b"}"  # nesting deep enough to break a recursive parser
    garbage.write_bytes(len(header).to_bytes(8, "little") + header)
    items = [_item(ch0, p0, "good-file"), _item(ch1, "", "good-frame", container_tensor="c1"),
             _item(ch2, str(garbage), "garbage"), _item(ch2, str(tmp_path / "missing"), "missing")]
    r = worker.call("evaluate", pb.EvaluateRequest(items=items, max_new_tokens=8,
                                                   answer_check=pb.ANSWER_CHECK_PROCEDURAL),
                    tensors=[("c1", blob)])
    assert r.kind == "evaluate", r.msg
    res = {g.id: g for g in r.msg.evaluate.items}
    assert not res["good-file"].HasField("error") and not res["good-frame"].HasField("error")
    assert list(res["good-frame"].answers) == list(_single(worker, ch1, p1).answers)
    assert res["garbage"].error.code == pb.ERROR_CODE_INVALID_CONTAINER and not res["garbage"].answers
    assert res["missing"].error.code == pb.ERROR_CODE_NOT_FOUND


def test_positions_beyond_the_model_fail_alone(worker, containers, tmp_path):
    """A miner claiming an original length past the model's positions gets an item error, not garbage."""
    from condense_worker.container import read_container, write_kv_container
    (ch0, p0, _), (ch1, p1, _), _ = containers
    layers, meta = read_container(p1)
    far = str(tmp_path / "far.safetensors")
    write_kv_container(far, layers, {"target_model": meta.target_model, "original_tokens": 10**6,
                                     "algorithm": "full", "params": {}, "context": "x"}, "f32")
    r = worker.call("evaluate", pb.EvaluateRequest(items=[_item(ch0, p0, "ok"), _item(ch1, far, "far")],
                                                   max_new_tokens=4, answer_check=pb.ANSWER_CHECK_PROCEDURAL))
    assert r.kind == "evaluate", r.msg
    ok, bad = r.msg.evaluate.items
    assert not ok.HasField("error") and len(ok.answers) == 2
    assert bad.error.code == pb.ERROR_CODE_INVALID_CONTAINER and "positions" in bad.error.message


def test_a_container_for_another_model_fails_alone(worker, containers):
    (ch0, p0, _), _, _ = containers
    r = worker.call("evaluate", pb.EvaluateRequest(items=[_item(ch0, p0, "a")], target_model="someone/else",
                                                   max_new_tokens=4))
    assert r.kind == "evaluate", r.msg
    assert r.msg.evaluate.items[0].error.code == pb.ERROR_CODE_INVALID_CONTAINER


@pytest.mark.parametrize("mutate,code", [
    (lambda req: req.questions.append("\n\nq"), pb.ERROR_CODE_MALFORMED),              # fields outside items
    (lambda req: req.items[0].expected.pop(), pb.ERROR_CODE_INVALID_ARGUMENT),           # answers != questions
    (lambda req: setattr(req, "answer_check", pb.ANSWER_CHECK_UNSPECIFIED), pb.ERROR_CODE_INVALID_ARGUMENT),
    (lambda req: req.items[0].existence_labels.append(True), pb.ERROR_CODE_INVALID_ARGUMENT),
    (lambda req: req.items.extend([req.items[0]] * 64), pb.ERROR_CODE_INVALID_ARGUMENT),  # too many items
    (lambda req: setattr(req, "answer_check", 77), pb.ERROR_CODE_INVALID_ARGUMENT),
])
def test_bad_batched_requests_get_typed_errors(worker, containers, mutate, code):
    ch0, p0, _ = containers[0]
    req = pb.EvaluateRequest(items=[_item(ch0, p0, "a")], max_new_tokens=4, answer_check=pb.ANSWER_CHECK_PROCEDURAL)
    mutate(req)
    r = worker.call("evaluate", req)
    assert r.kind == "error" and r.msg.error.code == code, r.msg


def test_stray_tensor_is_refused(worker, containers):
    ch0, p0, _ = containers[0]
    r = worker.call("evaluate", pb.EvaluateRequest(items=[_item(ch0, p0, "a")], max_new_tokens=4),
                    tensors=[("stray", torch.zeros(4, dtype=torch.uint8))])
    assert r.kind == "error" and r.msg.error.code == pb.ERROR_CODE_MALFORMED
