"""The Train handler: streamed progress, the final reply, typed errors and cancellation."""
from __future__ import annotations

from pathlib import Path

import pytest

from condense_worker.errors import Cancelled, InvalidArgument, NotFound
from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.handlers import Context, Request
from condense_worker.handlers.train import train
from condense_worker.train import LAST_CKPT


def request(out: Path, **kw) -> pb.TrainRequest:
    base = dict(output_dir=str(out), condenser_model="tiny:llama", decoder_model="tiny:llama",
                num_condense_tokens=4, last_k_layers=1, lora_rank=2, max_steps=3, batch_size=1,
                context_tokens=24, val_every=2, objective="mixed")
    base.update(kw)
    return pb.TrainRequest(**base)


def run(body: pb.TrainRequest, cancel_after: int | None = None):
    emitted: list[pb.TrainProgress] = []
    req = Request(id="t1", kind="train", body=body, tensors={})
    ctx = Context(loaded=None, request=req, is_cancelled=lambda rid: cancel_after is not None and len(emitted) >= cancel_after,
                  emit=lambda rid, reply: emitted.append(reply.body), log=None)
    return train(ctx, req), emitted


def test_progress_streams_then_the_final_reply(tmp_path):
    reply, emitted = run(request(tmp_path))
    assert [p.step for p in emitted if p.val_loss != p.val_loss][:2] == [1, 2]  # NaN until the first validation
    assert all(isinstance(p, pb.TrainProgress) and not p.final for p in emitted)
    final = reply.body
    assert final.final and final.step == 3 and final.max_steps == 3
    assert final.loss > 0 and final.val_loss > 0 and final.tokens_per_s > 0
    assert final.checkpoint == str(tmp_path / "best") and Path(final.checkpoint, "condenser_config.json").is_file()


def test_a_missing_data_path_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="data path .*missing does not exist"):
        run(request(tmp_path, data_path=str(tmp_path / "missing")))


def test_a_bad_setting_is_an_invalid_argument(tmp_path):
    with pytest.raises(InvalidArgument, match="objective must be one of"):
        run(request(tmp_path, objective="guess"))


def test_cancellation_stops_training_and_leaves_a_resumable_state(tmp_path):
    with pytest.raises(Cancelled, match="cancelled at step 1") as e:
        run(request(tmp_path, max_steps=50), cancel_after=1)
    assert "t1 was cancelled" in str(e.value)
    assert (tmp_path / LAST_CKPT).is_file()
