// Evaluate several miners' containers (each answering its own challenge, each with its own kept length) in
// padded, batched worker decodes. Answer checking and existence verdicts happen in the worker
// (py/condense_worker/evaluate.py); this side only groups the items, sends them and types the verdicts.
// Items carry their own answer check: procedural challenges are checked strictly, corpus QA is judged by the
// worker's model (one more short decode per question), and items of different checks go in different requests.
import { AnswerCheck, ErrorCode } from "../../gen/condense/v1/worker_pb.js";
import { WorkerError, errorInfo, tensorFrom, type Tensor, type WorkerErrorName, type WorkerPool } from "../../workers/index.js";
import { CORPUS_QA_KIND, type Challenge } from "../challenges/index.js";

export type AnswerCheckName = "procedural" | "exact" | "judge";

export interface EvaluateItemInput {
  /** The caller's tag (e.g. miner uid + request id), echoed in the result. */
  id: string;
  /** A container file the worker can read (tmpfs on the same host) ... */
  containerPath?: string;
  /** ... or the container's bytes, sent as a frame. Exactly one of the two. */
  container?: Uint8Array;
  /** Formatted with the target model's chat template. */
  questions: string[];
  /** Per question; omit for answers without verdicts. */
  expected?: string[][];
  existenceChunks?: string[];
  /** Per chunk: true = the chunk is in the context. */
  existenceLabels?: boolean[];
  /** How this item's `expected` is compared; default `EvaluateOptions.answerCheck`. */
  answerCheck?: AnswerCheckName;
}

export interface EvaluateOptions {
  /** Every container must have been made for this model (checked per item by the worker). */
  targetModel?: string;
  maxNewTokens?: number;
  /** How `expected` is compared where an item does not say: "procedural" (strict normalised numbers), "exact",
   *  or "judge" (the worker's model decides whether a free-form answer mentions the ground truth). Default procedural. */
  answerCheck?: AnswerCheckName;
  /** Rows (container x prompt) per decode in the worker; 0/absent = the worker's default. */
  maxBatchRows?: number;
  /** Containers per worker request; larger sets are split and sent concurrently. Default 8. */
  maxItemsPerRequest?: number;
  /** Relative budget per request, ms. */
  timeoutMs?: number;
  /** Absolute epoch ms for every request. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface EvaluatedItem {
  id: string;
  ok: true;
  answers: string[];
  /** Per question; empty when no expected answers were given. */
  correct: boolean[];
  /** Per chunk: true = the model said yes (the subnet's strict reading). */
  existence: boolean[];
  existenceReplies: string[];
  /** Per chunk; empty when no labels were given. */
  existenceCorrect: boolean[];
  keptTokens: number;
  nextPosition: number;
}

export interface FailedItem {
  id: string;
  ok: false;
  /** The container's own failure (invalid container, missing file): the other items are unaffected. */
  code: ErrorCode;
  codeName: WorkerErrorName;
  message: string;
}

export type ItemResult = EvaluatedItem | FailedItem;

const CHECKS = { procedural: AnswerCheck.PROCEDURAL, exact: AnswerCheck.EXACT, judge: AnswerCheck.JUDGE } as const;

/** The check a challenge's answers need: corpus QA answers are free text (judged), the procedural ones exact numbers. */
export function answerCheckFor(ch: Pick<Challenge, "questions">): AnswerCheckName {
  const corpus = ch.questions.filter((q) => q.kind === CORPUS_QA_KIND).length;
  if (corpus && corpus !== ch.questions.length) throw new RangeError("a challenge mixes corpus_qa with procedural questions");
  return corpus ? "judge" : "procedural";
}

/** The Evaluate item for a miner's container that answers `ch`: its questions, answers, chunks and labels. */
export function challengeItem(ch: Challenge, id: string, container: { path: string } | { bytes: Uint8Array }): EvaluateItemInput {
  return {
    id,
    ...("path" in container ? { containerPath: container.path } : { container: container.bytes }),
    questions: ch.questions.map((q) => q.formattedQuestion),
    expected: ch.questions.map((q) => q.answers),
    existenceChunks: ch.chunks.map((c) => c.text),
    existenceLabels: ch.chunks.map((c) => c.inContext),
    answerCheck: answerCheckFor(ch),
  };
}

/**
 * Results in item order. A whole request failing (worker died, deadline, bad request) rejects; one
 * container failing its checks is a `FailedItem`.
 */
