// `condense validator`: challenge miners, score them and set weights (see docs/validator.md); `organic` runs the
// organic API as its own process on the same database; `keys` manages the organic API's keys.
import type { Argv, CommandModule } from "yargs";
import { addOptions } from "../../config/options.js";
import { ConfigError, resolveConfig } from "../../config/resolve.js";
import { StartupError } from "../../neuron/errors.js";
import { VALIDATOR_OPTIONS, ValidatorConfigSchema, type ValidatorConfig } from "../../validator/config.js";

function config(argv: Record<string, unknown>): ValidatorConfig {
  try {
    return resolveConfig({ schema: ValidatorConfigSchema, specs: VALIDATOR_OPTIONS, argv, env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/** Start-up refusals carry what to fix: printed without a stack trace, exit 2. */
async function orExit<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StartupError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

function onSignals(stop: () => Promise<void>): void {
  const go = (signal: string) => {
    process.stderr.write(`${signal}: stopping\n`);
    void stop().then(() => process.exit(0));
  };
  process.once("SIGINT", () => go("SIGINT"));
  process.once("SIGTERM", () => go("SIGTERM"));
}

async function openState(cfg: ValidatorConfig) {
  const { mkdirSync } = await import("node:fs");
  const path = await import("node:path");
  const { openValidatorState } = await import("../../validator/state/index.js");
  mkdirSync(path.dirname(cfg.validator.state_path), { recursive: true, mode: 0o700 });
  return openValidatorState(cfg.validator.state_path);
}

const organic: CommandModule = {
  command: "organic",
  describe: "serve the organic API (POST /v1/condense) from the validator's database, as its own process",
  handler: async (argv) => {
    const cfg = config(argv as Record<string, unknown>);
    const { pino } = await import("pino");
    const { Registry } = await import("prom-client");
    const { logLevel } = await import("../../config/schema.js");
    const { loadHotkey } = await import("../../neuron/identity.js");
    const { Dendrite } = await import("../../dendrite/dendrite.js");
    const { planValidator, startOrganic } = await import("../../validator/validator.js");
    const log = pino({ level: logLevel(cfg.logging) });
    const { tiers } = await orExit(async () => planValidator(cfg));
    const hotkey = await orExit(() => loadHotkey(cfg.wallet));
    const state = await openState(cfg);
    const dendrite = new Dendrite({ wallet: hotkey, auth: cfg.validator.auth });
    const org = await startOrganic({ ...cfg, validator: { ...cfg.validator, organic: { ...cfg.validator.organic, port: cfg.validator.organic.port ?? 8093 } } }, { state, dendrite, tiers, neuron: { registry: new Registry(), log } });
    log.info({ port: org.port, host: cfg.validator.organic.host, state: cfg.validator.state_path }, "organic API ready");
    onSignals(async () => {
      await org.close();
      dendrite.close();
      state.close();
    });
  },
};

const keys: CommandModule = {
  command: "keys <action>",
  describe: "organic API keys: create (printed once), list, revoke",
  builder: (y: Argv) =>
    y
      .positional("action", { choices: ["create", "list", "revoke"] as const, describe: "what to do" })
      .option("name", { type: "string", describe: "the key's name (create, revoke)" })
      .option("rate", { type: "number", default: 60, describe: "requests per minute (create)" }),
  handler: async (argv) => {
    const cfg = config(argv as Record<string, unknown>);
    const { ApiKeyStore } = await import("../../validator/organic/keys.js");
    const state = await openState(cfg);
    const store = new ApiKeyStore(state.db);
    const a = argv as unknown as { action: string; name?: string; rate: number };
    try {
      if (a.action === "list") {
        for (const k of store.list()) process.stdout.write(`${k.name}\t${k.ratePerMinute}/min\t${k.revoked ? "revoked" : "active"}\t${new Date(k.createdAt).toISOString()}\n`);
        return;
      }
      if (!a.name) {
        process.stderr.write("error: --name is required\n");
        process.exit(2);
      }
      if (a.action === "create") {
        const { key } = store.create(a.name, a.rate);
        process.stdout.write(`${key}\n`);
        process.stderr.write(`created key '${a.name}' (${a.rate}/min); it is shown only now: store it safely\n`);
      } else if (!store.revoke(a.name)) {
        process.stderr.write(`error: no key named '${a.name}'\n`);
        process.exit(2);
      }
    } finally {
      state.close();
    }
  },
};

const calibrateCmd: CommandModule = {
  command: "calibrate",
  describe: "measure the full cache's accuracy per task kind on the worker model and write the table (--validator.calibration_file)",
  builder: (y: Argv) =>
    y
      .option("out", { type: "string", demandOption: true, describe: "JSON file to write the table to" })
      .option("samples", { type: "number", default: 4, describe: "challenges per task kind" }),
  handler: async (argv) => {
    const cfg = config(argv as Record<string, unknown>);
    const a = argv as unknown as { out: string; samples: number };
    const { writeFileSync } = await import("node:fs");
    const { pino } = await import("pino");
    const { Registry } = await import("prom-client");
    const { logLevel } = await import("../../config/schema.js");
    const { startWorkers } = await import("../../neuron/workers.js");
    const { calibrate } = await import("../../validator/challenges/calibration.js");
    const { createPrivateDir, removePrivateDir } = await import("../../validator/verify/index.js");
    const { planValidator, DEFAULT_CHALLENGE_KINDS, challengeBounds } = await import("../../validator/validator.js");
    const { offerCorpusQa } = await import("../../validator/challenges/index.js");
    const log = pino({ level: logLevel(cfg.logging) });
    const plan = await orExit(async () => planValidator(cfg));
    const [tier, target] = [...plan.targets][0]!;
    const pool = await orExit(() => startWorkers(cfg, plan.workerModel, { log, registry: new Registry() }));
    const dir = createPrivateDir("condense-calibrate-");
    try {
      const { kinds, corpus } = offerCorpusQa(cfg.validator.challenge_kinds.length ? cfg.validator.challenge_kinds : DEFAULT_CHALLENGE_KINDS, cfg.validator.challenge_kinds.length > 0, cfg.validator, log);
      const t = await calibrate(pool, { kinds, targetModel: target, templateModel: plan.standIn ? "" : target, ...challengeBounds(plan.tiers.tiers[tier]!), samples: a.samples, questions: cfg.validator.questions, minAccuracy: cfg.validator.min_full_accuracy, secret: (await import("node:crypto")).randomBytes(32), dir, minerHotkey: "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM", corpus, log });
      writeFileSync(a.out, JSON.stringify({ ...t, model: plan.workerModel, measured: new Date().toISOString(), samples: a.samples, questions: cfg.validator.questions }, null, 2) + "\n");
      process.stderr.write(`wrote ${a.out}\n`);
    } finally {
      removePrivateDir(dir);
      await pool.close();
    }
  },
};

export const command: CommandModule = {
  command: "validator",
  describe: "run a validator: challenge miners, verify and score their containers, set weights",
  builder: (y) =>
    addOptions(y, VALIDATOR_OPTIONS)
      .command(organic)
      .command(keys)
      .command(calibrateCmd)
      .example("condense validator --wallet.name validator --validator.organic.port 8093", "validate on finney and serve the organic API")
      .example("condense validator keys create --name app1 --rate 120", "an organic API key (printed once)"),
  handler: async (argv) => {
    const cfg = config(argv as Record<string, unknown>);
    const { startValidator } = await import("../../validator/validator.js");
    const v = await orExit(() => startValidator(cfg));
    onSignals(() => v.stop());
  },
};
