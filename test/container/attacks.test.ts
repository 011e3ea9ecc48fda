// Hostile containers from the outside review (issue 9): each case is what a miner could hand a
// validator. Both readers must give the code the spec's "One rule each" section names; Python runs the
// whole table in one process through container_peer.py.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeAddress, decodeAddress } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_CONTAINER_LIMITS,
  isContainerError,
  parseContainerHeader,
  readContainerHeader,
  resolveLimits,
  signContainer,
  type ContainerLimits,
} from "../../ts/container/index.js";
import { GOLDEN, devKeys, goldenModel, manifest, pythonCodes } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "container-attack-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = readFileSync(path.join(GOLDEN, "kv_bf16.safetensors"));
const BASE_N = Number(BASE.readBigUInt64LE(0));
const BASE_TEXT = BASE.subarray(8, 8 + BASE_N).toString("utf8").trimEnd();
const ALICE = manifest.signer.address;

/** A file with `header` (bytes or text) as its JSON header, padded to 8 with spaces, and `data` after it. */
function build(header: string | Buffer, data: Buffer = BASE.subarray(8 + BASE_N)): Buffer {
  let h = typeof header === "string" ? Buffer.from(header, "utf8") : header;
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([prefix, h, data]);
}

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "_")}.safetensors`);
  writeFileSync(file, bytes);
  return file;
}

async function tsCode(file: string, expectHotkey = false): Promise<string> {
  try {
    await readContainerHeader(file, {
      model: goldenModel,
      expect: { contextSha256: manifest.context_sha256, ...(expectHotkey ? { minerHotkey: ALICE } : {}) },
    });
    return "ok";
  } catch (err) {
    if (isContainerError(err)) return err.code;
    return `TS_ESCAPE:${(err as Error).name}`;
  }
}

const params = (p: string) => (t: string) => t.replace('"params":"{\\"ratio\\":0.5,\\"seed\\":0}"', `"params":${JSON.stringify(p)}`);
const nest = (depth: number, inner = "1") => "[".repeat(depth) + inner + "]".repeat(depth);
const astral = "\u{1F600}"; // one code point, two UTF-16 units
const alicePrefix0 = encodeAddress(decodeAddress(ALICE), 0);

// [what, edit of the header text (or raw header bytes), code both readers give]
const RULES: Array<[string, (t: string) => string | Buffer, string]> = [
  ["unchanged", (t) => t, "ok"],
  ["a UTF-8 byte-order mark before '{'", (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)]), "BAD_HEADER"],
  ["an offset written 0.0", (t) => t.replace('"data_offsets":[0,', '"data_offsets":[0.0,'), "BAD_HEADER"],
  ["an offset written 4.8e1", (t) => t.replace('"data_offsets":[0,48]', '"data_offsets":[0,4.8e1]'), "BAD_HEADER"],
  ["a float where metadata wants a string", (t) => t.replace('"kept_tokens":"3"', '"kept_tokens":3.0'), "BAD_HEADER"],
  ["an integer where metadata wants a string", (t) => t.replace('"kept_tokens":"3"', '"kept_tokens":3'), "BAD_METADATA"],
  ["a 5000-digit integer", (t) => t.replace('"kept_tokens":"3"', `"kept_tokens":${"9".repeat(5000)}`), "BAD_HEADER"],
  ["a shape entry of 2^53", (t) => t.replace('"shape":[1,2,3,4]', '"shape":[1,2,3,9007199254740992]'), "BAD_HEADER"],
  ["NaN in a shape", (t) => t.replace('"shape":[1,2,3,4]', '"shape":[1,2,NaN,4]'), "BAD_HEADER"],
  ["a duplicated metadata key", (t) => t.replace('"kind":"kv"', '"kind":"kv","kind":"kv"'), "BAD_HEADER"],
  ["a duplicated tensor", (t) => t.replace(/("key_0":\{[^}]*\})/, "$1,$1"), "BAD_HEADER"],
  ["a duplicated tensor field", (t) => t.replace('"dtype":"BF16"', '"dtype":"BF16","dtype":"BF16"'), "BAD_HEADER"],
  ["a duplicate key spelled with an escape", (t) => t.replace('"kind":"kv"', '"kind":"kv","\\u006bind":"kv"'), "BAD_HEADER"],
  ["the header nested 100,000 deep", (t) => t.replace(/}\s*$/, `,"x":${nest(100_000)}}`), "BAD_HEADER"],
  ["the header nested 33 deep", (t) => t.replace(/}\s*$/, `,"x":${nest(32)}}`), "BAD_HEADER"],
  ["a junk tensor nested 32 deep", (t) => t.replace(/}\s*$/, `,"x":${nest(31)}}`), "BAD_HEADER"],
  ["a lone high surrogate in target_model", (t) => t.replace("condense/golden-tiny", "condense/golden-tiny\\ud800"), "BAD_HEADER"],
  ["a lone low surrogate in a key", (t) => t.replace('"kind":"kv"', '"kind":"kv","\\udc00":"x"'), "BAD_HEADER"],
  ["a surrogate pair in target_model", (t) => t.replace("condense/golden-tiny", "condense/golden-tiny\\ud83d\\ude00"), "ok"],
  ["a replacement character in target_model", (t) => t.replace("condense/golden-tiny", "condense/golden-tiny\\ufffd"), "ok"],
  ["target_model of 256 astral code points", (t) => t.replace("condense/golden-tiny", astral.repeat(256)), "ok"],
  ["target_model of 257 code points", (t) => t.replace("condense/golden-tiny", "m".repeat(257)), "BAD_METADATA"],
  ["params of 4096 code points, astral", params(`{"n":"${astral.repeat(4096 - 8)}"}`), "ok"],
  ["params of 4097 code points", params(`{"n":"${"x".repeat(4097 - 8)}"}`), "BAD_METADATA"],
  ["NaN inside params", params('{"a":NaN}'), "BAD_METADATA"],
  ["Infinity inside params", params('{"a":-Infinity}'), "BAD_METADATA"],
  ["1e400 inside params", params('{"a":1e400}'), "BAD_METADATA"],
  ["a 400-digit integer inside params", params(`{"a":${"9".repeat(400)}}`), "BAD_METADATA"],
  ["a float inside params", params('{"a":0.75,"b":-1.5e-3,"c":12}'), "ok"],
  ["a duplicate key inside params", params('{"a":1,"a":2}'), "BAD_METADATA"],
  ["params nested 2,000 deep", params(`{"a":${nest(1999)}}`), "BAD_METADATA"],
  ["params nested 33 deep", params(`{"a":${nest(32)}}`), "BAD_METADATA"],
  ["params nested 32 deep", params(`{"a":${nest(31)}}`), "ok"],
  ["a lone surrogate inside params", params('{"a":"\\ud800"}'), "BAD_METADATA"],
  ["a BOM inside params", params('\ufeff{"a":1}'), "BAD_METADATA"],
  ["an ss58 hotkey with a bad checksum", (t) => t.replace(ALICE, ALICE.slice(0, -1) + (ALICE.endsWith("Y") ? "Z" : "Y")), "BAD_METADATA"],
  ["a hex public key as hotkey", (t) => t.replace(ALICE, `0x${Buffer.from(decodeAddress(ALICE)).toString("hex")}`), "BAD_METADATA"],
  ["the hotkey in another ss58 prefix", (t) => t.replace(ALICE, alicePrefix0), "ok"],
  ["a 250,000-character hotkey", (t) => t.replace(ALICE, "5".repeat(250_000)), "BAD_METADATA"],
  ["an escaped signature key", (t) => t.replace('"signature":"', '"sign\\u0061ture":"'), "BAD_METADATA"],
  ["a raw DEL in target_model", (t) => t.replace("condense/golden-tiny", "condense/golden\u007ftiny"), "BAD_METADATA"],
  ["a tensor dtype named after an Object.prototype member", (t) => t.replace('"dtype":"BF16"', '"dtype":"toString"'), "BAD_DTYPE"],
  ["a tensor named __proto__", (t) => t.replace('"value_1":', '"__proto__":'), "BAD_TENSOR_SET"],
  ["a metadata key named __proto__", (t) => t.replace('"kind":"kv"', '"kind":"kv","__proto__":"x"'), "BAD_METADATA"],
  ["tabs and newlines after the object", (t) => `${t}\t\n\r `, "ok"],
  ["bytes after the object", (t) => `${t}x`, "BAD_HEADER"],
];

describe("one rule each: both readers give the same code", () => {
  it("every case, TypeScript and Python", async () => {
    const files = RULES.map(([what, edit]) => write(what, build(edit(BASE_TEXT))));
    const ts = await Promise.all(files.map((f) => tsCode(f)));
    const py = await pythonCodes(files, { context_sha256: manifest.context_sha256 }, dir);
    const got = RULES.map(([what], i) => `${what}: ts=${ts[i]} py=${py[i]}`);
    const want = RULES.map(([what, , code]) => `${what}: ts=${code} py=${code}`);
    expect(got).toEqual(want);
  }, 120_000);
});

describe("signatures are byte-exact", () => {
  it("a container signed over U+FFFD does not verify as (or even parse with) a lone surrogate", async () => {
    const { alice } = await devKeys();
    const file = write("fffd", build(BASE_TEXT.replace("condense/golden-tiny", "condense/golden-tiny\\ufffd")));
    await signContainer(file, alice);
    expect(await tsCode(file, true)).toBe("ok");
    const signed = readFileSync(file);
    const n = Number(signed.readBigUInt64LE(0));
    const text = signed.subarray(8, 8 + n).toString("utf8");
    expect(text).toContain("\\ufffd");
    const swapped = write("lone", build(text.replace("\\ufffd", "\\ud800").trimEnd(), signed.subarray(8 + n)));
    expect(await tsCode(swapped, true)).toBe("BAD_HEADER");
    expect(await pythonCodes([swapped], { context_sha256: manifest.context_sha256, miner_hotkey: ALICE }, dir)).toEqual(["BAD_HEADER"]);
  });
});

describe("resolveLimits: only explicit, valid values change a bound", () => {
  const keys = ["maxHeaderBytes", "maxTensors", "maxFileBytes", "minKeptTokens", "maxKeptTokens", "allowedDtypes", "allowedKinds"] as const;

  it("an undefined option keeps the default bound", () => {
    for (const k of keys) expect(resolveLimits({ [k]: undefined } as Partial<ContainerLimits>)[k]).toEqual(DEFAULT_CONTAINER_LIMITS[k]);
  });

  it("a validator whose tier config lacks a field still refuses what the default refuses", async () => {
    const cfg: Record<string, number | undefined> = {}; // e.g. a tier table entry missing its file cap
    const limits = { maxFileBytes: cfg.maxFileBytes, maxHeaderBytes: cfg.maxHeaderBytes, maxKeptTokens: cfg.maxKeptTokens };
    const err = await parseContainerHeader(BASE, 2 ** 31, { limits }).then(() => null, (e: unknown) => e);
    expect(isContainerError(err, "FILE_TOO_LARGE")).toBe(true);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1n << 40n);
    const err2 = await parseContainerHeader(huge, 1 << 20, { limits }).then(() => null, (e: unknown) => e);
    expect(isContainerError(err2, "HEADER_TOO_LARGE")).toBe(true);
  });

  it("an explicit invalid value is the caller's error, not the container's", () => {
    for (const bad of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, "64", null]) {
      expect(() => resolveLimits({ maxKeptTokens: bad as number })).toThrow(RangeError);
    }
    expect(() => resolveLimits({ allowedDtypes: ["f64"] as never })).toThrow(RangeError);
    expect(() => resolveLimits({ allowedKinds: "kv" as never })).toThrow(RangeError);
    expect(() => resolveLimits({ minKeptTokens: 10, maxKeptTokens: 5 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxKeptToken: 5 } as never)).toThrow(RangeError);
    expect(resolveLimits({ maxKeptTokens: 1536, minKeptTokens: 128 })).toMatchObject({ maxKeptTokens: 1536, minKeptTokens: 128 });
  });
});
