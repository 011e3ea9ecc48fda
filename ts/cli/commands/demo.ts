// `condense demo`: the worker round trip. One worker prefills a context, its KV cache comes to TypeScript as
// raw frames, and goes back with a question through Generate.
import type { CommandModule } from "yargs";
import pino from "pino";
import { WorkerPool, isWorkerError, type ReceivedTensor } from "../../workers/index.js";

interface DemoArgs {
  model: string;
  device: string;
  question: string;
  "max-new-tokens": number;
  "filler-sentences": number;
  python?: string;
  threads?: number;
  "log-level": string;
}

const FACT = "The vault code is 4721.";
const FILLER = [
  "The river bends twice before it reaches the old mill.",
  "Market stalls open at dawn and close when the bell rings.",
  "Most of the library's maps were drawn by hand.",
  "A narrow bridge links the two halves of the village.",
];

/** A context of filler sentences with one fact in the middle; the question asks for the fact. */
export function demoContext(sentences: number): string {
  const parts: string[] = [];
  for (let i = 0; i < sentences; i++) parts.push(FILLER[i % FILLER.length]!);
  parts.splice(Math.floor(sentences / 2), 0, FACT);
  return parts.join(" ");
}

const mib = (n: number) => (n / 2 ** 20).toFixed(2);
const rate = (bytes: number, ms: number) => `${((bytes / 1e6) / (ms / 1e3)).toFixed(1)} MB/s`;

export const command: CommandModule<object, DemoArgs> = {
  command: "demo",
  describe: "round trip through a Python worker: prefill a context, receive its KV cache, answer a question from it",
  builder: (y) =>
    y
      .option("model", { type: "string", default: "smollm2", describe: "worker model spec (tiny:llama, smollm2, a directory, ...)" })
      .option("device", { type: "string", default: "cpu" })
      .option("question", { type: "string", default: "What is the vault code?" })
      .option("max-new-tokens", { type: "number", default: 16 })
      .option("filler-sentences", { type: "number", default: 12, describe: "context length, in sentences (SmolLM2-135M still finds the fact at 12)" })
      .option("python", { type: "string", describe: "Python interpreter with condense_worker installed (default .venv/bin/python)" })
      .option("threads", { type: "number", describe: "torch threads for the worker on CPU (default: every core)" })
      .option("log-level", { type: "string", default: "warn", choices: ["debug", "info", "warn", "error", "silent"] })
      .example("condense demo --model tiny:llama --threads 1", "the round trip on a tiny random model (seconds)")
      .check((a) => {
        if (!Number.isInteger(a["max-new-tokens"]) || a["max-new-tokens"] < 1) throw new Error("--max-new-tokens must be a positive integer");
        if (!Number.isInteger(a["filler-sentences"]) || a["filler-sentences"] < 1) throw new Error("--filler-sentences must be a positive integer");
        if (a.threads !== undefined && (!Number.isInteger(a.threads) || a.threads < 1)) throw new Error("--threads must be a positive integer");
        return true;
      }),
  handler: async (args) => {
    const out = (s: string) => process.stdout.write(`${s}\n`);
    const logger = pino({ level: args["log-level"] }, pino.destination(2));
    out(`starting a worker for ${args.model} on ${args.device} ...`);
    const t0 = performance.now();
    const pool = await WorkerPool.start({
      workers: [{ model: args.model, device: args.device, count: 1 }],
      ...(args.python ? { python: args.python } : {}),
      ...(args.threads ? { threads: args.threads } : {}),
      readyTimeoutMs: 300_000,
      logger,
    });
    try {
      const hello = pool.workers()[0]!.hello!;
      const s = hello.shape!;
      out(`worker ${hello.workerId} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${hello.modelId} on ${hello.device}, ` +
        `${s.numLayers} layers, ${s.numKvHeads} kv heads, head_dim ${s.headDim}`);

      const context = demoContext(args["filler-sentences"]);
      const t1 = performance.now();
      const pre = await pool.request({ body: { case: "prefill", value: { context } }, timeoutMs: 300_000 });
      const prefillMs = performance.now() - t1;
      const tokens = pre.header.body.case === "prefill" ? pre.header.body.value.numTokens : 0;
      const bytes = totalBytes(pre.tensors);
      out(`prefill: ${context.length} characters -> ${tokens} tokens, ${pre.tensors.length} tensors, ${mib(bytes)} MiB in ${prefillMs.toFixed(0)} ms ` +
        `(${rate(bytes, prefillMs)} including compute)`);
      for (const t of pre.tensors.slice(0, 2)) out(`  ${t.name}: ${t.dtype}[${t.shape.join(", ")}]`);
      if (pre.tensors.length > 2) out(`  ... ${pre.tensors.length - 2} more of the same shape`);

      // Transport alone: the same tensors through the worker and back, no compute.
      const te = performance.now();
      await pool.request({ body: { case: "echo", value: {} }, tensors: pre.tensors, capability: "echo", timeoutMs: 60_000 });
      const echoMs = performance.now() - te;
      out(`transport: the KV cache to the worker and back as raw frames in ${echoMs.toFixed(1)} ms (${rate(2 * bytes, echoMs)})`);

      const t2 = performance.now();
      const gen = await pool.request({
        body: { case: "generate", value: { question: `\n\nQuestion: ${args.question}\nAnswer:`, originalLength: tokens, maxNewTokens: args["max-new-tokens"] } },
        tensors: pre.tensors,
        timeoutMs: 300_000,
      });
      const genMs = performance.now() - t2;
      const answer = gen.header.body.case === "generate" ? gen.header.body.value.text : "";
      out(`generate: sent ${mib(bytes)} MiB of KV back with the question, answered in ${genMs.toFixed(0)} ms (${rate(bytes, genMs)} including decoding)`);
      out(`question: ${args.question}`);
      out(`answer:   ${JSON.stringify(answer)}`);
      if (args.model.startsWith("tiny:")) out("(tiny models have random weights: the answer is noise; try --model smollm2)");
    } catch (e) {
      if (isWorkerError(e)) process.stderr.write(`worker error [${e.codeName}]: ${e.message}\n`);
      throw e;
    } finally {
      await pool.close();
    }
  },
};

function totalBytes(ts: ReceivedTensor[]): number {
  return ts.reduce((n, t) => n + t.data.length, 0);
}
