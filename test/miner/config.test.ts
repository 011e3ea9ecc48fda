import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import yargs from "yargs";
import { describe, expect, it } from "vitest";
import { ConfigError, addOptions, chainEndpoint, envName, externalAddress, logLevel, resolveConfig } from "../../ts/config/index.js";
import { MINER_OPTIONS, MinerConfigSchema } from "../../ts/miner/config.js";
import { withAwsCredentialFallback } from "../../ts/storage/config.js";

const parse = (args: string[]) => addOptions(yargs(args), MINER_OPTIONS).parseSync() as Record<string, unknown>;
const resolve = (args: string[], env: NodeJS.ProcessEnv = {}, configFile?: string) =>
  resolveConfig({ schema: MinerConfigSchema, specs: MINER_OPTIONS, argv: parse(args), env, ...(configFile ? { configFile } : {}) });

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("miner config", () => {
  it("defaults: netuid 47, finney, default wallet, axon 8091, research tier, http storage", () => {
    const c = resolve([]);
    expect(c.netuid).toBe(47);
    expect(c.subtensor.network).toBe("finney");
    expect(chainEndpoint(c.subtensor)).toBe("wss://entrypoint-finney.opentensor.ai:443");
    expect(c.wallet).toEqual({ name: "default", hotkey: "default", path: path.join(os.homedir(), ".bittensor/wallets") });
    expect(c.axon.port).toBe(8091);
    expect(c.miner.tiers).toEqual(["research"]);
    expect(c.miner.ratio).toBe(0.75);
    expect(c.storage.kind).toBe("http");
    expect(c.workers).toBe(1);
  });

  it("flags use bittensor's dotted names and arrays take several values", () => {
    const c = resolve([
      "--netuid", "3", "--subtensor.network", "dev", "--wallet.name", "m1", "--wallet.hotkey", "h1",
      "--axon.port", "9000", "--axon.external_ip", "203.0.113.5", "--miner.tiers", "research", "inference_0",
      "--miner.capacity", "research=40", "--model", "tiny:llama", "--miner.allow_stand_in", "--workers", "2",
    ]);
    expect(c.netuid).toBe(3);
    expect(chainEndpoint(c.subtensor)).toBeNull();
    expect(c.wallet.name).toBe("m1");
    expect(c.miner.tiers).toEqual(["research", "inference_0"]);
    expect(c.miner.capacity).toEqual({ research: 40 });
    expect(c.model).toBe("tiny:llama");
    expect(c.miner.allow_stand_in).toBe(true);
    expect(externalAddress(c.axon)).toEqual({ ip: "203.0.113.5", port: 9000 });
  });

  it("precedence: flag > env > config file > default", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mcfg-"));
    try {
      const f = path.join(dir, "miner.json");
      await writeFile(f, JSON.stringify({ netuid: 5, wallet: { name: "fromfile", hotkey: "hk" }, "axon.port": 7000, storage: { kind: "http" } }));
      const env = { [envName("wallet.name")]: "fromenv", [envName("miner.tiers")]: "research,inference_1", CONDENSE_LOGGING_DEBUG: "true" };
      const c = resolve(["--axon.port", "7100"], env, f);
      expect(c.netuid).toBe(5);
      expect(c.wallet.name).toBe("fromenv");
      expect(c.wallet.hotkey).toBe("hk");
      expect(c.axon.port).toBe(7100);
      expect(c.miner.tiers).toEqual(["research", "inference_1"]);
      expect(logLevel(c.logging)).toBe("debug");
      // --config works as a flag too
      const c2 = resolve(["--config", f]);
      expect(c2.wallet.name).toBe("fromfile");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("errors name the key, the bad value and where it came from", () => {
    const e1 = errorOf(() => resolve(["--axon.port", "70000"]));
    expect(e1.issues[0]).toMatchObject({ key: "axon.port", value: 70000, source: "flag --axon.port" });
    expect(e1.message).toContain("axon.port");
    const e2 = errorOf(() => resolve([], { CONDENSE_MINER_RATIO: "lots" }));
    expect(e2.issues[0]).toMatchObject({ key: "miner.ratio", value: "lots", source: "env CONDENSE_MINER_RATIO" });
    const e3 = errorOf(() => resolve(["--subtensor.chain_endpoint", "http://x"]));
    expect(e3.message).toMatch(/subtensor\.chain_endpoint: must be a ws:\/\/ or wss:\/\/ URL/);
    const e4 = errorOf(() => resolve(["--miner.capacity", "research:5"]));
    expect(e4.issues[0]!.key).toBe("miner.capacity.0");
    const e5 = errorOf(() => resolve(["--storage.kind", "s3"]));
    expect(e5.issues.map((i) => i.key).sort()).toEqual(["storage.s3.access_key", "storage.s3.secret_key"]);
    const e6 = errorOf(() => resolve(["--wallet.name", "../etc"]));
    expect(e6.issues[0]!.key).toBe("wallet.name");
    const e7 = errorOf(() => resolve(["--storage.s3.bucket", "Bad_Bucket"], {}));
    expect(e7.issues[0]!.key).toBe("storage.s3.bucket");
    const e8 = errorOf(() => resolve(["--wallet", "mywallet"]));
    expect(e8.issues[0]).toMatchObject({ key: "wallet", value: "mywallet" });
    expect(e8.message).toContain("--wallet.<name>");
  });

  it("an array flag takes commas as well as spaces, as its environment variable does", () => {
    expect(resolve(["--miner.tiers", "research,inference"]).miner.tiers).toEqual(["research", "inference"]);
    expect(resolve(["--miner.tiers", "research", "inference"]).miner.tiers).toEqual(["research", "inference"]);
    expect(resolve([], { CONDENSE_MINER_TIERS: "research, inference" }).miner.tiers).toEqual(["research", "inference"]);
  });
  it("a misspelt flag inside a known group is refused, naming the flag and the closest real one", () => {
    const e = errorOf(() => resolve(["--miner.algo", "knorm"]));
    expect(e.issues.map((i) => i.key)).toEqual(["miner.algo"]);
    expect(e.message).toContain("--miner.algo");
    expect(e.message).toContain("--miner.algorithm");
    // several at once, each named; real flags next to them are fine
    const two = errorOf(() => resolve(["--axon.prot", "1", "--wallet.nme", "x", "--axon.port", "9"]));
    expect(two.issues.map((i) => i.key).sort()).toEqual(["axon.prot", "wallet.nme"]);
  });
  it("a bad config file is a ConfigError naming it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mcfg-"));
    try {
      const f = path.join(dir, "bad.json");
      await writeFile(f, "[1,2]");
      expect(errorOf(() => resolve([], {}, f)).message).toContain(f);
      expect(errorOf(() => resolve([], {}, path.join(dir, "none.json"))).message).toMatch(/cannot read config file/);
      await writeFile(f, JSON.stringify({ walet: { name: "typo" } }));
      expect(errorOf(() => resolve([], {}, f)).issues[0]!.message).toMatch(/walet|Unrecognized/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("S3 credentials", () => {
  it("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY fill the keys; CONDENSE_ ones win", () => {
    const env = withAwsCredentialFallback({ AWS_ACCESS_KEY_ID: "aws-id", AWS_SECRET_ACCESS_KEY: "aws-secret", CONDENSE_STORAGE_S3_SECRET_KEY: "mine" });
    const c = resolve(["--storage.kind", "s3"], env);
    expect(c.storage.s3.access_key).toBe("aws-id");
    expect(c.storage.s3.secret_key).toBe("mine");
  });
});
