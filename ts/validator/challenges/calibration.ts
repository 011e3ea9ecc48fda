// Calibration: a task kind counts only where the target model, given the FULL cache, answers it well. Each
// candidate kind gets a few challenges, compressed with algorithm "full" by the same workers and evaluated
// the same way miners' containers are; the measured accuracy is stored with every score so a miner's share
// of full is visible, and kinds below the bar are not used (on SmolLM2 the multi-key and look-alike kinds are
// near chance even uncompressed and would turn scores into noise). Kind corpus_qa is measured the same way
// (its answers judged by the worker's model), so it too is used only where the full cache answers it; and
// only where the judge can tell: the same answers are also judged against another question's ground truth,
// and a judge that accepts those too (SmolLM2-135M says yes to nearly anything) makes the kind unusable.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { WorkerPoolCompressor, type PoolLike } from "../../miner/compressor.js";
import { answerCheckFor, challengeItem, evaluateContainers } from "../evaluate/index.js";
import { existenceScore } from "../score/index.js";
import { ErrorCode } from "../../gen/condense/v1/worker_pb.js";
import { WorkerError } from "../../workers/index.js";
import { challengeSeed, requestChallenge } from "./challenge.js";
import type { CorpusSource } from "./corpus.js";

export interface CalibrationOptions {
  kinds: readonly string[];
  /** The target model containers are labelled with (the tier's). */
  targetModel: string;
  /** Whose chat template the worker formats with: the target, or "" when the worker model stands in for it. */
  templateModel: string;
  minChars: number;
  maxChars: number;
  /** Challenges per kind (default 4) and questions per challenge (default 2). */
  samples?: number;
  questions?: number;
  /** A kind is kept when the full cache answers at least this share (default 0.6). */
  minAccuracy?: number;
  secret: Buffer;
  /** tmpfs folder for the full containers. */
  dir: string;
  minerHotkey: string;
  /** The corpus for kind corpus_qa (offerCorpusQa); absent = that kind cannot be drawn. */
  corpus?: CorpusSource | null;
  log: Logger;
}

export interface KindCalibration {
  kind: string;
  accuracy: number;
  questions: number;
  used: boolean;
  /** Why the kind could not be measured (e.g. its questions do not fit the tier's context length). */
  error?: string;
  /** Judged kinds: the share of answers the judge accepted against another question's ground truth. */
  judgeFalseYes?: number;
}

/** Whether a measured kind is used at this threshold: measured, answered well enough by the full cache, and (judged kinds) a judge that refuses wrong answers. */
export function kindUsed(k: Pick<KindCalibration, "accuracy" | "error" | "judgeFalseYes">, minAccuracy: number): boolean {
  return !k.error && k.accuracy >= minAccuracy && (k.judgeFalseYes === undefined || k.judgeFalseYes <= 1 - minAccuracy);
}

export interface CalibrationTable {
  /** The worker model measured (the validator stores it under this name). */
  model: string;
  minChars: number;
  maxChars: number;
  kinds: KindCalibration[];
  /** The full cache's mean existence score (§4.5 step 3) over every calibration challenge. */
  existence: number;
}

export async function calibrate(pool: PoolLike, o: CalibrationOptions): Promise<CalibrationTable> {
  const samples = o.samples ?? 4;
  const questions = o.questions ?? 2;
  const compressor = new WorkerPoolCompressor(pool);
  const out: KindCalibration[] = [];
  const existence: number[] = [];
  for (const kind of o.kinds) {
    let right = 0;
    let asked = 0;
    let falseYes = 0;
    let swappedAsked = 0;
    let error: string | undefined;
    for (let i = 0; i < samples && !error; i++) {
      const id = `calibration:${kind}:${i}`;
      let ch;
      try {
        ch = await requestChallenge(pool, { seed: challengeSeed(o.secret, "calibration", id), minChars: o.minChars, maxChars: o.maxChars, kinds: [kind], numQuestions: questions, targetModel: o.templateModel, salt: id, ...(o.corpus ?? {}) });
      } catch (e) {
        // The worker cannot make this kind at this size (INVALID_ARGUMENT): the kind is not used, the rest go on.
        if (!(e instanceof WorkerError && e.code === ErrorCode.INVALID_ARGUMENT)) throw e;
        error = e.message;
        break;
      }
      const file = path.join(o.dir, `calibration-${randomBytes(8).toString("hex")}.safetensors`);
      try {
        await compressor.compress(
          { context: ch.formattedContext, targetModel: o.targetModel, algorithm: "full", ratio: 0, minTokens: 0, maxTokens: 0, outputPath: file, minerHotkey: o.minerHotkey },
          { deadline: Date.now() + 600_000 },
        );
        const items = [challengeItem(ch, id, { path: file })];
        // A judged kind: the same answers against rotated ground truths, which the judge should refuse.
        if (answerCheckFor(ch) === "judge" && ch.questions.length > 1)
          items.push({ ...items[0]!, id: `${id}:swapped`, expected: ch.questions.map((_, j) => ch.questions[(j + 1) % ch.questions.length]!.answers), existenceChunks: [], existenceLabels: [] });
        const [r, swapped] = await evaluateContainers(pool, items, { targetModel: o.targetModel });
        if (swapped?.ok) {
          falseYes += swapped.correct.filter(Boolean).length;
          swappedAsked += swapped.correct.length;
        }
        if (r?.ok) {
          right += r.correct.filter(Boolean).length;
          asked += r.correct.length;
          existence.push(existenceScore(ch.chunks.flatMap((c, j) => (c.inContext ? [r.existenceCorrect[j] === true] : [])), ch.chunks.flatMap((c, j) => (c.inContext ? [] : [r.existenceCorrect[j] === true]))));
        }
      } finally {
        await rm(file, { force: true });
      }
    }
    const accuracy = asked ? right / asked : 0;
    const min = o.minAccuracy ?? 0.6;
    const judgeFalseYes = swappedAsked ? falseYes / swappedAsked : undefined;
    const used = kindUsed({ accuracy, error, judgeFalseYes }, min);
    out.push({ kind, accuracy, questions: asked, used, ...(error ? { error } : {}), ...(judgeFalseYes !== undefined ? { judgeFalseYes } : {}) });
    if (error) o.log.warn({ kind, err: error }, "calibration: kind not usable at this size");
    else o.log.info({ kind, fullAccuracy: Number(accuracy.toFixed(3)), questions: asked, used, ...(judgeFalseYes !== undefined ? { judgeFalseYes: Number(judgeFalseYes.toFixed(3)) } : {}) }, "calibration: full-cache accuracy");
  }
  const ex = existence.length ? existence.reduce((a, b) => a + b, 0) / existence.length : 0;
  o.log.info({ fullExistence: Number(ex.toFixed(3)), challenges: existence.length }, "calibration: full-cache existence score");
  return { model: o.targetModel, minChars: o.minChars, maxChars: o.maxChars, kinds: out, existence: ex };
}
