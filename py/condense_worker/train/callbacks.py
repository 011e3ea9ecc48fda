"""Lightning callbacks: progress reporting with cancellation, and checkpoints on best validation loss."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import lightning as L

BEST_DIR = "best"
LAST_CKPT = "last.ckpt"


@dataclass
class Progress:
    step: int
    max_steps: int
    loss: float
    val_loss: float
    val_accuracy: float
    tokens_per_s: float
    eta_s: float
    lr: float
    checkpoint: str
    final: bool = False


class ProgressReporter(L.Callback):
    """Sends a Progress every `every` steps and after each validation; asks `should_stop` whether the
    run was cancelled (the trainer then stops at the end of the current step)."""

    def __init__(self, sink: Callable[[Progress], None], should_stop: Callable[[], bool], every: int) -> None:
        self.sink, self.should_stop, self.every = sink, should_stop, every
        self.cancelled = False
        self.checkpoint = ""
        self._t0 = 0.0
        self._tokens0 = 0
        self._step0 = 0

    def on_train_start(self, trainer, module) -> None:
        self._t0 = time.perf_counter()
        self._tokens0, self._step0 = module.tokens_seen, trainer.global_step

    def snapshot(self, trainer, module, final: bool = False) -> Progress:
        elapsed = max(1e-9, time.perf_counter() - self._t0)
        done = trainer.global_step - self._step0
        left = max(0, trainer.max_steps - trainer.global_step)
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else 0.0
        return Progress(step=trainer.global_step, max_steps=trainer.max_steps, loss=module.last_loss,
                        val_loss=module.val_loss, val_accuracy=module.val_accuracy,
                        tokens_per_s=(module.tokens_seen - self._tokens0) / elapsed,
                        eta_s=(elapsed / done * left) if done else math.nan, lr=lr,
                        checkpoint=self.checkpoint, final=final)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if trainer.global_step % self.every == 0 or trainer.global_step >= trainer.max_steps:
            self.sink(self.snapshot(trainer, module))
        if self.should_stop():
            self.cancelled = True
            trainer.should_stop = True

    def on_validation_end(self, trainer, module) -> None:
        if not trainer.sanity_checking:
            self.sink(self.snapshot(trainer, module))


class BestCheckpoint(L.Callback):
    """After each validation: the condenser goes to <out>/best when val_loss improved (the format the
    soft_token backend loads), and the resumable training state to <out>/last.ckpt."""

    def __init__(self, output_dir: Path, reporter: ProgressReporter) -> None:
        self.output_dir, self.reporter = Path(output_dir), reporter
        self.best = math.inf

    def on_validation_end(self, trainer, module) -> None:
        if trainer.sanity_checking:
            return
        if module.val_loss < self.best:
            self.best = module.val_loss
            path = module.condenser.save(self.output_dir / BEST_DIR, trained_steps=trainer.global_step)
            self.reporter.checkpoint = str(path)
        trainer.save_checkpoint(str(self.output_dir / LAST_CKPT))

    def state_dict(self) -> dict:
        return {"best": self.best}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state.get("best", math.inf))
