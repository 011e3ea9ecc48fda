// Every extrinsic we send, built from (hand-built) subtensor metadata, signed with subtensor's extension
// layout, encoded and decoded back; the extension guard; module errors decoded to names.
import { beforeAll, describe, expect, it } from "vitest";
import { TypeRegistry, expandMetadata } from "@polkadot/types";
import type { Call, DispatchError, Extrinsic } from "@polkadot/types/interfaces";
import { Keyring } from "@polkadot/keyring";
import { compactToU8a, u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a, cryptoWaitReady, signatureVerify } from "@polkadot/util-crypto";
import {
  burnedRegisterCall,
  commitWeightsCall,
  revealWeightsCall,
  serveAxonCall,
  setWeightsCall,
  type CallSection,
} from "../../ts/chain/calls.js";
import { SUBTENSOR_EXTENSION_ORDER, SUBTENSOR_SIGNED_EXTENSIONS } from "../../ts/chain/scale.js";
import { inspectExtensions, signingRefusal } from "../../ts/chain/extensions.js";
import { dispatchErrorToChainError } from "../../ts/chain/dispatch-error.js";
import { ChainError, PALLET_ERRORS } from "../../ts/chain/errors.js";
import { buildMetadata, defaultExtensions, FIXTURE_TYPE_IDS as T } from "./fixtures/metadata.js";
import { loadGolden } from "./golden.js";

/** Union of the argument fields in chain_scale.json's calls (each call uses a subset). */
interface GoldenArgs {
  netuid: number;
  mecid: number;
  dests: number[];
  weights: number[];
  uids: number[];
  values: number[];
  salt: number[];
  version_key: number;
  ip: string;
  port: number;
  version: number;
  protocol: number;
  hotkey: string;
  commit_hash: string;
}
type Golden = { calls: Record<string, { hex: string; args: Record<string, unknown> }> };
const golden = loadGolden<Golden>("chain_scale");

function subtensorRegistry(withOurExtensions = true) {
  const registry = new TypeRegistry();
  const metadata = buildMetadata(registry);
  registry.setMetadata(metadata, undefined, withOurExtensions ? SUBTENSOR_SIGNED_EXTENSIONS : undefined, true);
  const section = (expandMetadata(registry, metadata).tx as unknown as Record<string, CallSection<Call>>).subtensorModule!;
  return { registry, metadata, section };
}

let pair: ReturnType<Keyring["addFromUri"]>;
beforeAll(async () => {
  await cryptoWaitReady();
  pair = new Keyring({ type: "sr25519", ss58Format: 42 }).addFromUri("//Alice");
});

function builtCalls(section: CallSection<Call>): Record<string, Call> {
  const a = (name: string) => golden.calls[name]!.args as unknown as GoldenArgs;
  const sw = a("set_weights");
  const smw = a("set_mechanism_weights");
  const rw = a("reveal_weights");
  const rmw = a("reveal_mechanism_weights");
  const sa = a("serve_axon");
  return {
    set_weights: setWeightsCall({ ...section, setMechanismWeights: undefined }, { netuid: sw.netuid, mecid: 0, uids: sw.dests, values: sw.weights, versionKey: sw.version_key }),
    set_mechanism_weights: setWeightsCall(section, { netuid: smw.netuid, mecid: smw.mecid, uids: smw.dests, values: smw.weights, versionKey: smw.version_key }),
    serve_axon: serveAxonCall(section, { netuid: sa.netuid, ip: sa.ip, port: sa.port, version: sa.version, protocol: sa.protocol }),
    burned_register: burnedRegisterCall(section, a("burned_register")),
    commit_weights: commitWeightsCall(section, { netuid: 47, mecid: 0, hash: a("commit_weights").commit_hash }),
    commit_mechanism_weights: commitWeightsCall(section, { netuid: 47, mecid: 1, hash: a("commit_mechanism_weights").commit_hash }),
    reveal_weights: revealWeightsCall(section, { netuid: rw.netuid, mecid: 0, uids: rw.uids, values: rw.values, salt: rw.salt, versionKey: rw.version_key }),
    reveal_mechanism_weights: revealWeightsCall(section, {
      netuid: rmw.netuid,
      mecid: rmw.mecid,
      uids: rmw.uids,
      values: rmw.values,
      salt: rmw.salt,
      versionKey: BigInt(rmw.version_key),
    }),
  };
}

