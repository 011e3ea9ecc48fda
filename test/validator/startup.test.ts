// `condense validator` start-up refusals: each names what to fix, and none starts a worker first.
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { ConfigError } from "../../ts/config/resolve.js";
import { StartupError } from "../../ts/neuron/index.js";
import { validatorConfigFromArgs } from "../../ts/validator/config.js";
import { planValidator, startValidator } from "../../ts/validator/validator.js";
import { Keypair } from "../../ts/wallet/keypair.js";

const NETUID = 9;
let chain: DevChain;
let noPermit: Keypair;
const dir = path.join(os.tmpdir(), `validator-startup-${process.pid}`);
const args = (extra: string[]) => ["--netuid", String(NETUID), "--subtensor.network", "dev", "--validator.state_path", path.join(dir, "s.db"), "--logging.level", "silent", ...extra];

beforeAll(async () => {
  await cryptoReady();
  chain = new DevChain();
  chain.createSubnet(NETUID);
  noPermit = Keypair.fromUri("//StartupNoPermit");
  chain.registerHotkey(NETUID, noPermit.address, Keypair.fromUri("//StartupCold").address);
});
afterAll(async () => (await import("node:fs/promises")).rm(dir, { recursive: true, force: true }));

describe("validator start-up", () => {
  it("refuses to start without a validator permit when the permit is required, before any worker starts", async () => {
    let started = false;
    const err = await startValidator(validatorConfigFromArgs(args(["--validator.require_permit", "--model", "tiny:llama", "--validator.allow_stand_in"])), {
      chain,
      hotkey: noPermit,
      startPool: async () => {
        started = true;
        throw new Error("must not start");
      },
      manual: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).key).toBe("validator.require_permit");
    expect((err as Error).message).toContain("no validator permit");
    expect(started).toBe(false);
  });

  it("requires the permit by default on finney and test, not on a local network", () => {
    expect(validatorConfigFromArgs(args([])).validator.require_permit).toBe(false);
    expect(validatorConfigFromArgs(["--subtensor.network", "finney"]).validator.require_permit).toBe(true);
    expect(validatorConfigFromArgs(["--subtensor.network", "test"]).validator.require_permit).toBe(true);
  });

  it("refuses a stand-in worker model unless allowed, and always on finney", () => {
    expect(() => planValidator(validatorConfigFromArgs(args(["--model", "tiny:llama"])))).toThrow(ConfigError);
    expect(() => planValidator(validatorConfigFromArgs(args(["--model", "tiny:llama", "--validator.allow_stand_in"])))).not.toThrow();
    const e = (() => {
      try {
        planValidator(validatorConfigFromArgs(["--subtensor.network", "finney", "--model", "tiny:llama", "--validator.allow_stand_in"]));
      } catch (x) {
        return x as ConfigError;
      }
    })();
    expect(e?.issues.map((i) => i.key)).toContain("validator.allow_stand_in");
  });
});
