// One training progress record: what the worker streamed, as plain JSON-safe numbers (NaN = not measured yet -> null).
import type { TrainProgress } from "../gen/condense/v1/worker_pb.js";

export interface TrainRecord {
  time: string;
  step: number;
  max_steps: number;
  loss: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  tokens_per_s: number | null;
  eta_s: number | null;
  lr: number | null;
  checkpoint: string;
  final: boolean;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function toRecord(p: TrainProgress, now: Date = new Date()): TrainRecord {
  return {
    time: now.toISOString(),
    step: Number(p.step),
    max_steps: Number(p.maxSteps),
    loss: finite(p.loss),
    val_loss: finite(p.valLoss),
    val_accuracy: finite(p.valAccuracy),
    tokens_per_s: finite(p.tokensPerS),
    eta_s: finite(p.etaS),
    lr: finite(p.lr),
    checkpoint: p.checkpoint,
    final: p.final,
  };
}
