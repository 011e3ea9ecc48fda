// `condense miner` as a process: bad configuration exits 2 with a message naming the bad value.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Wallet } from "../../ts/wallet/wallet.js";

const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");
const script = path.join(root, "test/miner/fixtures/miner-cli.ts");
let dir: string;

const run = (args: string[], env: Record<string, string> = {}) =>
  execa(tsx, [script, "miner", ...args], { cwd: root, reject: false, timeout: 60_000, env: { ...env, CONDENSE_CONFIG: "" }, extendEnv: true });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "miner-cli-"));
  await new Wallet({ name: "m", hotkey: "h", path: dir }).create({ coldkey: true, hotkey: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("condense miner (process)", () => {
  it("an invalid flag exits 2 naming the key, value and source", async () => {
    const r = await run(["--axon.port", "99999", "--miner.ratio", "2"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("axon.port");
    expect(r.stderr).toContain("99999");
    expect(r.stderr).toContain("flag --axon.port");
    expect(r.stderr).toContain("miner.ratio");
  });

  it("an invalid environment variable is named too", async () => {
    const r = await run([], { CONDENSE_STORAGE_KIND: "ftp" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("storage.kind");
    expect(r.stderr).toContain("env CONDENSE_STORAGE_KIND");
  });

  it("an unknown tier and a stand-in without permission are refused at start", async () => {
    const r = await run(["--miner.tiers", "universal"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/miner\.tiers\.0: unknown tier/);
    const r2 = await run(["--model", "tiny:llama"]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toContain("allow_stand_in");
  });

  it("a missing wallet is a clear error, not a stack trace", async () => {
    const r = await run(["--wallet.path", dir, "--wallet.name", "absent", "--axon.external_ip", "203.0.113.5"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("absent");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("on finney, a loopback external address is refused before anything starts", async () => {
    const r = await run(["--axon.ip", "127.0.0.1"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("axon.external_ip");
  });

  it("the dev network cannot be dialled from a standalone miner", async () => {
    const r = await run(["--wallet.path", dir, "--wallet.name", "m", "--wallet.hotkey", "h", "--subtensor.network", "dev"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("in-memory devnet");
  });
});
