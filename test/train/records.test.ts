// Pure parts of `condense train`: progress records, request mapping and exit codes.
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ErrorCode, TrainProgressSchema } from "../../ts/gen/condense/v1/worker_pb.js";
import { TrainConfigSchema } from "../../ts/train/config.js";
import { toRecord } from "../../ts/train/metrics.js";
import { EXIT, exitFor, toRequest } from "../../ts/train/run.js";
import { CancelledError, WorkerError } from "../../ts/workers/errors.js";

describe("train records", () => {
  it("NaN (not measured yet) becomes null and uint64 steps become numbers", () => {
    const r = toRecord(create(TrainProgressSchema, { step: 3n, maxSteps: 10n, loss: 2.5, valLoss: NaN, valAccuracy: NaN,
      tokensPerS: 120, etaS: 7, lr: 0.001, checkpoint: "", final: false }), new Date(0));
    expect(r).toEqual({ time: "1970-01-01T00:00:00.000Z", step: 3, max_steps: 10, loss: 2.5, val_loss: null, val_accuracy: null,
      tokens_per_s: 120, eta_s: 7, lr: 0.001, checkpoint: "", final: false });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("the request carries every setting with absolute paths", () => {
    const cfg = TrainConfigSchema.parse({ output: "runs/x", data: "hf:some/set", resume: "runs/x", max_steps: 9, num_tokens: 4 });
    const req = toRequest(cfg);
    expect(req.outputDir).toBe(path.resolve("runs/x"));
    expect(req.resumeFrom).toBe(path.resolve("runs/x"));
    expect(req.dataPath).toBe("hf:some/set");
    expect(req.maxSteps).toBe(9);
    expect(req.numCondenseTokens).toBe(4);
    expect(req.objective).toBe("mixed");
  });

  it("failures map to documented exit codes", () => {
    expect(exitFor(new CancelledError("r", "SIGINT")).code).toBe(EXIT.interrupted);
    expect(exitFor(new WorkerError(ErrorCode.NOT_FOUND, "data path x does not exist")).code).toBe(EXIT.config);
    expect(exitFor(new WorkerError(ErrorCode.UNSUPPORTED_MODEL, "no such model")).code).toBe(EXIT.config);
    expect(exitFor(new WorkerError(ErrorCode.OUT_OF_MEMORY, "oom")).code).toBe(EXIT.failed);
    expect(exitFor(new Error("boom"))).toEqual({ code: EXIT.failed, message: "training failed: boom" });
  });
});
