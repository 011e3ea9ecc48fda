// SCALE codecs of what we read from the chain, against golden bytes from scripts/golden/chain_scale.py.
import { describe, expect, it } from "vitest";
import { compactToU8a, hexToU8a, u8aToHex } from "@polkadot/util";
import { encodeAddress } from "@polkadot/util-crypto";
import { createSubtensorRegistry, HYPERPARAM_INDEXES, NEURON_INDEXES } from "../../ts/chain/scale.js";
import {
  decodeAxon,
  decodeHyperparameters,
  decodeNeuronsLite,
  decodeSelectiveMetagraph,
  encodeSelectiveArgs,
} from "../../ts/chain/decode.js";
import { ChainError } from "../../ts/chain/errors.js";
import { intToIp, ipToInt, isChainValidIp } from "../../ts/chain/axon-ip.js";
import { loadGolden } from "./golden.js";

interface NeuronJson {
  hotkey: string;
  coldkey: string;
  uid: number;
  netuid: number;
  active: boolean;
  axon: { block: number; version: number; ip: string; port: number; ip_type: number };
  stake: number;
  emission: number;
  incentive: number;
  dividends: number;
  last_update: number;
  validator_permit: boolean;
}
interface Golden {
  compact: Array<{ value: string; hex: string }>;
  ss58: Array<{ pubkey: string; address: string }>;
  axon_info: Array<{ hex: string; ip: string; ip_type: number; port: number; block: number; version: number }>;
  neuron_info_lite: { hex: string; expect: NeuronJson };
  neurons_lite_vec: { hex: string; netuid: number; expect: NeuronJson[] };
  selective_args: { netuid: number; indexes: number[]; hex: string };
  selective_metagraph: { hex: string; netuid: number; block: number; expect: NeuronJson[]; total_stake: number[] };
  selective_hyperparameters: { hex: string; expect: Record<string, number | boolean | string> };
}
const g = loadGolden<Golden>("chain_scale");
const registry = createSubtensorRegistry();

describe("primitive encodings", () => {
  it("compact integers", () => {
    for (const c of g.compact) expect(u8aToHex(compactToU8a(BigInt(c.value)))).toBe(`0x${c.hex}`);
  });
  it("ss58 addresses (prefix 42)", () => {
    for (const c of g.ss58) expect(encodeAddress(hexToU8a(`0x${c.pubkey}`), 42)).toBe(c.address);
  });
});

