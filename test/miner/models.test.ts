import yargs from "yargs";
import { describe, expect, it } from "vitest";
import { ConfigError, addOptions, resolveConfig } from "../../ts/config/index.js";
import { MINER_OPTIONS, MinerConfigSchema } from "../../ts/miner/config.js";
import { planMiner } from "../../ts/miner/miner.js";
import { ModelMapError, resolveServedModels } from "../../ts/miner/models.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const cfgOf = (args: string[]) =>
  resolveConfig({ schema: MinerConfigSchema, specs: MINER_OPTIONS, argv: addOptions(yargs(args), MINER_OPTIONS).parseSync() as Record<string, unknown>, env: {} });

describe("served models", () => {
  it("a real deployment runs the target itself", () => {
    expect(resolveServedModels({ targets: [], tierModels: [MISTRAL], allowStandIn: false, network: "finney" })).toEqual([
      { target: MISTRAL, workerModel: MISTRAL, standIn: false },
    ]);
  });
  it("a stand-in needs --miner.allow_stand_in and is refused on finney", () => {
    expect(() => resolveServedModels({ targets: [], tierModels: [MISTRAL], workerModel: "tiny:llama", allowStandIn: false, network: "test" })).toThrow(/allow_stand_in/);
    expect(() => resolveServedModels({ targets: [], tierModels: [MISTRAL], workerModel: "tiny:llama", allowStandIn: true, network: "finney" })).toThrow(ModelMapError);
    expect(resolveServedModels({ targets: [], tierModels: [MISTRAL], workerModel: "tiny:llama", allowStandIn: true, network: "dev" })[0]).toEqual({
      target: MISTRAL,
      workerModel: "tiny:llama",
      standIn: true,
    });
  });
  it("targets must be supporting models of the served tiers", () => {
    expect(() => resolveServedModels({ targets: ["meta/llama"], tierModels: [MISTRAL], allowStandIn: false, network: "dev" })).toThrow(/not a supporting model/);
  });
});

describe("planMiner: cross-field checks at start", () => {
  it("unknown tiers and capacities for unserved tiers are ConfigErrors naming the key", () => {
    const e = (() => {
      try {
        planMiner(cfgOf(["--miner.tiers", "research", "universal", "--miner.capacity", "inference_1=5", "--axon.external_ip", "203.0.113.5"]));
      } catch (err) {
        return err as ConfigError;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e!.issues.map((i) => i.key)).toEqual(["miner.tiers.1", "miner.capacity"]);
    expect(e!.issues[0]!.value).toBe("universal");
  });
  it("a stand-in without the flag is a ConfigError on the model key", () => {
    expect(() => planMiner(cfgOf(["--model", "tiny:llama", "--subtensor.network", "dev"]))).toThrow(/model: .*allow_stand_in/s);
  });
  it("on finney and test a loopback external address is refused at start", () => {
    expect(() => planMiner(cfgOf(["--axon.ip", "0.0.0.0"]))).toThrow(/axon\.external_ip/);
    expect(() => planMiner(cfgOf(["--subtensor.network", "test", "--axon.external_ip", "127.0.0.1"]))).toThrow(/axon\.external_ip/);
    expect(planMiner(cfgOf(["--axon.external_ip", "203.0.113.5"])).models).toHaveLength(1);
    expect(planMiner(cfgOf(["--subtensor.network", "local"])).models).toHaveLength(1);
  });

  it("capacity defaults to the tier's requests per epoch", () => {
    const p = planMiner(cfgOf(["--miner.tiers", "research", "inference_0", "--miner.capacity", "research=50", "--axon.external_ip", "203.0.113.5"]));
    expect(p.capacity).toEqual({ research: 50, inference_0: 1024 });
    expect(p.models).toEqual([{ target: MISTRAL, workerModel: MISTRAL, standIn: false }]);
  });
  it("a target named by its alias (the subnet's Condense-AI id) is the canonical target", () => {
    const p = planMiner(cfgOf(["--miner.targets", "Condense-AI/Mistral-7B-Instruct-v0.2", "--axon.external_ip", "203.0.113.5"]));
    expect(p.models).toEqual([{ target: MISTRAL, workerModel: MISTRAL, standIn: false }]);
  });
  it("a bad --miner.tiers_file is a ConfigError naming it", () => {
    expect(() => planMiner(cfgOf(["--miner.tiers_file", "/nonexistent/tiers.json"]))).toThrow(/miner.tiers_file/);
  });
});
