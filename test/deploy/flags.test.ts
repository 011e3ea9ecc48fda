// The operator run files (deploy/pm2/ecosystem.config.cjs, deploy/systemd/*.service, deploy/env/*.env.example)
// use only flags and variables the code has: every `condense` flag is parsed by the real yargs command (strict)
// and resolved by the command's config schema, every worker flag by the Python worker's own argparse, every
// CONDENSE_* variable is a flag of its role. A renamed flag on either side fails here.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { pino } from "pino";
import { Registry } from "prom-client";
import yargs, { type CommandModule } from "yargs";
import { afterAll, describe, expect, it } from "vitest";
import { command as minerCommand } from "../../ts/cli/commands/miner.js";
import { command as validatorCommand } from "../../ts/cli/commands/validator.js";
import { envName } from "../../ts/config/options.js";
import { MINER_OPTIONS, minerConfigFromArgs } from "../../ts/miner/config.js";
import { poolOptionsFor, startWorkers, StartupError } from "../../ts/neuron/index.js";
import { VALIDATOR_OPTIONS, validatorConfigFromArgs } from "../../ts/validator/config.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DEPLOY = path.join(ROOT, "deploy");
const PYTHON = path.join(ROOT, ".venv/bin/python");
const tmp = mkdtempSync(path.join(os.tmpdir(), "condense-deploy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const exampleEnv = (role: string) => parseEnv(readFileSync(path.join(DEPLOY, "env", `${role}.env.example`), "utf8")) as Record<string, string>;

// ---- reading the files ----

interface Unit {
  file: string;
  execStart: string[];
  environmentFiles: string[];
  credentials: string[];
}

/** A unit's ExecStart split into words (continuations joined), with its EnvironmentFile= and LoadCredential= lines. */
function readUnit(file: string): Unit {
  const text = readFileSync(file, "utf8").replace(/\\\n/g, " ");
  const values = (key: string) => text.split("\n").filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
  const exec = values("ExecStart");
  expect(exec, `${file}: one ExecStart`).toHaveLength(1);
  // The units use no quoting, so splitting on blanks is exactly how systemd splits them.
  expect(exec[0], `${file}: ExecStart without quotes`).not.toMatch(/["']/);
  return { file, execStart: exec[0]!.split(/\s+/).filter(Boolean), environmentFiles: values("EnvironmentFile"), credentials: values("LoadCredential") };
}

/** systemd's specifiers and ${VAR} from the unit's env file, as they would be on one host. */
function expand(words: string[], env: Record<string, string>): string[] {
  return words.map((w) =>
    w
      .replace(/\$\{([A-Z0-9_]+)\}/g, (_, k: string) => {
        if (!(k in env)) throw new Error(`\${${k}} is not defined in the env file example`);
        return env[k]!;
      })
      .replace(/%i/g, "0")
      .replace(/%H/g, "gpu-host")
      .replace(/%d/g, "/run/credentials/condense-worker@0.service"),
  );
}

const units = readdirSync(path.join(DEPLOY, "systemd"))
  .filter((f) => f.endsWith(".service"))
  .map((f) => readUnit(path.join(DEPLOY, "systemd", f)));
const unit = (name: string) => units.find((u) => path.basename(u.file) === name)!;

/** The ecosystem file as PM2 loads it, reading the example env files as if they were installed. */
function loadEcosystem(): { apps: Array<{ name: string; script: string; interpreter?: string; args: string[]; env?: Record<string, string> }> } {
  for (const role of ["miner", "validator", "worker"]) copyFileSync(path.join(DEPLOY, "env", `${role}.env.example`), path.join(tmp, `${role}.env`));
  const old = { etc: process.env.CONDENSE_ETC, home: process.env.CONDENSE_HOME, gpus: process.env.CONDENSE_GPUS };
  process.env.CONDENSE_ETC = tmp;
  process.env.CONDENSE_HOME = "/opt/condense";
  process.env.CONDENSE_GPUS = "2";
  try {
    const require = createRequire(import.meta.url);
    const file = path.join(DEPLOY, "pm2/ecosystem.config.cjs");
    delete require.cache[file];
    return require(file);
  } finally {
    for (const [k, v] of [["CONDENSE_ETC", old.etc], ["CONDENSE_HOME", old.home], ["CONDENSE_GPUS", old.gpus]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
const eco = loadEcosystem();

// ---- the checks ----

type Role = "miner" | "validator" | "organic";
const ROLES: Record<Role, { path: string[]; module: CommandModule; keys: Set<string>; resolve: (args: string[], env: Record<string, string>) => unknown; env: string }> = {
  miner: { path: ["miner"], module: minerCommand, keys: new Set(MINER_OPTIONS.map((o) => o.key)), resolve: (a, e) => minerConfigFromArgs(a, e), env: "miner" },
  validator: { path: ["validator"], module: validatorCommand, keys: new Set(VALIDATOR_OPTIONS.map((o) => o.key)), resolve: (a, e) => validatorConfigFromArgs(a, e), env: "validator" },
  // The organic API reads the validator's flags (same schema); its own word must exist under `validator`.
  organic: { path: ["validator", "organic"], module: validatorCommand, keys: new Set(VALIDATOR_OPTIONS.map((o) => o.key)), resolve: (a, e) => validatorConfigFromArgs(a, e), env: "validator" },
};

const flagsOf = (args: string[]) => args.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]!);

/** `condense` argv after the script: the command words, then flags. Returns what is wrong (empty = fine). */
async function checkCli(role: Role, argv: string[]): Promise<string[]> {
  const r = ROLES[role];
  const errors: string[] = [];
  if (argv.slice(0, r.path.length).join(" ") !== r.path.join(" ")) return [`expected \`condense ${r.path.join(" ")}\`, got \`condense ${argv.slice(0, 3).join(" ")}\``];
  const flags = argv.slice(r.path.length);
  for (const f of flagsOf(flags)) if (!r.keys.has(f)) errors.push(`--${f} is not a flag of condense ${r.path.join(" ")}`);
  // The real command, strict, its handler replaced: yargs itself must accept every word.
  const parse = (words: string[]) =>
    new Promise<string>((resolve, reject) => {
      yargs()
        .command({ ...r.module, handler: () => undefined })
        .strict()
        .exitProcess(false)
        .fail((msg, err) => reject(err ?? new Error(msg)))
        .parse(words, {}, (err: Error | undefined, _argv: unknown, output: string) => (err ? reject(err) : resolve(output)));
    });
  try {
    await parse([r.path[0]!, ...flags]);
  } catch (e) {
    errors.push(`yargs: ${(e as Error).message}`);
  }
  if (r.path.length > 1) {
    // A subcommand is checked through its help (its handler would start it); it lists every flag it takes.
    try {
      const help = await parse([...r.path, "--help"]);
      if (!help.includes(`condense ${r.path.join(" ")}`) && !help.includes(r.path.join(" "))) errors.push(`no subcommand ${r.path.join(" ")}`);
      for (const f of flagsOf(flags)) if (!help.includes(`--${f}`)) errors.push(`--${f} is not in \`condense ${r.path.join(" ")} --help\``);
    } catch (e) {
      errors.push(`yargs: ${(e as Error).message}`);
    }
  }
  try {
    r.resolve(flags, exampleEnv(r.env));
  } catch (e) {
    errors.push(`config: ${(e as Error).message}`);
  }
  return errors;
}

/** Worker argv lists (after `python`), parsed by the worker's argparse in one Python process. */
function checkWorkers(argvs: string[][]): string[][] {
  const code = [
    "import json, sys, io, contextlib",
    "from condense_worker.__main__ import parse_args",
    "out = []",
    "for argv in json.loads(sys.stdin.read()):",
    "    assert argv[:2] == ['-m', 'condense_worker'], argv[:2]",
    "    err = io.StringIO()",
    "    try:",
    "        with contextlib.redirect_stderr(err):",
    "            parse_args(argv[2:])",
    "        out.append([])",
    "    except SystemExit:",
    "        out.append([err.getvalue().strip().splitlines()[-1]])",
    "print(json.dumps(out))",
  ].join("\n");
  return JSON.parse(execFileSync(PYTHON, ["-c", code], { input: JSON.stringify(argvs), cwd: ROOT, timeout: 60_000 }).toString()) as string[][];
}

const cliRole = (args: string[]): Role => (args[0] === "miner" ? "miner" : args[1] === "organic" ? "organic" : "validator");

describe("deploy/systemd units", () => {
  it("has a miner, a remote worker, a validator and an organic API unit", () => {
    expect(units.map((u) => path.basename(u.file)).sort()).toEqual(["condense-miner.service", "condense-organic.service", "condense-validator.service", "condense-worker@.service"]);
  });

  for (const u of units.filter((x) => x.execStart.includes("/opt/condense/bin/condense.js")))
    it(`${path.basename(u.file)}: every flag exists in the CLI and its values pass the config schema`, async () => {
      const argv = u.execStart.slice(u.execStart.indexOf("/opt/condense/bin/condense.js") + 1);
      expect(await checkCli(cliRole(argv), argv)).toEqual([]);
    });

  it("condense-worker@.service: every flag exists in the worker's argparse", () => {
    const u = unit("condense-worker@.service");
    expect(u.execStart[0]).toBe("/opt/condense/.venv/bin/python");
    const argv = expand(u.execStart.slice(1), exampleEnv("worker"));
    expect(checkWorkers([argv])).toEqual([[]]);
    // The key is a credential file, never a flag value or a variable in the unit.
    expect(u.credentials).toEqual(["worker.key:/etc/condense/worker.key"]);
    expect(argv[argv.indexOf("--key-file") + 1]).toMatch(/^\/run\/credentials\/.+\/worker\.key$/);
    // A service's stdin is /dev/null: without this the worker would take EOF for its parent's death.
    expect(argv).toContain("--no-watch-stdin");
  });

  it("keeps secrets out of the units: env files and credentials only", () => {
    for (const u of units) {
      expect(u.environmentFiles.length, path.basename(u.file)).toBe(1);
      for (const f of flagsOf(u.execStart)) expect(f, path.basename(u.file)).not.toMatch(/secret|access_key|password|worker_key/);
      expect(readFileSync(u.file, "utf8")).not.toMatch(/CONDENSE_WORKER_KEY=|BT_PW_|SECRET_KEY=/);
    }
  });
});

describe("deploy/pm2/ecosystem.config.cjs", () => {
  const cliApps = eco.apps.filter((a) => a.script === "/opt/condense/bin/condense.js");
  const workerApps = eco.apps.filter((a) => a.interpreter === "none");

  it("has the same four roles (a worker app per GPU)", () => {
    expect(cliApps.map((a) => a.name).sort()).toEqual(["condense-miner", "condense-organic", "condense-validator"]);
    expect(workerApps.map((a) => a.name)).toEqual(["condense-worker-gpu0", "condense-worker-gpu1"]);
  });

  for (const name of ["condense-miner", "condense-validator", "condense-organic"])
    it(`${name}: every flag exists in the CLI and its values pass the config schema`, async () => {
      const app = cliApps.find((a) => a.name === name)!;
      expect(await checkCli(cliRole(app.args), app.args)).toEqual([]);
    });

  it("worker apps: every flag exists in the worker's argparse; the connect address and model come from worker.env", () => {
    expect(workerApps.every((a) => a.script === "/opt/condense/.venv/bin/python")).toBe(true);
    expect(checkWorkers(workerApps.map((a) => a.args))).toEqual(workerApps.map(() => []));
    const env = exampleEnv("worker");
    for (const a of workerApps) {
      expect(a.args[a.args.indexOf("--connect") + 1]).toBe(env.WORKER_CONNECT);
      expect(a.args[a.args.indexOf("--model") + 1]).toBe(env.WORKER_MODEL);
      expect(a.args).toContain("--no-watch-stdin");
    }
  });

  it("passes the env files' values as the apps' environment", () => {
    expect(cliApps.find((a) => a.name === "condense-miner")!.env).toEqual(exampleEnv("miner"));
    expect(cliApps.find((a) => a.name === "condense-organic")!.env).toEqual(exampleEnv("validator"));
  });

  it("uses the same flags as the systemd unit of each role", () => {
    const pairs: Array<[string, string]> = [["condense-miner", "condense-miner.service"], ["condense-validator", "condense-validator.service"], ["condense-organic", "condense-organic.service"], ["condense-worker-gpu0", "condense-worker@.service"]];
    for (const [app, file] of pairs) expect(flagsOf(eco.apps.find((a) => a.name === app)!.args).sort(), app).toEqual(flagsOf(unit(file).execStart).sort());
  });
});

describe("deploy/env examples", () => {
  for (const role of ["miner", "validator"] as const)
    it(`${role}.env.example: every CONDENSE_* variable (commented ones too) is a flag of condense ${role}`, () => {
      const text = readFileSync(path.join(DEPLOY, "env", `${role}.env.example`), "utf8");
      const names = [...text.matchAll(/^#?\s*(CONDENSE_[A-Z0-9_]+)=/gm)].map((m) => m[1]!);
      expect(names.length).toBeGreaterThan(0);
      const known = new Set([...ROLES[role].keys].map((k) => envName(k)));
      // The worker pool's key is read by the pool itself, not the config schema.
      known.add("CONDENSE_WORKER_KEY");
      expect(names.filter((n) => !known.has(n))).toEqual([]);
    });

  it("worker.env.example defines every ${VAR} the worker unit uses", () => {
    expect(() => expand(unit("condense-worker@.service").execStart, exampleEnv("worker"))).not.toThrow();
  });
});

describe("the checks can fail", () => {
  it("a renamed or unknown condense flag is reported", async () => {
    const argv = [...eco.apps.find((a) => a.name === "condense-miner")!.args];
    argv[argv.indexOf("--miner.algorithm")] = "--miner.algo";
    const errors = await checkCli("miner", argv);
    // (yargs alone lets an unknown dotted flag under a known section through; the option table does not.)
    expect(errors.some((e) => e.includes("--miner.algo is not a flag"))).toBe(true);
    expect((await checkCli("miner", ["miner", "--no-such-flag", "1"])).some((e) => e.startsWith("yargs:"))).toBe(true);
    expect((await checkCli("organic", ["validator", "organic", "--validator.organic.prt", "1"])).length).toBeGreaterThan(0);
    expect(await checkCli("organic", ["validator", "organik"])).not.toEqual([]);
    // A flag that exists with a value the schema refuses.
    expect((await checkCli("miner", ["miner", "--worker_endpoint", "10.0.0.5:5555"])).some((e) => e.startsWith("config:"))).toBe(true);
  });

  it("a renamed worker flag is reported by argparse", () => {
    const argv = expand(unit("condense-worker@.service").execStart.slice(1), exampleEnv("worker")).map((w) => (w === "--key-file" ? "--keyfile" : w));
    const [errors] = checkWorkers([argv]);
    expect(errors![0]).toMatch(/unrecognized arguments: --keyfile/);
  });
});

describe("--worker_endpoint: how the miner and validator take remote workers", () => {
  it("binds the pool's tcp:// endpoint, and refuses to start without the key", async () => {
    const cfg = minerConfigFromArgs(["--worker_endpoint", "tcp://127.0.0.1:0", "--model", "tiny:llama"]);
    expect(poolOptionsFor(cfg, "tiny:llama").tcpEndpoint).toBe("tcp://127.0.0.1:0");
    expect(poolOptionsFor(minerConfigFromArgs([]), "m")).not.toHaveProperty("tcpEndpoint");
    const saved = process.env.CONDENSE_WORKER_KEY;
    delete process.env.CONDENSE_WORKER_KEY;
    let started = false;
    try {
      await expect(startWorkers(cfg, "tiny:llama", { log: pino({ level: "silent" }), registry: new Registry(), startPool: async () => ((started = true), null as never) })).rejects.toBeInstanceOf(StartupError);
      expect(started).toBe(false);
    } finally {
      if (saved !== undefined) process.env.CONDENSE_WORKER_KEY = saved;
    }
  });
});