describe("AxonInfo", () => {
  for (const a of g.axon_info) {
    it(`decodes and re-encodes ${a.ip}`, () => {
      const codec = registry.createType("AxonInfo", hexToU8a(`0x${a.hex}`));
      expect(u8aToHex(codec.toU8a())).toBe(`0x${a.hex}`);
      const axon = decodeAxon(codec.toJSON());
      expect(axon).toMatchObject({ ip: a.ip, ipType: a.ip_type, port: a.port, block: a.block, version: a.version, isServing: true });
      expect(ipToInt(axon.ip).value).toBe(ipToInt(a.ip).value);
    });
  }
  it("ip helpers round-trip and apply the chain's validity rule", () => {
    for (const ip of ["0.0.0.0", "203.0.113.7", "255.255.255.254", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1:2"]) {
      const { value } = ipToInt(ip);
      expect(ipToInt(intToIp(value).ip).value).toBe(value);
    }
    expect(isChainValidIp(ipToInt("127.0.0.1").value, 4)).toBe(false);
    expect(isChainValidIp(ipToInt("255.255.255.255").value, 4)).toBe(false);
    expect(isChainValidIp(ipToInt("::1").value, 6)).toBe(false);
    expect(isChainValidIp(ipToInt("10.0.0.1").value, 4)).toBe(true);
    expect(isChainValidIp(1n, 5)).toBe(false);
    expect(isChainValidIp(0n, 4)).toBe(false);
    // IPv6 text as RFC 5952 (Python's ipaddress / the SDK's netaddr print these strings for these values).
    const v6: Array<[bigint, string]> = [
      [0x20010db8000000000000000000000001n, "2001:db8::1"],
      [0xfe800000000000000000000000010002n, "fe80::1:2"],
      [0x00010000000000000000000000000000n, "1::"],
      [0x20010db8000000010000000000000001n, "2001:db8:0:1::1"],
      [0x20010db8000100000001000000000001n, "2001:db8:1:0:1::1"],
      [0x20010db8000100010001000100010001n, "2001:db8:1:1:1:1:1:1"],
    ];
    for (const [value, text] of v6) expect(intToIp(value).ip).toBe(text);
    expect(isChainValidIp(0n, 6)).toBe(false);
    expect(() => ipToInt("1.2.3")).toThrow(ChainError);
  });
});

function expectNeuron(m: ReturnType<typeof decodeNeuronsLite>, i: number, n: NeuronJson) {
  expect(m.hotkeys[i]).toBe(n.hotkey);
  expect(m.coldkeys[i]).toBe(n.coldkey);
  expect(m.active[i]).toBe(n.active);
  expect(m.validatorPermits[i]).toBe(n.validator_permit);
  expect(m.incentives[i]).toBeCloseTo(n.incentive / 65535, 12);
  expect(m.dividends[i]).toBeCloseTo(n.dividends / 65535, 12);
  expect(m.emissions[i]).toBeCloseTo(n.emission / 1e9, 9);
  expect(m.lastUpdate[i]).toBe(n.last_update);
  expect(m.axons[i]!.port).toBe(n.axon.port);
  expect(m.axons[i]!.block).toBe(n.axon.block);
  expect(ipToInt(m.axons[i]!.ip).value).toBe(BigInt(n.axon.ip));
}

describe("NeuronInfoLite", () => {
  it("single neuron decodes and re-encodes byte-identically", () => {
    const codec = registry.createType("NeuronInfoLite", hexToU8a(`0x${g.neuron_info_lite.hex}`));
    expect(u8aToHex(codec.toU8a())).toBe(`0x${g.neuron_info_lite.hex}`);
  });
  it("Vec<NeuronInfoLite> becomes a metagraph (neurons-lite fallback path)", () => {
    const m = decodeNeuronsLite(registry, hexToU8a(`0x${g.neurons_lite_vec.hex}`), 47, 123);
    expect(m).toMatchObject({ netuid: 47, block: 123, n: 2, uids: [0, 1], source: "neurons-lite" });
    g.neurons_lite_vec.expect.forEach((n, i) => expectNeuron(m, i, n));
    expect(m.stakesRao).toEqual(g.neurons_lite_vec.expect.map((n) => BigInt(n.stake)));
  });
  it("rejects a neuron list for another subnet and garbage bytes with typed errors", () => {
    expect(() => decodeNeuronsLite(registry, hexToU8a(`0x${g.neurons_lite_vec.hex}`), 48, 1)).toThrow(/subnet 47 in subnet 48/);
    expect(() => decodeNeuronsLite(registry, new Uint8Array([8, 1, 2]), 47, 1)).toThrow(ChainError);
  });
});

describe("selective metagraph", () => {
  it("encodes the runtime-API arguments", () => {
    expect(g.selective_args.indexes).toEqual(NEURON_INDEXES);
    expect(u8aToHex(encodeSelectiveArgs(registry, 47, NEURON_INDEXES))).toBe(`0x${g.selective_args.hex}`);
  });
  it("decodes the per-uid payload into a metagraph", () => {
    const bytes = hexToU8a(`0x${g.selective_metagraph.hex}`);
    const m = decodeSelectiveMetagraph(registry, bytes, 0);
    expect(m).toMatchObject({ netuid: 47, block: g.selective_metagraph.block, n: 2, source: "selective-metagraph" });
    g.selective_metagraph.expect.forEach((n, i) => expectNeuron(m, i, n));
    expect(m.stakesRao).toEqual(g.selective_metagraph.total_stake.map(BigInt));
    expect(m.stakes[0]).toBeCloseTo(1600, 9);
    const codec = registry.createType("Option<SelectiveMetagraph>", bytes);
    expect(u8aToHex(codec.toU8a())).toBe(`0x${g.selective_metagraph.hex}`);
  });
  it("decodes hyperparameters from the same API", () => {
    expect(HYPERPARAM_INDEXES).toEqual([0, ...[8, 24, 25, 26, 27, 29, 30, 31, 32, 34, 36, 45, 46, 47]]);
    const h = decodeHyperparameters(registry, hexToU8a(`0x${g.selective_hyperparameters.hex}`), 1000n);
    const e = g.selective_hyperparameters.expect;
    expect(h).toEqual({
      netuid: 47,
      tempo: e.tempo,
      subnetworkN: e.num_uids,
      maxAllowedUids: e.max_uids,
      minAllowedWeights: e.min_allowed_weights,
      maxWeightsLimit: e.max_weights_limit,
      weightsRateLimit: e.weights_rate_limit,
      weightsVersionKey: e.weights_version,
      servingRateLimit: e.serving_rate_limit,
      immunityPeriod: e.immunity_period,
      maxAllowedValidators: e.max_validators,
      commitRevealEnabled: e.commit_reveal_weights_enabled,
      revealPeriodEpochs: e.commit_reveal_period,
      commitRevealVersion: 4,
      stakeThreshold: 1000n,
      burn: BigInt(e.burn as string),
      registrationAllowed: e.registration_allowed,
    });
  });
  it("None means the subnet does not exist; a missing field is a decode error", () => {
    expect(() => decodeSelectiveMetagraph(registry, new Uint8Array([0]), 0)).toThrow(/SubNetworkDoesNotExist/);
    // The neurons payload lacks the hyperparameter fields.
    expect(() => decodeHyperparameters(registry, hexToU8a(`0x${g.selective_metagraph.hex}`), 0n)).toThrow(/tempo missing/);
    expect(() => decodeSelectiveMetagraph(registry, hexToU8a(`0x${g.selective_hyperparameters.hex}`), 0)).toThrow(/hotkeys missing/);
  });
});
