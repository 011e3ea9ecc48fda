// Chain reads and writes proven against the SDK itself: the same payloads decoded by bittensor 10.5's own
// decoders (async-substrate-interface 2.2 + cyscale, then MetagraphInfo / NeuronInfoLite / AxonInfo) and by
// ours, field by field; storage keys and call data built by the SDK's metadata-driven encoder and by ours.
// Both sides read subtensor's real runtime metadata (v15, spec 343: fixtures/subtensor-spec343-metadata-v15
// .scale.gz, recorded from finney by the bittensor SDK's test helpers), so a misreading of a layout in our
// hand-written type definitions or in our hand-built test metadata shows up here. Oracle: py/sdk_chain_codec.py.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { Metadata, TypeRegistry, expandMetadata } from "@polkadot/types";
import type { Call } from "@polkadot/types/interfaces";
import { hexToU8a, u8aToHex } from "@polkadot/util";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { createSubtensorRegistry } from "../../ts/chain/scale.js";
import {
  decodeAxon,
  decodeHyperparameters,
  decodeNeuronsLite,
  decodeSelectiveMetagraph,
  hotkeyMapStorageKey,
  netuidMapStorageKey,
  plainStorageKey,
} from "../../ts/chain/decode.js";
import {
  burnedRegisterCall,
  commitTimelockedCall,
  commitWeightsCall,
  revealWeightsCall,
  serveAxonCall,
  setWeightsCall,
  type CallSection,
} from "../../ts/chain/calls.js";
import { ipToInt } from "../../ts/chain/axon-ip.js";
import { encodeTimelockPayload, timelockEncrypt } from "../../ts/chain/timelock.js";
import { loadGolden } from "./golden.js";

const PY = fileURLToPath(new URL("../../.venv-bt/bin/python", import.meta.url));
const ORACLE = fileURLToPath(new URL("./py/sdk_chain_codec.py", import.meta.url));
const METADATA = fileURLToPath(new URL("./fixtures/subtensor-spec343-metadata-v15.scale.gz", import.meta.url));

interface G {
  selective_metagraph: { hex: string; netuid: number; block: number };
  selective_hyperparameters: { hex: string };
  neurons_lite_vec: { hex: string; netuid: number };
  axon_info: Array<{ hex: string }>;
  calls: Record<string, { hex: string; args: Record<string, unknown> }>;
}
const g = loadGolden<G>("chain_scale");
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Out {
  versions: Record<string, string>;
  runtime_api: Json[];
  storage: Json[];
  keys: string[];
  calls: Array<string | { error: string }>;
}

