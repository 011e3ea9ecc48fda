// Challenges for the validator, drawn by a worker through the Challenge request (py/condense_worker/tasks):
// seeded procedural tasks padded to a length within the tier's character bounds, unique per contender and
// request, and (kind corpus_qa) a corpus window with questions and answers written by a generator LLM. The
// reply holds the ground truth; only `minerView` of it is meant to leave the validator.
import { createHmac } from "node:crypto";
import { ErrorCode } from "../../gen/condense/v1/worker_pb.js";
import { WorkerError, type WorkerPool } from "../../workers/index.js";

export interface ChallengeParams {
  /** u64; derive it with `challengeSeed` so it is unique per miner and request and unguessable. */
  seed: bigint;
  /** Bounds on the formatted context's length in characters (code points), e.g. the tier's. */
  minChars: number;
  maxChars: number;
  /** Task kinds the questions are drawn from; empty or absent = the worker's standard set. */
  kinds?: readonly string[];
  numQuestions?: number;
  /** Whose chat template formats context and questions; the worker refuses another model than its own. */
  targetModel: string;
  /** Uniqueness salt, e.g. `${hotkey}:${requestId}`; another salt gives other content. */
  salt: string;
  numPositiveChunks?: number;
  numNegativeChunks?: number;
  /** Kind corpus_qa: the folder of .txt/.md files the worker reads (see corpus.ts) ... */
  corpusDir?: string;
  /** ... and the model that writes the questions and answers; empty or absent = the worker's own model. */
  generator?: string;
  /** Kind organic_qa: the text the generator writes the QA about (returned unchanged as the context). */
  passage?: string;
  timeoutMs?: number;
  /** Absolute epoch ms. */
  deadline?: number;
  signal?: AbortSignal;
}

export interface ChallengeQuestion {
  kind: string;
  question: string;
  /** Closes the user turn in the target model's template, then the answer prefix. */
  formattedQuestion: string;
  answers: string[];
}

export interface ExistenceChunk {
  text: string;
  inContext: boolean;
}

export interface Challenge {
  seed: bigint;
  salt: string;
  targetModel: string;
  generator: string;
  context: string;
  /** What the miner gets as its context. */
  formattedContext: string;
  contextChars: number;
  drawnChars: number;
  questions: ChallengeQuestion[];
  chunks: ExistenceChunk[];
}

const U64_MAX = (1n << 64n) - 1n;

/** HMAC-SHA256(secret, hotkey NUL requestId), first 8 bytes big-endian: one seed per miner and request. */
export function challengeSeed(secret: Uint8Array, hotkey: string, requestId: string): bigint {
  if (secret.length < 16) throw new RangeError("the validator's challenge secret must have at least 16 bytes");
  const mac = createHmac("sha256", secret).update(`${hotkey}\u0000${requestId}`, "utf8").digest();
  return mac.readBigUInt64BE(0);
}

/** Asks a worker for the challenge; the reply is checked against the request before it is trusted. */
export async function requestChallenge(pool: Pick<WorkerPool, "request">, params: ChallengeParams): Promise<Challenge> {
  if (typeof params.seed !== "bigint" || params.seed < 0n || params.seed > U64_MAX) {
    throw new RangeError(`seed must be a u64 bigint, got ${String(params.seed)}`);
  }
  for (const [k, v] of [["minChars", params.minChars], ["maxChars", params.maxChars]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > 0xffffffff) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (params.minChars > params.maxChars) throw new RangeError(`minChars ${params.minChars} > maxChars ${params.maxChars}`);
  const numQuestions = params.numQuestions ?? 1;
  const positives = params.numPositiveChunks ?? 2;
  const negatives = params.numNegativeChunks ?? 2;
  const reply = await pool.request({
    body: {
      case: "challenge",
      value: {
        seed: params.seed,
        minChars: params.minChars,
        maxChars: params.maxChars,
        kinds: [...(params.kinds ?? [])],
        numQuestions,
        targetModel: params.targetModel,
        salt: params.salt,
        numPositiveChunks: positives,
        numNegativeChunks: negatives,
        corpusDir: params.corpusDir ?? "",
        generator: params.generator ?? "",
        passage: params.passage ?? "",
      },
    },
    ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}),
    ...(params.deadline !== undefined ? { deadline: params.deadline } : {}),
    ...(params.signal ? { signal: params.signal } : {}),
  });
  const body = reply.header.body;
  if (body.case !== "challenge") throw badReply(reply.workerId, `answered ${String(body.case)} to a challenge request`);
  const r = body.value;
  const chars = [...r.formattedContext].length;
  if (chars !== r.contextChars || chars < params.minChars || chars > params.maxChars) {
    throw badReply(reply.workerId, `context of ${chars} characters outside [${params.minChars}, ${params.maxChars}]`);
  }
  if (r.questions.length !== numQuestions || r.questions.some((q) => q.answers.length === 0 || !q.formattedQuestion)) {
    throw badReply(reply.workerId, `${r.questions.length} questions for ${numQuestions} asked, or one without answers`);
  }
  const pos = r.chunks.filter((c) => c.inContext).length;
  if (pos !== positives || r.chunks.length - pos !== negatives) {
    throw badReply(reply.workerId, `existence chunks ${pos}+${r.chunks.length - pos}, asked ${positives}+${negatives}`);
  }
  return {
    seed: params.seed,
    salt: params.salt,
    targetModel: r.targetModel,
    generator: r.generator,
    context: r.context,
    formattedContext: r.formattedContext,
    contextChars: r.contextChars,
    drawnChars: r.drawnChars,
    questions: r.questions.map((q) => ({ kind: q.kind, question: q.question, formattedQuestion: q.formattedQuestion, answers: [...q.answers] })),
    chunks: r.chunks.map((c) => ({ text: c.text, inContext: c.inContext })),
  };
}

/** The part of a challenge a miner may see: the context to compress and the model it is for. */
export function minerView(ch: Challenge): { context: string; targetModel: string } {
  return { context: ch.formattedContext, targetModel: ch.targetModel };
}

function badReply(workerId: string, what: string): WorkerError {
  return new WorkerError(ErrorCode.INTERNAL, `worker ${workerId} ${what}`, { workerId });
}