describe("calls we send match the golden SCALE bytes (chain_scale.py)", () => {
  it("covers every call in the golden file", () => {
    const { section } = subtensorRegistry();
    expect(Object.keys(builtCalls(section)).sort()).toEqual(Object.keys(golden.calls).sort());
  });
  for (const name of Object.keys(golden.calls)) {
    it(name, () => {
      const { section } = subtensorRegistry();
      expect(builtCalls(section)[name]!.toHex()).toBe(`0x${golden.calls[name]!.hex}`);
    });
  }
  it("rejects bad arguments before encoding", () => {
    const { section } = subtensorRegistry();
    expect(() => serveAxonCall(section, { netuid: 1, ip: "300.1.1.1", port: 1, version: 0, protocol: 4 })).toThrow(/InvalidIpAddress/);
    expect(() => serveAxonCall(section, { netuid: 1, ip: "1.2.3.4", port: 0, version: 0, protocol: 4 })).toThrow(/InvalidPort/);
    expect(() => burnedRegisterCall(section, { netuid: 1, hotkey: "not-an-address" })).toThrow(/InvalidAddress/);
    expect(() => commitWeightsCall(section, { netuid: 1, mecid: 0, hash: "0x1234" })).toThrow(/InvalidCommitHash/);
    expect(() => setWeightsCall(section, { netuid: 1, mecid: 0, uids: [1], values: [70000], versionKey: 0 })).toThrow(/InvalidU16/);
    expect(() => setWeightsCall({}, { netuid: 1, mecid: 0, uids: [1], values: [1], versionKey: 0 })).toThrow(/CallNotInRuntime/);
  });
});

describe("signed extrinsics with subtensor's extension layout", () => {
  const opts = (registry: TypeRegistry) => ({
    blockHash: `0x${"11".repeat(32)}`,
    genesisHash: `0x${"22".repeat(32)}`,
    nonce: 5,
    tip: 1234,
    era: registry.createType("ExtrinsicEra", { current: 1000, period: 128 }),
    runtimeVersion: { specVersion: 425, transactionVersion: 1 } as never,
    signedExtensions: registry.signedExtensions,
    mode: 0,
  });

  it("registers subtensor's extension list in metadata order", () => {
    const { registry } = subtensorRegistry();
    expect(registry.signedExtensions).toEqual(SUBTENSOR_EXTENSION_ORDER);
  });

  for (const name of Object.keys(golden.calls)) {
    it(`${name}: sign, encode, decode, verify`, () => {
      const { registry, section } = subtensorRegistry();
      const call = builtCalls(section)[name]!;
      const ext = registry.createType<Extrinsic>("Extrinsic", call);
      ext.sign(pair, opts(registry));
      const hex = ext.toHex();
      const back = registry.createType<Extrinsic>("Extrinsic", hex);
      expect(back.isSigned).toBe(true);
      expect(back.signer.toString()).toBe(pair.address);
      expect(back.nonce.toNumber()).toBe(5);
      expect(back.tip.toNumber()).toBe(1234);
      expect(back.method.toHex()).toBe(call.toHex());
      expect(back.method.section).toBe("subtensorModule");
      // The signed payload: call, era, nonce, tip, mode, then spec, tx version, genesis, block hash, metadata hash.
      const payload = registry.createType("ExtrinsicPayload", {
        ...opts(registry),
        method: call.toHex(),
        specVersion: 425,
        transactionVersion: 1,
        era: back.era,
      });
      // Payloads over 256 bytes are signed as their blake2-256 hash (Substrate rule).
      const raw = payload.toU8a({ method: true });
      const signed = raw.length > 256 ? blake2AsU8a(raw, 256) : raw;
      const verified = signatureVerify(signed, back.signature.toU8a(), pair.address);
      expect(verified.isValid).toBe(true);
    });
  }

  it("puts the wrapper's compact tip on the wire; without our registration it would be missing", () => {
    const ours = subtensorRegistry(true);
    const plain = subtensorRegistry(false);
    const build = (r: ReturnType<typeof subtensorRegistry>) => {
      const call = builtCalls(r.section).set_mechanism_weights!;
      const ext = r.registry.createType<Extrinsic>("Extrinsic", call);
      ext.sign(pair, opts(r.registry));
      return { ext, call };
    };
    const { ext, call } = build(ours);
    // Body after the 1-byte version and the signature block (address 33 + MultiSignature 65):
    const era = ours.registry.createType("ExtrinsicEra", { current: 1000, period: 128 }).toU8a();
    const expectedTail = u8aConcat(era, compactToU8a(5), compactToU8a(1234), new Uint8Array([0]), call.toU8a());
    const body = ext.toU8a(true);
    expect(u8aToHex(body.slice(1 + 33 + 65))).toBe(u8aToHex(expectedTail));
    const { ext: plainExt } = build(plain);
    expect(plainExt.toU8a(true).length).toBe(body.length - compactToU8a(1234).length);
  });
});