function oracle(req: unknown): Out {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/20-bittensor-sdk.sh`);
  const out = execFileSync(PY, ["-B", ORACLE], { input: JSON.stringify({ metadata: METADATA, ...(req as object) }), timeout: 240_000, maxBuffer: 1 << 26 });
  return JSON.parse(out.toString()) as Out;
}

const ours = createSubtensorRegistry();
const HOTKEY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

describe("reads: our decoders agree with the SDK's on the same bytes", () => {
  let out: Out;
  beforeAll(() => {
    out = oracle({
      runtime_api: [
        { api: "SubnetInfoRuntimeApi", method: "get_selective_metagraph", hex: g.selective_metagraph.hex },
        { api: "SubnetInfoRuntimeApi", method: "get_selective_metagraph", hex: g.selective_hyperparameters.hex },
        { api: "NeuronInfoRuntimeApi", method: "get_neurons_lite", hex: g.neurons_lite_vec.hex },
        // One trailing byte: the oracle decodes strictly, so it must refuse (proves the check is live).
        { api: "NeuronInfoRuntimeApi", method: "get_neurons_lite", hex: `${g.neurons_lite_vec.hex}00` },
      ],
      storage: [...g.axon_info.map((a) => ({ item: "Axons", hex: a.hex })), { item: "Uids", hex: "0900" }],
    });
  });

  it("uses the pinned SDK stack", () => {
    expect(out.versions).toEqual({ bittensor: "10.5.0", "async-substrate-interface": "2.2.1", cyscale: "0.5.0" });
    expect(out.runtime_api[3]!.error).toBeDefined();
  });

  it("selective metagraph (neuron indexes): every field we read", () => {
    const m = decodeSelectiveMetagraph(ours, hexToU8a(`0x${g.selective_metagraph.hex}`), 0);
    const sdk = out.runtime_api[0]!.sdk as Json;
    expect(m.netuid).toBe(sdk.netuid);
    expect(m.block).toBe(sdk.block);
    expect(m.hotkeys).toEqual(sdk.hotkeys);
    expect(m.coldkeys).toEqual(sdk.coldkeys);
    expect(m.active).toEqual(sdk.active);
    expect(m.validatorPermits).toEqual(sdk.validator_permit);
    expect(m.lastUpdate).toEqual(sdk.last_update);
    expect(m.stakesRao.map(String)).toEqual(sdk.total_stake.map((b: Json) => b.rao));
    expect(m.emissions.map((e) => Math.round(e * 1e9).toString())).toEqual(sdk.emission.map((b: Json) => b.rao));
    m.incentives.forEach((x, i) => expect(x).toBeCloseTo(sdk.incentives[i], 12));
    m.dividends.forEach((x, i) => expect(x).toBeCloseTo(sdk.dividends[i], 12));
    const axons = out.runtime_api[0]!.sdk_axons as Json[];
    expect(m.axons.map((a) => [a.ip, a.port, a.version, a.ipType, a.protocol])).toEqual(axons.map((a) => [a.ip, a.port, a.version, a.ip_type, a.protocol]));
    expect(m.axons.map((a) => a.block)).toEqual((sdk.axons as Json[]).map((a) => a.block));
  });

  it("selective metagraph (hyperparameter indexes)", () => {
    const h = decodeHyperparameters(ours, hexToU8a(`0x${g.selective_hyperparameters.hex}`), 0n);
    const raw = out.runtime_api[1]!.raw as Json;
    const sdk = out.runtime_api[1]!.sdk as Json;
    expect(h).toMatchObject({
      netuid: sdk.netuid,
      tempo: sdk.tempo,
      minAllowedWeights: raw.min_allowed_weights,
      maxWeightsLimit: raw.max_weights_limit,
      weightsVersionKey: sdk.weights_version,
      weightsRateLimit: sdk.weights_rate_limit,
      maxAllowedValidators: sdk.max_validators,
      subnetworkN: sdk.num_uids,
      maxAllowedUids: sdk.max_uids,
      immunityPeriod: sdk.immunity_period,
      servingRateLimit: sdk.serving_rate_limit,
      commitRevealEnabled: sdk.commit_reveal_weights_enabled,
      revealPeriodEpochs: sdk.commit_reveal_period,
      registrationAllowed: sdk.registration_allowed,
    });
    expect(h.burn.toString()).toBe(sdk.burn.rao);
    // The SDK's normalised views of the same two u16 values.
    expect(h.maxWeightsLimit / 65535).toBeCloseTo(sdk.max_weights_limit, 12);
  });

  it("neurons-lite", () => {
    const m = decodeNeuronsLite(ours, hexToU8a(`0x${g.neurons_lite_vec.hex}`), g.neurons_lite_vec.netuid, 1);
    const sdk = out.runtime_api[2]!.sdk as Json[];
    expect(m.n).toBe(sdk.length);
    sdk.forEach((n, i) => {
      expect(n.uid).toBe(m.uids[i]);
      expect(n.netuid).toBe(m.netuid);
      expect(m.hotkeys[i]).toBe(n.hotkey);
      expect(m.coldkeys[i]).toBe(n.coldkey);
      expect(m.active[i]).toBe(n.active);
      expect(m.validatorPermits[i]).toBe(n.validator_permit);
      expect(m.lastUpdate[i]).toBe(n.last_update);
      expect(m.stakesRao[i]!.toString()).toBe(n.total_stake.rao);
      expect(m.emissions[i]).toBeCloseTo(n.emission, 9);
      expect(m.incentives[i]).toBeCloseTo(n.incentive, 12);
      expect(m.dividends[i]).toBeCloseTo(n.dividends, 12);
      const a = m.axons[i]!;
      expect([a.ip, a.port, a.version, a.ipType, a.protocol]).toEqual([n.axon_info.ip, n.axon_info.port, n.axon_info.version, n.axon_info.ip_type, n.axon_info.protocol]);
    });
  });

  it("Axons and Uids storage values", () => {
    g.axon_info.forEach((a, i) => {
      const mine = decodeAxon(ours.createType("AxonInfo", hexToU8a(`0x${a.hex}`)).toJSON());
      const sdk = out.storage[i]!.sdk as Json;
      const raw = out.storage[i]!.raw as Json;
      expect([mine.ip, mine.port, mine.version, mine.ipType, mine.protocol, mine.block]).toEqual([sdk.ip, sdk.port, sdk.version, sdk.ip_type, sdk.protocol, raw.block]);
    });
    expect(ours.createType("u16", hexToU8a("0x0900")).toNumber()).toBe(out.storage[g.axon_info.length]!.raw);
  });
});

describe("writes: storage keys and call data equal the SDK's", () => {
  let registry: TypeRegistry;
  let section: CallSection<Call>;
  beforeAll(async () => {
    await cryptoWaitReady();
    registry = new TypeRegistry();
    const metadata = new Metadata(registry, gunzipSync(readFileSync(METADATA)));
    registry.setMetadata(metadata);
    section = (expandMetadata(registry, metadata).tx as unknown as Record<string, CallSection<Call>>).subtensorModule!;
  });

  it("storage keys we read", () => {
    const out = oracle({
      keys: [
        { item: "Uids", params: [47, HOTKEY] },
        { item: "Axons", params: [47, HOTKEY] },
        { item: "Tempo", params: [47] },
        { item: "BlocksSinceLastStep", params: [47] },
        { item: "RevealPeriodEpochs", params: [47] },
        { item: "StakeThreshold", params: [] },
        { item: "CommitRevealWeightsVersion", params: [] },
      ],
    });
    expect([
      hotkeyMapStorageKey(ours, "Uids", 47, HOTKEY),
      hotkeyMapStorageKey(ours, "Axons", 47, HOTKEY),
      netuidMapStorageKey(ours, "Tempo", 47, "Identity"),
      netuidMapStorageKey(ours, "BlocksSinceLastStep", 47, "Identity"),
      netuidMapStorageKey(ours, "RevealPeriodEpochs", 47, "Twox64Concat"),
      plainStorageKey("StakeThreshold"),
      plainStorageKey("CommitRevealWeightsVersion"),
    ]).toEqual(out.keys);
  });

  it("every call we send, including a real timelocked commit", async () => {
    const a = (name: string) => g.calls[name]!.args as Json;
    const sw = a("set_weights");
    const smw = a("set_mechanism_weights");
    const rw = a("reveal_weights");
    const rmw = a("reveal_mechanism_weights");
    const sa = a("serve_axon");
    const commit = await timelockEncrypt(encodeTimelockPayload({ hotkey: HOTKEY, uids: [0, 1], values: [65535, 1], versionKey: 40100 }), 26_000_123);
    const legacy = { setWeights: section.setWeights, commitWeights: section.commitWeights, revealWeights: section.revealWeights, commitTimelockedWeights: section.commitTimelockedWeights };
    const cases: Array<[string, Json, Call]> = [
      ["set_mechanism_weights", smw, setWeightsCall(section, { netuid: smw.netuid, mecid: smw.mecid, uids: smw.dests, values: smw.weights, versionKey: smw.version_key })],
      ["set_weights", sw, setWeightsCall(legacy, { netuid: sw.netuid, mecid: 0, uids: sw.dests, values: sw.weights, versionKey: sw.version_key })],
      ["commit_weights", a("commit_weights"), commitWeightsCall(section, { netuid: 47, mecid: 0, hash: a("commit_weights").commit_hash })],
      ["commit_mechanism_weights", a("commit_mechanism_weights"), commitWeightsCall(section, { netuid: 47, mecid: 1, hash: a("commit_mechanism_weights").commit_hash })],
      ["reveal_weights", rw, revealWeightsCall(section, { netuid: rw.netuid, mecid: 0, uids: rw.uids, values: rw.values, salt: rw.salt, versionKey: rw.version_key })],
      ["reveal_mechanism_weights", rmw, revealWeightsCall(section, { netuid: rmw.netuid, mecid: rmw.mecid, uids: rmw.uids, values: rmw.values, salt: rmw.salt, versionKey: BigInt(rmw.version_key) })],
      [
        "serve_axon",
        { ...sa, ip: Number(ipToInt(sa.ip).value), ip_type: 4, placeholder1: 0, placeholder2: 0 },
        serveAxonCall(section, { netuid: sa.netuid, ip: sa.ip, port: sa.port, version: sa.version, protocol: sa.protocol }),
      ],
      ["burned_register", a("burned_register"), burnedRegisterCall(section, { netuid: 47, hotkey: a("burned_register").hotkey })],
      [
        "commit_timelocked_mechanism_weights",
        { netuid: 47, mecid: 0, commit: u8aToHex(commit), reveal_round: "26000123", commit_reveal_version: 4 },
        commitTimelockedCall(section, { netuid: 47, mecid: 0, commit, revealRound: 26_000_123, commitRevealVersion: 4 }),
      ],
      [
        "commit_timelocked_weights",
        { netuid: 47, commit: u8aToHex(commit), reveal_round: "26000123", commit_reveal_version: 4 },
        commitTimelockedCall(legacy, { netuid: 47, mecid: 0, commit, revealRound: 26_000_123, commitRevealVersion: 4 }),
      ],
    ];
    const out = oracle({
      calls: cases.map(([fn, args]) => ({
        function: fn,
        args: Object.fromEntries(Object.entries(args).map(([k, v]) => [k, k === "version_key" ? String(v) : v])),
      })),
    });
    cases.forEach(([fn, , call], i) => {
      expect(call.toHex(), fn).toBe(out.calls[i]);
    });
    // The timelocked call carries the whole 295-byte ciphertext behind a compact length.
    expect((out.calls[8] as string).length).toBeGreaterThan(2 * 295);
  });
});
