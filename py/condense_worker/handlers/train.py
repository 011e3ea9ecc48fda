"""Train: runs a condenser training job inside the worker, streaming TrainProgress replies; the last
one (final=true) is the reply. Training loads its own models, so a `--model none` worker serves it."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import Cancelled, DeadlineExceeded, InvalidArgument, ModelLoadError, NotFound, UnsupportedModel, WorkerError
from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler

if TYPE_CHECKING:
    from ..train import Progress


def to_proto(p: Progress) -> pb.TrainProgress:
    # NaN means "not measured yet" (no validation so far, no step done for the eta).
    return pb.TrainProgress(step=p.step, max_steps=p.max_steps, loss=p.loss, val_loss=p.val_loss,
                            tokens_per_s=p.tokens_per_s, eta_s=p.eta_s, checkpoint=p.checkpoint, final=p.final,
                            val_accuracy=p.val_accuracy, lr=p.lr)


@handler("train", needs_model=False)
def train(ctx: Context, req: Request) -> Reply:
    # Imported here: lightning costs every worker ~1.5 s at start, and most workers never train.
    from ..condenser import CheckpointError
    from ..train import DataError, DataNotFound, Progress, TrainConfig, TrainConfigError, TrainingCancelled, run_training

    try:
        cfg = TrainConfig.from_request(req.body)
    except TrainConfigError as e:
        raise InvalidArgument(f"train: {e}") from e
    cfg.device = str(ctx.device) if ctx.device.type == "cuda" else "cpu"  # the worker's --device, index kept

    stop_reason: list[WorkerError] = []

    def should_stop() -> bool:
        try:
            ctx.check()
        except (Cancelled, DeadlineExceeded) as e:
            stop_reason.append(e)
            return True
        return False

    final: list[Progress] = []

    def sink(p: Progress) -> None:
        if p.final:
            final.append(p)
        else:
            ctx.emit(to_proto(p))

    try:
        result = run_training(cfg, sink=sink, should_stop=should_stop)
    except TrainingCancelled as e:
        reason = stop_reason[0] if stop_reason else Cancelled("training stopped")
        raise type(reason)(f"{reason.message}; {e}") from e
    except DataNotFound as e:
        raise NotFound(f"train: {e}") from e
    except (DataError, TrainConfigError) as e:
        raise InvalidArgument(f"train: {e}") from e
    except FileNotFoundError as e:
        raise NotFound(f"train: {e}") from e
    except CheckpointError as e:
        raise InvalidArgument(f"train: resume checkpoint: {e}") from e
    except ModelLoadError as e:
        raise UnsupportedModel(f"train: {e}") from e
    last = final[-1] if final else Progress(result.step, cfg.max_steps, result.loss, result.best_val_loss,
                                            result.val_accuracy, math.nan, 0.0, 0.0, result.best_checkpoint, True)
    if not last.checkpoint:
        last.checkpoint = result.best_checkpoint
    return Reply(to_proto(last))