describe("extension guard (refuse to sign on unknown non-empty extensions)", () => {
  it("accepts subtensor's current list", () => {
    const { metadata } = subtensorRegistry();
    const report = inspectExtensions(metadata);
    expect(report).toMatchObject({ unknownNonEmpty: [], unknownEmpty: [], mismatched: [] });
    expect(report.identifiers).toEqual(SUBTENSOR_EXTENSION_ORDER);
    expect(signingRefusal(report)).toBeNull();
  });

  it("refuses an unknown extension that encodes bytes, tolerates an empty one", () => {
    const registry = new TypeRegistry();
    const exts = [
      ...defaultExtensions(),
      { identifier: "FutureFeeExtension", type: T.NonEmptyUnknown, additionalSigned: T.Unit },
      { identifier: "FutureMarker", type: T.EmptyExt, additionalSigned: T.Unit },
    ];
    const report = inspectExtensions(buildMetadata(registry, { extensions: exts }));
    expect(report.unknownNonEmpty).toEqual(["FutureFeeExtension"]);
    expect(report.unknownEmpty).toEqual(["FutureMarker"]);
    expect(signingRefusal(report)).toMatch(/FutureFeeExtension/);
  });

  it("refuses when a subtensor extension's type changed shape", () => {
    const registry = new TypeRegistry();
    const exts = defaultExtensions().map((e) =>
      e.identifier === "DrandPriority" ? { ...e, type: T.NonEmptyUnknown } : e.identifier === "ChargeTransactionPaymentWrapper" ? { ...e, type: T.Unit } : e,
    );
    const report = inspectExtensions(buildMetadata(registry, { extensions: exts }));
    expect(report.mismatched.sort()).toEqual(["ChargeTransactionPaymentWrapper", "DrandPriority"]);
    expect(signingRefusal(report)).toMatch(/changed/);
  });
});

describe("dispatch errors decode to pallet error names", () => {
  it("maps Module { index: 7, error } to the SubtensorModule error name", () => {
    const { registry } = subtensorRegistry();
    for (const name of ["SettingWeightsTooFast", "IncorrectWeightVersionKey", "ServingRateLimitExceeded"] as const) {
      const idx = PALLET_ERRORS.indexOf(name);
      const err = registry.createType<DispatchError>("DispatchError", {
        Module: { index: 7, error: u8aToHex(new Uint8Array([idx, 0, 0, 0])) },
      });
      const ce = dispatchErrorToChainError(registry, err);
      expect(ce).toBeInstanceOf(ChainError);
      expect(ce).toMatchObject({ kind: "module", code: name });
      expect(ce.message).toContain(`doc of ${name}`);
    }
  });
  it("keeps unknown module errors and non-module errors typed", () => {
    const { registry } = subtensorRegistry();
    const unknown = registry.createType<DispatchError>("DispatchError", { Module: { index: 9, error: "0x01000000" } });
    expect(dispatchErrorToChainError(registry, unknown).code).toBe("UnknownModuleError");
    const bad = registry.createType<DispatchError>("DispatchError", "BadOrigin");
    expect(dispatchErrorToChainError(registry, bad).code).toBe("BadOrigin");
  });
});
