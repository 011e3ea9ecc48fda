"""Training config validation, data loading errors and batching (no model runs)."""
from __future__ import annotations

import random

import pytest

from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.models import byte_tokenizer
from condense_worker.train import DataError, DataNotFound, TrainConfig, TrainConfigError
from condense_worker.train.data import RECONSTRUCT_PROMPT, Collator, SampleSource, TrainSample, load_corpus
from condense_worker.train.tasks import answer_matches, held_out


@pytest.mark.parametrize("field,value,message", [
    ("objective", "dance", "objective must be one of reconstruction, continuation, mixed, got 'dance'"),
    ("max_steps", 0, "max_steps must be a positive integer, got 0"),
    ("lr", 2.0, "lr must be in (0, 1), got 2.0"),
    ("lora_rank", -1, "lora_rank must be a non-negative integer, got -1"),
    ("corpus_share", 1.5, "corpus_share must be in [0, 1], got 1.5"),
    ("device", "tpu", "device must be auto, cpu or cuda[:N], got 'tpu'"),
])
def test_a_bad_setting_is_named_with_its_value(field, value, message):
    with pytest.raises(TrainConfigError) as e:
        TrainConfig(output_dir="x", **{field: value})
    assert str(e.value) == message


def test_unknown_settings_and_missing_output_dir_are_refused():
    with pytest.raises(TrainConfigError, match="unknown training settings: colour"):
        TrainConfig.from_dict({"output_dir": "x", "colour": 1})
    with pytest.raises(TrainConfigError, match="output_dir is required"):
        TrainConfig.from_request(pb.TrainRequest(max_steps=3))


def test_from_request_reads_zero_values_as_defaults():
    cfg = TrainConfig.from_request(pb.TrainRequest(output_dir="o", max_steps=3, lr=0.01, condenser_model="tiny:llama",
                                                   gradient_checkpointing=True))
    assert (cfg.max_steps, cfg.lr, cfg.condenser_model, cfg.gradient_checkpointing) == (3, 0.01, "tiny:llama", True)
    default = TrainConfig(output_dir="o")
    assert (cfg.decoder_model, cfg.num_condense_tokens, cfg.objective) == \
        (default.decoder_model, default.num_condense_tokens, default.objective)


def test_corpus_errors_name_the_path(tmp_path):
    with pytest.raises(DataNotFound, match=f"data path {tmp_path}/missing does not exist"):
        load_corpus(str(tmp_path / "missing"))
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01")
    with pytest.raises(DataError, match="holds no text files"):
        load_corpus(str(tmp_path))
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(DataError, match="holds only empty files"):
        load_corpus(str(tmp_path))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("hello corpus")
    assert load_corpus(str(tmp_path)) == ["hello corpus"]
    assert load_corpus(str(tmp_path / "sub" / "a.md")) == ["hello corpus"]


def test_a_hub_dataset_without_a_hub_is_a_clear_error():
    with pytest.raises(DataError, match="hf:some/dataset"):
        load_corpus("hf:some/dataset")


def test_the_loss_covers_only_target_tokens():
    tok = byte_tokenizer()
    collate = Collator(tok, tok, context_tokens=10, target_tokens=4)
    batch = collate([TrainSample("0123456789abcdef", RECONSTRUCT_PROMPT, "", "reconstruction"),
                     TrainSample("ctx", "Q?", " yes indeed", "answering", "yes")])
    assert batch["ctx_ids"].shape == (2, 10)
    assert batch["ctx_mask"][1].tolist() == [0] * 7 + [1] * 3  # left padded
    labels, ids = batch["labels"], batch["dec_ids"]
    p0 = len(RECONSTRUCT_PROMPT.encode())
    assert labels[0, :p0].eq(-100).all()
    # reconstruction target: the context cut to 10 tokens, then cut to 4 target tokens, then EOS
    assert tok.decode(labels[0, p0:p0 + 4].tolist()) == "0123"
    assert labels[0, p0 + 4].item() == tok.eos_token_id
    assert labels[1, :2].eq(-100).all() and tok.decode(labels[1, 2:6].tolist()) == " yes"
    assert labels[1, 7:].eq(-100).all() and batch["dec_mask"][1, 7:].eq(0).all()
    assert ids[1, 7:].eq(tok.pad_token_id).all()


def test_samples_are_deterministic_and_held_out_tasks_differ_from_training():
    src = SampleSource("mixed", [], context_chars=300, target_chars=50)
    a = [src.sample(random.Random("s")) for _ in range(5)]
    b = [src.sample(random.Random("s")) for _ in range(5)]
    assert a == b and {s.kind for s in (src.sample(random.Random(i)) for i in range(40))} == \
        {"reconstruction", "answering"}
    ho = held_out(0, 8, 300)
    assert held_out(0, 8, 300) == ho and all(s.answer and s.question for s in ho)
    assert answer_matches("The answer is Lisbon.", "lisbon") and not answer_matches("Oslo", "Lisbon")
