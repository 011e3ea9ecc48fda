// `condense eval`: algorithms x ratios x task kinds x context lengths on a model, scored by the validator's own
// challenge, verify, evaluate and score code, with the full cache as a row; --against scores a running miner the
// same way. Progress bar on stderr, the table on stdout, JSON and a PNG on disk (see docs/eval.md).
// Exit codes: 0 done, 1 a failure, 2 a flag or start-up refusal that says what to fix.
import { createHash } from "node:crypto";
import path from "node:path";
import type { Argv, CommandModule } from "yargs";
import { PROCEDURAL_KINDS } from "../../validator/challenges/kinds.js";

interface EvalArgs {
  model: string;
  algorithms: string[];
  ratios: number[];
  kinds: string[];
  lengths?: number[];
  samples: number;
  questions: number;
  tier: string;
  tiers_file?: string;
  seed: string;
  readback: number;
  readback_tokens: number;
  existence: "auto" | "on" | "off";
  min_full_existence: number;
  eval_batch: number;
  workers: number;
  threads?: number;
  device: string;
  ready_timeout_s: number;
  out: string;
  png?: string;
  plot: boolean;
  python?: string;
  against?: string;
  hotkey?: string;
  allow_private?: boolean;
  netuid: number;
  auth: "bt10" | "btauth1";
  [k: string]: unknown;
}

/** Dotted flags: yargs may keep them dotted or nest them. */
function dotted(a: Record<string, unknown>, key: string): unknown {
  if (key in a) return a[key];
  return key.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), a);
}

function check(a: EvalArgs): true {
  const int = (k: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new Error(`--${k} must be an integer in ${min}..${max} (got ${String(v)})`);
  };
  int("samples", a.samples, 1, 1000);
  int("questions", a.questions, 1, 32);
  int("readback", a.readback, 0, 1000);
  int("readback_tokens", a.readback_tokens, 1, 1024);
  int("eval_batch", a.eval_batch, 1, 64);
  int("workers", a.workers, 1, 64);
  int("ready_timeout_s", a.ready_timeout_s, 1, 3600);
  if (a.threads !== undefined) int("threads", a.threads, 1, 1024);
  for (const r of a.ratios) if (typeof r !== "number" || !(r > 0 && r < 1)) throw new Error(`--ratios: each ratio is the share of tokens removed, strictly between 0 and 1 (got ${String(r)})`);
  for (const L of a.lengths ?? []) int("lengths", L, 200, 2_000_000);
  for (const k of a.kinds) if (!(PROCEDURAL_KINDS as readonly string[]).includes(k)) throw new Error(`--kinds: ${JSON.stringify(k)} is not a task kind (one of ${PROCEDURAL_KINDS.join(", ")})`);
  for (const al of a.algorithms) if (!/^[a-z0-9_]+$/.test(al)) throw new Error(`--algorithms: ${JSON.stringify(al)} is not an algorithm name (e.g. kvzip_shared)`);
  if (!(a.min_full_existence >= 0 && a.min_full_existence <= 1)) throw new Error(`--min_full_existence must be between 0 and 1 (got ${a.min_full_existence})`);
  if (a.hotkey !== undefined && a.against === undefined) throw new Error("--hotkey names the miner of --against; give --against HOST:PORT too");
  return true;
}

