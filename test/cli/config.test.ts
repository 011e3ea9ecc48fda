// `condense config print`: every value with its source, the same values the commands resolve, secrets redacted,
// and an invalid value refused exactly as the command refuses it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import yargs from "yargs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { effectiveConfig, REDACTED } from "../../ts/cli/commands/config.js";
import { addOptions } from "../../ts/config/options.js";
import { ConfigError } from "../../ts/config/resolve.js";
import { MINER_OPTIONS, minerConfigFromArgs } from "../../ts/miner/config.js";
import { VALIDATOR_OPTIONS, validatorConfigFromArgs } from "../../ts/validator/config.js";
import { condense } from "./helpers.js";

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "condense-cli-config-"));
  file = path.join(dir, "miner.json");
  writeFileSync(file, JSON.stringify({ axon: { port: 9000, ip: "10.0.0.9" }, "wallet.name": "fromfile", storage: { s3: { secret_key: "file-secret-xyz" } } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (specs: typeof MINER_OPTIONS, args: string[]) => addOptions(yargs(args), specs).parseSync() as Record<string, unknown>;
const get = (obj: unknown, key: string): unknown => key.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);

describe("effectiveConfig", () => {
  it("gives each key's source by the resolver's precedence: flag > env > file > default", () => {
    const args = ["--config", file, "--axon.ip", "10.0.0.1", "--miner.capacity", "research=5"];
    const env = { CONDENSE_NETUID: "3", CONDENSE_AXON_PORT: "9100" };
    const e = Object.fromEntries(effectiveConfig("miner", parse(MINER_OPTIONS, args), env).map((x) => [x.key, x]));
    expect(e["axon.ip"]).toMatchObject({ value: "10.0.0.1", source: "flag", from: "--axon.ip" }); // flag beats file
    expect(e["axon.port"]).toMatchObject({ value: 9100, source: "env", from: "CONDENSE_AXON_PORT" }); // env beats file
    expect(e["netuid"]).toMatchObject({ value: 3, source: "env" });
    expect(e["wallet.name"]).toMatchObject({ value: "fromfile", source: "file", from: file });
    expect(e["wallet.hotkey"]).toMatchObject({ value: "default", source: "default" });
    expect(e["miner.capacity.research"]).toMatchObject({ value: 5, source: "flag", from: "--miner.capacity" });
    expect(e["axon.external_ip"]).toMatchObject({ value: undefined, source: "default" }); // unset keys are listed too
    expect(e["storage.s3.secret_key"]).toMatchObject({ value: REDACTED, source: "file" });
  });

  it("lists exactly the values the command itself resolves, for every flag", () => {
    for (const [role, specs, fromArgs] of [
      ["miner", MINER_OPTIONS, minerConfigFromArgs],
      ["validator", VALIDATOR_OPTIONS, validatorConfigFromArgs],
    ] as const) {
      const args = ["--netuid", "7", "--subtensor.network", "test", "--wallet.hotkey", "h9"];
      const env = { CONDENSE_LOGGING_LEVEL: "debug" };
      const cfg = fromArgs(args, env);
      const entries = effectiveConfig(role, parse(specs, args), env);
      for (const s of specs) expect(entries.some((x) => x.key === s.key || x.key.startsWith(`${s.key}.`)), `${role} ${s.key}`).toBe(true);
      for (const x of entries) if (x.value !== REDACTED) expect(x.value, `${role} ${x.key}`).toEqual(get(cfg, x.key));
    }
    // Derived defaults follow the command's rules (a validator on test requires a permit).
    const v = Object.fromEntries(effectiveConfig("validator", parse(VALIDATOR_OPTIONS, ["--subtensor.network", "test"]), {}).map((x) => [x.key, x]));
    expect(v["validator.require_permit"]).toMatchObject({ value: true, source: "default" });
  });

  it("an invalid value is the command's own ConfigError", () => {
    expect(() => effectiveConfig("validator", parse(VALIDATOR_OPTIONS, ["--validator.questions", "0"]), {})).toThrow(ConfigError);
    let fromCommand = "";
    try {
      validatorConfigFromArgs(["--validator.questions", "0"]);
    } catch (e) {
      fromCommand = (e as Error).message;
    }
    expect(() => effectiveConfig("validator", parse(VALIDATOR_OPTIONS, ["--validator.questions", "0"]), {})).toThrow(fromCommand);
  });
});

describe("condense config print (process)", () => {
  it("prints the table with sources and never a secret; AWS_* fallbacks are named", async () => {
    const r = await condense(["config", "print", "miner", "--config", file, "--axon.port", "8095"], { env: { CONDENSE_NETUID: "5", AWS_ACCESS_KEY_ID: "AKIA-not-shown" } });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^axon\.port\s+8095\s+flag --axon\.port$/m);
    expect(r.stdout).toMatch(/^netuid\s+5\s+env CONDENSE_NETUID$/m);
    expect(r.stdout).toMatch(/^wallet\.name\s+fromfile\s+file /m);
    expect(r.stdout).toMatch(/^miner\.ratio\s+0\.75\s+default$/m);
    expect(r.stdout).toMatch(/^storage\.s3\.access_key\s+<redacted>\s+env AWS_ACCESS_KEY_ID/m);
    expect(r.stdout).not.toContain("file-secret-xyz");
    expect(r.stdout).not.toContain("AKIA-not-shown");
  }, 120_000);

  it("an invalid value exits 2 naming key, value and source, as the validator would", async () => {
    const r = await condense(["config", "print", "validator", "--validator.questions", "0", "--json"]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("validator.questions");
    expect(r.stderr).toContain("got 0 from flag --validator.questions");
  }, 120_000);
});