export async function evaluateContainers(
  pool: Pick<WorkerPool, "request">,
  items: readonly EvaluateItemInput[],
  opts: EvaluateOptions = {},
): Promise<ItemResult[]> {
  const per = opts.maxItemsPerRequest ?? 8;
  if (!Number.isInteger(per) || per < 1) throw new RangeError(`maxItemsPerRequest must be a positive integer, got ${per}`);
  const ids = new Set<string>();
  for (const it of items) {
    if (ids.has(it.id)) throw new RangeError(`duplicate item id ${JSON.stringify(it.id)}`);
    ids.add(it.id);
    if ((it.containerPath === undefined) === (it.container === undefined)) {
      throw new RangeError(`item ${it.id}: give exactly one of containerPath and container`);
    }
    if (it.expected && it.expected.length !== it.questions.length) throw new RangeError(`item ${it.id}: ${it.expected.length} expected answers for ${it.questions.length} questions`);
    if (it.existenceLabels && it.existenceLabels.length !== (it.existenceChunks?.length ?? 0)) throw new RangeError(`item ${it.id}: labels and chunks differ in number`);
  }
  // One answer check per request: items are grouped by check, then split by size; results go back in item order.
  const byCheck = new Map<AnswerCheckName, number[]>();
  items.forEach((it, i) => {
    const check = it.answerCheck ?? opts.answerCheck ?? "procedural";
    if (!(check in CHECKS)) throw new RangeError(`item ${it.id}: unknown answer check ${JSON.stringify(check)}`);
    byCheck.set(check, [...(byCheck.get(check) ?? []), i]);
  });
  const groups: Array<{ check: AnswerCheckName; at: number[] }> = [];
  for (const [check, at] of byCheck) for (let i = 0; i < at.length; i += per) groups.push({ check, at: at.slice(i, i + per) });
  const results = await Promise.all(groups.map((g) => evaluateGroup(pool, g.at.map((i) => items[i]!), g.check, opts)));
  const out: ItemResult[] = new Array(items.length);
  groups.forEach((g, k) => g.at.forEach((i, j) => (out[i] = results[k]![j]!)));
  return out;
}

async function evaluateGroup(pool: Pick<WorkerPool, "request">, group: EvaluateItemInput[], check: AnswerCheckName, opts: EvaluateOptions): Promise<ItemResult[]> {
  const tensors: Tensor[] = [];
  const items = group.map((it, i) => {
    let containerTensor = "";
    if (it.container) {
      containerTensor = `container_${i}`;
      tensors.push(tensorFrom(containerTensor, "u8", [it.container.length], it.container));
    }
    return {
      id: it.id,
      containerPath: it.containerPath ?? "",
      containerTensor,
      questions: it.questions,
      expected: (it.expected ?? []).map((answers) => ({ answers })),
      existenceChunks: it.existenceChunks ?? [],
      existenceLabels: it.existenceLabels ?? [],
    };
  });
  const reply = await pool.request({
    body: {
      case: "evaluate",
      value: {
        items,
        targetModel: opts.targetModel ?? "",
        maxNewTokens: opts.maxNewTokens ?? 0,
        answerCheck: CHECKS[check],
        maxBatchRows: opts.maxBatchRows ?? 0,
      },
    },
    tensors,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const body = reply.header.body;
  if (body.case !== "evaluate") throw badReply(reply.workerId, `answered ${String(body.case)} to an evaluate request`);
  const got = body.value.items;
  if (got.length !== group.length || got.some((g, i) => g.id !== group[i]!.id)) {
    throw badReply(reply.workerId, `returned ${got.length} items for ${group.length}, or out of order`);
  }
  return got.map((g, i): ItemResult => {
    const it = group[i]!;
    if (g.error) {
      return { id: g.id, ok: false, code: g.error.code, codeName: errorInfo(g.error.code).name, message: g.error.message };
    }
    const nChunks = it.existenceChunks?.length ?? 0;
    if (g.answers.length !== it.questions.length || g.existenceReplies.length !== nChunks
      || g.correct.length !== (it.expected ? it.questions.length : 0) || g.existenceCorrect.length !== (it.existenceLabels ? nChunks : 0)) {
      throw badReply(reply.workerId, `item ${g.id}: verdict counts do not match the prompts`);
    }
    return {
      id: g.id,
      ok: true,
      answers: [...g.answers],
      correct: [...g.correct],
      existence: [...g.existence],
      existenceReplies: [...g.existenceReplies],
      existenceCorrect: [...g.existenceCorrect],
      keptTokens: g.keptTokens,
      nextPosition: g.nextPosition,
    };
  });
}

function badReply(workerId: string, what: string): WorkerError {
  return new WorkerError(ErrorCode.INTERNAL, `worker ${workerId} ${what}`, { workerId });
}