export const command: CommandModule<object, EvalArgs> = {
  command: "eval",
  describe: "score algorithms x ratios x task kinds x context lengths with the validator's own code (full cache as a row), or a running miner with --against",
  builder: (y: Argv) =>
    y
      .option("model", { type: "string", default: "smollm2", describe: "worker model spec (smollm2, tiny:llama, an HF id or local dir)" })
      .option("algorithms", { type: "array", string: true, default: ["kvzip_sentence", "knorm", "streaming_llm"], describe: "compression algorithms (the full cache is always added)" })
      .option("ratios", { type: "array", number: true, default: [0.5, 0.75], describe: "shares of KV tokens removed (kvpress convention)" })
      .option("kinds", { type: "array", string: true, default: ["needle_single"], describe: "challenge task kinds" })
      .option("lengths", { type: "array", number: true, describe: "context length caps in characters (default: the tier's max_context_length_in_chars); challenges draw between half the cap (at least 1000) and the cap" })
      .option("samples", { type: "number", default: 2, describe: "challenges per kind x length" })
      .option("questions", { type: "number", default: 2, describe: "questions per challenge" })
      .option("tier", { type: "string", default: "research", describe: "tier whose kept-token bounds, target model and accelerate scalar apply" })
      .option("tiers_file", { type: "string", describe: "tier table JSON (default: the built-in seed table)" })
      .option("seed", { type: "string", default: "condense-eval", describe: "run seed: the challenge secret is its sha256, so the same seed gives the same challenges" })
      .option("readback", { type: "number", default: 1, describe: "challenges per kind x length whose containers are also asked to repeat the context (0 = skip)" })
      .option("readback_tokens", { type: "number", default: 1024, describe: "cap on the read-back reply's tokens (the worker allows at most 1024)" })
      .option("existence", { choices: ["auto", "on", "off"] as const, default: "auto" as const, describe: "the existence check: auto = the validator's rule (on where the full cache passes it)" })
      .option("min_full_existence", { type: "number", default: 0.5, describe: "auto turns the existence check on where the full cache's existence score reaches this (the validator's default)" })
      .option("eval_batch", { type: "number", default: 8, describe: "containers evaluated in one padded batch" })
      .option("workers", { type: "number", default: 1, describe: "Python workers" })
      .option("threads", { type: "number", describe: "torch threads per worker (default: the pool's share of the cores)" })
      .option("device", { type: "string", default: "cpu", describe: "worker device (cpu, cuda, cuda:N)" })
      .option("ready_timeout_s", { type: "number", default: 300, describe: "how long a worker may take to load its model and say hello, seconds" })
      .option("out", { type: "string", default: "eval-results/eval.json", describe: "JSON results file" })
      .option("png", { type: "string", describe: "plot file (default: --out with .png)" })
      .option("plot", { type: "boolean", default: true, describe: "draw the PNG plot (--no-plot to skip)" })
      .option("python", { type: "string", describe: "Python interpreter with matplotlib (default .venv/bin/python)" })
      .option("against", { type: "string", describe: "also score a running miner: HOST:PORT (with --hotkey) or uid:N on --subtensor.network" })
      .option("hotkey", { type: "string", describe: "the --against miner's hotkey (ss58)" })
      .option("allow_private", { type: "boolean", describe: "download the miner's containers from loopback/private addresses (default: when --against names such an address)" })
      .option("auth", { choices: ["bt10", "btauth1"] as const, default: "bt10" as const, describe: "signed HTTP for the miner call: bt10 (SDK 10 headers) or btauth1 (SDK 11)" })
      .option("netuid", { type: "number", default: 47, describe: "subnet of --against uid:N" })
      .option("subtensor.network", { type: "string", choices: ["finney", "test", "local"], default: "finney", describe: "chain of --against uid:N" })
      .option("subtensor.chain_endpoint", { type: "string", describe: "chain endpoint (ws:// or wss://) overriding --subtensor.network" })
      .option("subtensor", { hidden: true })
      .option("wallet.name", { type: "string", default: "default", describe: "wallet whose hotkey signs the calls to the --against miner" })
      .option("wallet.hotkey", { type: "string", default: "default", describe: "hotkey of that wallet" })
      .option("wallet.path", { type: "string", default: "~/.bittensor/wallets", describe: "wallet folder" })
      .option("wallet", { hidden: true })
      .option("logging.level", { type: "string", default: "warn", choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], describe: "log level (to stderr)" })
      .option("logging", { hidden: true })
      .check((a) => check(a as unknown as EvalArgs)) as unknown as Argv<EvalArgs>,
  handler: async (a) => {
    const { pino } = await import("pino");
    const { Registry } = await import("prom-client");
    const cliProgress = (await import("cli-progress")).default;
    const { loadTierTable, canonicalModel, TierConfigError } = await import("../../subnet/index.js");
    const { startWorkers, announcedCapabilities, requireCapability } = await import("../../neuron/workers.js");
    const { StartupError } = await import("../../neuron/errors.js");
    const { createPrivateDir, removePrivateDir } = await import("../../validator/verify/index.js");
    const { Keypair } = await import("../../wallet/keypair.js");
    const { WorkerPool } = await import("../../workers/index.js");
    const { runEval, formatTable, writeReport, drawPlot, parseAgainst, resolveTarget } = await import("../../eval/index.js");
    const { isPrivateAddress } = await import("../../eval/target.js");
    const r = a as unknown as Record<string, unknown>;
    const log = pino({ level: String(dotted(r, "logging.level") ?? "warn") }, pino.destination(2));
    const fail = (msg: string, code = 2): never => {
      process.stderr.write(`error: ${msg}\n`);
      process.exit(code);
    };

    let tiers;
    try {
      tiers = loadTierTable(a.tiers_file);
    } catch (e) {
      if (e instanceof TierConfigError) return fail(`--tiers_file: ${e.message}`);
      throw e;
    }
    const tier = tiers.tiers[a.tier];
    if (!tier) return fail(`--tier ${a.tier} is not in the tier table (tiers: ${Object.keys(tiers.tiers).join(", ")})`);
    const target = canonicalModel(tiers, tier.supporting_models[0] ?? "");
    if (!target) return fail(`tier ${a.tier} names no supporting model`);
    const lengths = a.lengths?.length ? a.lengths : [tier.max_context_length_in_chars];

    // The --against target and its caller identity first: a typo fails before any worker starts.
    let against: import("../../eval/index.js").AgainstTarget | undefined;
    if (a.against !== undefined) {
      try {
        const spec = parseAgainst(a.against);
        const subtensor = { network: String(dotted(r, "subtensor.network") ?? "finney"), chain_endpoint: dotted(r, "subtensor.chain_endpoint") as string | undefined };
        const chain = async () => {
          const { connectChain } = await import("../../neuron/chain.js");
          return connectChain(subtensor as never, log);
        };
        const t = await resolveTarget(spec, { ...(a.hotkey ? { hotkey: a.hotkey } : {}), chain, netuid: a.netuid });
        const { loadHotkey } = await import("../../neuron/identity.js");
        const { expandHome } = await import("../../wallet/index.js");
        const me = await loadHotkey({ name: String(dotted(r, "wallet.name")), hotkey: String(dotted(r, "wallet.hotkey")), path: expandHome(String(dotted(r, "wallet.path"))) });
        const { Dendrite } = await import("../../dendrite/dendrite.js");
        const dendrite = new Dendrite({ wallet: me, auth: a.auth, logger: log.child({ part: "dendrite" }) });
        against = { ...t, dendrite, allowPrivate: a.allow_private ?? isPrivateAddress(t.ip) };
      } catch (e) {
        return fail((e as Error).message);
      }
    }

    const pool = await startWorkers({ model: a.model, workers: a.workers, device: a.device, threads: a.threads }, a.model, { log, registry: new Registry(), startPool: (p) => WorkerPool.start({ ...p, readyTimeoutMs: a.ready_timeout_s * 1000 }) }).catch((e: unknown) => {
      if (e instanceof StartupError) fail(e.message);
      throw e;
    });
    const dir = createPrivateDir("condense-eval-");
    const stop = async () => {
      against?.dendrite.close();
      removePrivateDir(dir);
      await pool.close();
    };
    process.once("SIGINT", () => void stop().then(() => process.exit(130)));
    process.once("SIGTERM", () => void stop().then(() => process.exit(143)));
    let bar: InstanceType<typeof cliProgress.SingleBar> | null = null;
    try {
      const caps = announcedCapabilities(pool.workers());
      try {
        for (const cap of ["challenge", "evaluate", "tokenize", "compress:full", ...a.algorithms.map((x) => `compress:${x}`)]) requireCapability(caps, cap, "algorithms", "name algorithms the workers announce (see docs/compression.md)");
      } catch (e) {
        if (e instanceof StartupError) fail(e.message);
        throw e;
      }
      const hello = pool.workers().find((w) => w.hello)!.hello!;
      const model = { numLayers: hello.shape!.numLayers, kvHeads: hello.shape!.numKvHeads, headDim: hello.shape!.headDim, hiddenSize: hello.shape!.hiddenSize };
      // The worker model stands in for the tier's target (formatting with its own template) unless it is the target.
      const standIn = a.model !== target;
      const signer = Keypair.fromSeed(createHash("sha256").update(`condense-eval signer\u0000${a.seed}`, "utf8").digest());
      if (process.stderr.isTTY) {
        bar = new cliProgress.SingleBar({ format: "eval [{bar}] {percentage}% | {value}/{total} | {what}", hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
        bar.start(1, 0, { what: "starting" });
      }
      let lastLine = 0;
      const report = await runEval({
        pool,
        model,
        workerModel: a.model,
        tierName: a.tier,
        tier,
        targetModel: target,
        templateModel: standIn ? "" : target,
        algorithms: a.algorithms,
        ratios: a.ratios,
        kinds: a.kinds,
        lengths,
        samples: a.samples,
        questions: a.questions,
        seed: a.seed,
        readback: a.readback,
        readbackMaxTokens: a.readback_tokens,
        existence: a.existence,
        minFullExistence: a.min_full_existence,
        evalBatch: a.eval_batch,
        signer,
        dir,
        ...(against ? { against } : {}),
        log,
        onProgress: (p) => {
          if (bar) {
            bar.setTotal(p.total);
            bar.update(p.done, { what: p.what });
          } else if (p.done === p.total || Date.now() - lastLine > 5000) {
            lastLine = Date.now();
            process.stderr.write(`eval ${p.done}/${p.total} ${p.what}\n`);
          }
        },
      });
      bar?.stop();
      bar = null;
      const png = a.png ?? a.out.replace(/\.json$/i, "") + ".png";
      if (a.plot) report.plot = path.resolve(png);
      await writeReport(a.out, report);
      if (a.plot) await drawPlot(a.out, png, a.python);
      process.stdout.write(`${formatTable(report)}\n`);
      process.stderr.write(`wrote ${a.out}${a.plot ? ` and ${png}` : ""} (${report.seconds.toFixed(0)} s)\n`);
    } finally {
      bar?.stop();
      await stop();
    }
  },
};
