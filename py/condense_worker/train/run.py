"""Runs one training job: validate data, build models, fit with Lightning, report, checkpoint."""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..condenser import CONFIG_FILE, Condenser, load_causal_lm, load_causal_lm_pair
from .callbacks import BEST_DIR, LAST_CKPT, BestCheckpoint, Progress, ProgressReporter
from .config import TrainConfig, TrainConfigError
from .data import Collator, ListDataset, SampleSource, StreamDataset, chars_per_token, load_corpus, validation_samples
from .module import CondenserTrainModule


class TrainingCancelled(Exception):
    def __init__(self, step: int, checkpoint: str) -> None:
        super().__init__(f"training cancelled at step {step}; resumable state in {checkpoint}")
        self.step, self.checkpoint = step, checkpoint


@dataclass
class TrainResult:
    step: int
    loss: float
    best_val_loss: float
    val_accuracy: float
    best_checkpoint: str
    last_checkpoint: str


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TrainConfigError(f"device {name} requested but CUDA is not available")
    return name


def resolve_resume(resume_from: str) -> tuple[Path | None, Path | None]:
    """(lightning checkpoint to resume, condenser checkpoint to warm-start from); a directory may be
    a training output dir (holding last.ckpt) or a condenser checkpoint (holding its config)."""
    if not resume_from:
        return None, None
    p = Path(resume_from)
    if p.is_file() and p.suffix == ".ckpt":
        return p, None
    if p.is_dir() and (p / LAST_CKPT).is_file():
        return p / LAST_CKPT, None
    if p.is_dir() and (p / CONFIG_FILE).is_file():
        return None, p
    raise FileNotFoundError(f"resume_from {resume_from}: no {LAST_CKPT}, .ckpt file or condenser checkpoint there")


def _quiet_lightning() -> None:
    # The worker's stdout is a JSON log stream; Lightning's banners and hints would pollute it.
    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="lightning")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")


@dataclass
class Prepared:
    """Models already in memory (benchmarks): the frozen decoder, its tokenizer and a fresh condenser.
    The condenser is trained in place."""
    decoder: torch.nn.Module
    decoder_tokenizer: object
    condenser: Condenser


def run_training(cfg: TrainConfig, sink: Callable[[Progress], None] = lambda p: None,
                 should_stop: Callable[[], bool] = lambda: False, prepared: Prepared | None = None) -> TrainResult:
    import lightning as L

    _quiet_lightning()
    corpus = load_corpus(cfg.data_path)  # fail on bad data before loading any model
    ckpt_path, warm_start = resolve_resume(cfg.resume_from)
    device = resolve_device(cfg.device)
    on_gpu = device.startswith("cuda")
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)

    # Frozen decoder: bf16 on GPU (autocast handles the trainable side), fp32 on CPU.
    decoder_dtype = torch.bfloat16 if on_gpu else torch.float32
    lm = ctok = None
    if prepared is not None:
        decoder, dtok = prepared.decoder, prepared.decoder_tokenizer
    elif warm_start is None:
        # One load when both roles use the same model (condenser fp32 = decoder dtype on CPU).
        (lm, ctok), (decoder, dtok) = load_causal_lm_pair(cfg.condenser_model, cfg.decoder_model, device,
                                                          torch.float32, decoder_dtype)
    else:
        decoder, dtok = load_causal_lm(cfg.decoder_model, device=device, dtype=decoder_dtype)
    decoder_hidden = int(decoder.config.get_text_config().hidden_size)
    if prepared is not None:
        condenser = prepared.condenser
    elif warm_start is not None:
        condenser = Condenser.load(warm_start, device=device, dtype=torch.float32, merge_adapter=False)
    else:
        condenser = Condenser.random_init(cfg.condenser_model, cfg.decoder_model, decoder_hidden,
                                          cfg.num_condense_tokens, cfg.last_k_layers, lora_rank=cfg.lora_rank,
                                          lora_alpha=cfg.lora_alpha or None, max_context_tokens=cfg.context_tokens,
                                          device=device, seed=cfg.seed, lm=lm, tokenizer=ctok,
                                          output_std=float(decoder.get_input_embeddings().weight.detach().float().std()))
    if condenser.config.decoder_hidden != decoder_hidden:
        raise TrainConfigError(f"condenser projects to {condenser.config.decoder_hidden} dims but decoder "
                               f"{cfg.decoder_model} has hidden size {decoder_hidden}")
    if cfg.gradient_checkpointing:
        for m in (condenser.lm, decoder):
            m.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})

    cpt = chars_per_token(condenser.tokenizer)
    source = SampleSource(cfg.objective, corpus, int(cfg.context_tokens * cpt), int(cfg.target_tokens * cpt),
                          cfg.corpus_share)
    collate = Collator(condenser.tokenizer, dtok, cfg.context_tokens, cfg.target_tokens)
    start_step = int(torch.load(ckpt_path, map_location="cpu", weights_only=False).get("global_step", 0)) if ckpt_path else 0
    train_loader = torch.utils.data.DataLoader(StreamDataset(source, cfg.seed, start_step), batch_size=cfg.batch_size,
                                               collate_fn=collate)
    val_loader = torch.utils.data.DataLoader(
        ListDataset(validation_samples(source, cfg.seed, cfg.val_samples, cfg.val_generate)),
        batch_size=cfg.batch_size, collate_fn=collate)

    module = CondenserTrainModule(condenser, decoder, dtok, cfg)
    reporter = ProgressReporter(sink, should_stop, cfg.progress_every)
    best = BestCheckpoint(out, reporter)
    gpu_index = int(device.split(":", 1)[1]) if ":" in device else 0
    trainer = L.Trainer(accelerator="gpu" if on_gpu else "cpu", devices=[gpu_index] if on_gpu else 1,
                        precision="bf16-mixed" if on_gpu else "32-true", max_steps=cfg.max_steps,
                        val_check_interval=cfg.val_every, check_val_every_n_epoch=None, num_sanity_val_steps=0,
                        gradient_clip_val=1.0, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=str(out), callbacks=[best, reporter])
    trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=val_loader,
                ckpt_path=str(ckpt_path) if ckpt_path else None)

    last = out / LAST_CKPT
    if reporter.cancelled:
        trainer.save_checkpoint(str(last))
        sink(reporter.snapshot(trainer, module, final=True))
        raise TrainingCancelled(trainer.global_step, str(last))
    if trainer.global_step % cfg.val_every != 0:
        # The last steps were not validated yet: validate so the best checkpoint reflects them.
        trainer.validate(module, dataloaders=val_loader, verbose=False)
    trainer.save_checkpoint(str(last))
    sink(reporter.snapshot(trainer, module, final=True))
    return TrainResult(step=trainer.global_step, loss=module.last_loss,
                       best_val_loss=best.best if math.isfinite(best.best) else math.nan,
                       val_accuracy=module.val_accuracy,
                       best_checkpoint=str(out / BEST_DIR) if (out / BEST_DIR).is_dir() else "",
                       last_checkpoint=str(last))
