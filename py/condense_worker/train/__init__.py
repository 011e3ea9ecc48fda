"""Soft-token condenser training (PyTorch Lightning); see docs/trainer.md.

    result = run_training(TrainConfig(output_dir="runs/x", condenser_model="tiny:llama",
                                      decoder_model="tiny:llama", max_steps=50), sink=print)
"""
from .callbacks import BEST_DIR, LAST_CKPT, Progress
from .config import OBJECTIVES, TrainConfig, TrainConfigError
from .data import DataError, DataNotFound
from .run import Prepared, TrainingCancelled, TrainResult, run_training

__all__ = ["run_training", "Prepared", "TrainConfig", "TrainConfigError", "TrainResult", "TrainingCancelled", "Progress",
           "DataError", "DataNotFound", "OBJECTIVES", "BEST_DIR", "LAST_CKPT"]
