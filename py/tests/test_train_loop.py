"""Training on tiny models: the loss falls, the best checkpoint serves soft_token compress, resume works."""
from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import torch

from condense_worker.condenser import Condenser, CondenserConfig
from condense_worker.train import BEST_DIR, LAST_CKPT, TrainConfig, run_training

# A corpus with few distinct bytes: a frozen random tiny decoder can be steered towards it through the
# soft tokens alone, so 50 steps show a clear fall in loss.
CORPUS = "abcd abcd dcba abcd. " * 80


def tiny_config(out: Path, corpus: Path, **kw) -> TrainConfig:
    base = dict(output_dir=str(out), condenser_model="tiny:llama", decoder_model="tiny:llama",
                objective="continuation", data_path=str(corpus), corpus_share=1.0, num_condense_tokens=16,
                last_k_layers=2, lora_rank=4, lr=5e-3, lr_projection=5e-2, context_tokens=32,
                max_target_tokens=16, batch_size=2, val_every=25, val_samples=2, val_generate=1, seed=0)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("corpus") / "text.txt"
    p.write_text(CORPUS)
    return p


@pytest.fixture(scope="module")
def fifty(tmp_path_factory, corpus):
    out = tmp_path_factory.mktemp("run50")
    progress = []
    result = run_training(tiny_config(out, corpus, max_steps=50), sink=progress.append)
    return out, progress, result


def test_fifty_steps_lower_the_training_loss_clearly(fifty):
    _, progress, result = fifty
    steps = [p for p in progress if not p.final]
    losses = {p.step: p.loss for p in steps}  # after a validation the same step is reported again
    assert sorted(losses) == list(range(1, 51))
    first = statistics.mean(losses[s] for s in range(1, 11))
    last = statistics.mean(losses[s] for s in range(41, 51))
    assert last < 0.8 * first, f"loss {first:.3f} -> {last:.3f}"
    assert result.step == 50
    finals = [p for p in progress if p.final]
    assert len(finals) == 1 and finals[0].step == 50 and finals[0].tokens_per_s > 0
    assert finals[0].val_loss == pytest.approx(result.best_val_loss) or finals[0].val_loss >= result.best_val_loss
    assert 0.0 <= finals[0].val_accuracy <= 1.0


def test_the_best_checkpoint_loads_and_carries_trained_weights(fifty):
    out, progress, result = fifty
    assert result.best_checkpoint == str(out / BEST_DIR)
    assert any(p.checkpoint == result.best_checkpoint for p in progress)
    cfg = CondenserConfig.load(out / BEST_DIR)
    assert cfg.trained_steps in (25, 50) and cfg.num_tokens == 16 and cfg.decoder_hidden == 64
    trained = Condenser.load(out / BEST_DIR)
    fresh = Condenser.random_init("tiny:llama", "tiny:llama", 64, 16, 2, lora_rank=4, max_context_tokens=32, seed=0)
    with torch.no_grad():
        a, b = trained.condense_text(["abcd abcd"]), fresh.condense_text(["abcd abcd"])
    assert a.shape == b.shape == (1, 16, 64)
    assert (a - b).abs().max() > 1e-3  # training moved the weights away from the same-seed start


def test_the_checkpoint_serves_a_soft_token_compress_request_whose_container_validates(fifty, tmp_path):
    from condense_worker.container.reader import read_container
    from condense_worker.gen.condense.v1 import worker_pb2 as pb
    from condense_worker.handlers import load_handlers
    from condense_worker.logs import Logger
    from condense_worker.models import load_model
    from condense_worker.runtime import Worker, WorkerOptions
    from test_worker_runtime import FakeFrame, RecordingTransport

    out, _, _ = fifty
    load_handlers()
    loaded = load_model("tiny:llama")
    worker = Worker(RecordingTransport(), loaded, WorkerOptions("train-w"), Logger(worker_id="train-w"), "tiny:llama")
    path = tmp_path / "c.safetensors"
    msg = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="c1")
    msg.compress.CopyFrom(pb.CompressRequest(context="abcd dcba abcd " * 4, algorithm="soft_token", output_path=str(path),
                                             params=pb.CompressParams(checkpoint=str(out / BEST_DIR))))
    worker.on_message([FakeFrame(msg.SerializeToString())])
    while not worker._jobs.empty():
        worker._run(worker._jobs.get())
    reply = worker.transport.sent[-1][0]
    assert reply.WhichOneof("body") == "compress", reply
    assert reply.compress.info.kept_tokens == 16
    from condense_worker.container.spec import ModelShape

    shape = ModelShape(loaded.shape.num_layers, loaded.shape.num_kv_heads, loaded.shape.head_dim, loaded.shape.hidden_size)
    layers, meta = read_container(str(path), shape)
    assert len(layers) == loaded.shape.num_layers
    assert layers[0][0].shape[2] == 16
    assert meta.kept_tokens == 16 and meta.algorithm == "soft_token"


def test_resume_continues_from_the_saved_step(tmp_path, corpus):
    first = []
    run_training(tiny_config(tmp_path, corpus, max_steps=4, val_every=2), sink=first.append)
    assert (tmp_path / LAST_CKPT).is_file()
    saved = torch.load(tmp_path / LAST_CKPT, map_location="cpu", weights_only=False)
    assert saved["global_step"] == 4
    # Only trainable tensors are stored, never the frozen decoder or condenser base weights.
    assert saved["state_dict"] and all(k.startswith("condenser.") for k in saved["state_dict"])
    assert not any("base_layer" in k for k in saved["state_dict"])

    second = []
    result = run_training(tiny_config(tmp_path, corpus, max_steps=7, val_every=2, resume_from=str(tmp_path)),
                          sink=second.append)
    steps = [p.step for p in second if not p.final]
    assert steps[0] == 5 and max(steps) == 7 and result.step == 7
    assert torch.load(tmp_path / LAST_CKPT, map_location="cpu", weights_only=False)["global_step"] == 7


def test_resume_from_a_missing_place_fails_before_training(tmp_path, corpus):
    with pytest.raises(FileNotFoundError, match="no last.ckpt"):
        run_training(tiny_config(tmp_path, corpus, max_steps=2, resume_from=str(tmp_path / "nothing")))
