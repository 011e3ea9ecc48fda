// Every way the TypeScript reader refuses a header costs time linear in the header's size, and no
// decoder or hash ever sees an unchecked length (issue 9: a 250,000-character miner_hotkey went to the
// ss58 decoder before any length check and held the event loop for 146 s).
//
// Two checks: (1) instrumentation: the decoders and hashes the reader reaches are wrapped and record
// the size of every input, which must stay within the field bounds for headers of 240 KB; (2) CPU time
// of each reject path at 30 KB and 240 KB (8x) must grow by at most 32x (linear: 8x; the quadratic
// decode: 64x), best of several runs, with a floor so sub-millisecond noise cannot fail it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";

const calls: Array<{ op: string; n: number }> = [];
const LIMIT = 16 * 1024; // above any bounded field (params: 4096 code points), far below a header

vi.mock("@polkadot/util-crypto", async (importOriginal) => {
  const m = await importOriginal<typeof import("@polkadot/util-crypto")>();
  const guard = <F extends (...a: never[]) => unknown>(op: string, f: F) =>
    ((...args: Parameters<F>) => {
      const n = String(args[0]).length;
      calls.push({ op, n });
      if (n > LIMIT) throw new Error(`${op} given ${n} characters`); // recorded; do not spend minutes on it
      return f(...args);
    }) as F;
  return { ...m, decodeAddress: guard("decodeAddress", m.decodeAddress), base58Decode: guard("base58Decode", m.base58Decode) };
});
vi.mock("@polkadot/wasm-crypto", async (importOriginal) => {
  const m = await importOriginal<typeof import("@polkadot/wasm-crypto")>();
  return {
    ...m,
    sr25519Verify: (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) => {
      calls.push({ op: "sr25519Verify", n: msg.length });
      return m.sr25519Verify(sig, msg, pub);
    },
  };
});
vi.mock("node:crypto", async (importOriginal) => {
  const m = await importOriginal<typeof import("node:crypto")>();
  const createHash = (alg: string) => {
    const h = m.createHash(alg);
    const update = h.update.bind(h);
    const entry = { op: `hash:${alg}`, n: 0 };
    calls.push(entry);
    h.update = ((data: string | Uint8Array, enc?: BufferEncoding) => {
      entry.n += typeof data === "string" ? Buffer.byteLength(data, enc) : data.length;
      return enc ? update(data as string, enc) : update(data);
    }) as typeof h.update;
    return h;
  };
  return { ...m, createHash, default: { ...m, createHash } };
});
vi.mock("../../ts/container/json.js", async (importOriginal) => {
  const m = await importOriginal<typeof import("../../ts/container/json.js")>();
  return {
    ...m,
    parseStrictJson: (text: string, mode: "header" | "params") => {
      calls.push({ op: `json:${mode}`, n: text.length });
      return m.parseStrictJson(text, mode);
    },
  };
});

const { isContainerError, parseContainerHeader } = await import("../../ts/container/index.js");
const { GOLDEN, goldenModel, manifest } = await import("./helpers.js");

const BASE = readFileSync(path.join(GOLDEN, "kv_bf16_signed.safetensors"));
const N = Number(BASE.readBigUInt64LE(0));
const TEXT = BASE.subarray(8, 8 + N).toString("utf8").trimEnd();
const DATA = BASE.subarray(8 + N);
const ALICE = manifest.signer.address;
const SIGNATURE = /"signature":"([0-9a-f]{128})"/.exec(TEXT)?.[1] as string;

type Build = (size: number) => { head: Buffer; fileBytes?: number; expectHotkey?: boolean };

/** A file whose header is `text` padded with trailing spaces to `size` bytes. */
function file(text: string | Buffer, size: number, data = DATA): Buffer {
  const h = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const pad = Buffer.alloc(Math.max(0, size - h.length), 0x20);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length + pad.length));
  return Buffer.concat([prefix, h, pad, data]);
}
/** The header with one metadata value replaced by `fill(room)`, room being what the size leaves. */
const meta = (key: string, fill: (room: number) => string): Build => (size) => {
  const re = new RegExp(`"${key}":"(?:[^"\\\\]|\\\\.)*"`);
  const room = size - TEXT.length - 16;
  return { head: file(TEXT.replace(re, () => `"${key}":${JSON.stringify(fill(room))}`), size) };
};
const append = (fill: (room: number) => string): Build => (size) => ({
  head: file(TEXT.replace(/}$/, () => `,${fill(size - TEXT.length - 16)}}`), size),
});
const padded = (edit: (t: string) => string, expectHotkey = false): Build => (size) => ({ head: file(edit(TEXT), size), expectHotkey });
const rep = (s: string, room: number) => s.repeat(Math.max(1, Math.floor(room / s.length)));

// [reject code, what, build]: every code a header can get, each with its bulk where it hurts most
const PATHS: Array<[string, string, Build]> = [
  ["FILE_TOO_LARGE", "file over the cap", (size) => ({ head: file(TEXT, size), fileBytes: 2 ** 31 })],
  ["TRUNCATED", "header longer than the file", (size) => {
    const b = file(TEXT, size);
    return { head: b, fileBytes: b.length - DATA.length - 10 };
  }],
  ["HEADER_TOO_LARGE", "length prefix of 1 TiB", (size) => {
    const b = file(TEXT, size);
    b.writeBigUInt64LE(1n << 40n);
    return { head: b };
  }],
  ["BAD_HEADER", "unterminated giant string", (size) => ({ head: file(TEXT.replace(/}$/, `,"x":"${rep("a", size)}`).slice(0, size), size) })],
  ["BAD_HEADER", "giant string of escapes ending in a lone surrogate", append((r) => `"x":"${rep("\\u0041", r - 12)}\\ud800"`)],
  ["BAD_HEADER", "nesting as deep as the header allows", append((r) => `"x":${"[".repeat(r / 2)}${"]".repeat(r / 2)}`)],
  ["BAD_HEADER", "a giant integer", append((r) => `"x":${rep("9", r)}`)],
  ["BAD_HEADER", "a giant float", append((r) => `"x":1.${rep("5", r)}`)],
  ["BAD_HEADER", "a duplicate key after giant padding", append((r) => `"x":"${rep("p", r - 20)}","x":1`)],
  ["BAD_HEADER", "invalid UTF-8 at the end", (size) => ({ head: file(Buffer.concat([Buffer.from(TEXT), Buffer.alloc(size - TEXT.length - 1, 0x20), Buffer.from([0xff])]), size) })],
  ["BAD_HEADER", "garbage after giant whitespace", (size) => ({ head: file(`${TEXT}${" ".repeat(size - TEXT.length - 1)}x`, size) })],
  ["BAD_METADATA", "giant miner_hotkey", meta("miner_hotkey", (r) => rep("5", r))],
  ["BAD_METADATA", "giant miner_hotkey of valid ss58 characters", meta("miner_hotkey", (r) => rep(ALICE, r))],
  ["BAD_METADATA", "giant target_model", meta("target_model", (r) => rep("m", r))],
  ["BAD_METADATA", "giant astral target_model", meta("target_model", (r) => rep("\u{1F600}", r / 2))],
  ["BAD_METADATA", "giant params", meta("params", (r) => `{"a":"${rep("x", r - 10)}"}`)],
  ["BAD_METADATA", "giant nested params", meta("params", (r) => `{"a":${"[".repeat(r / 4)}${"]".repeat(r / 4)}}`)],
  ["BAD_METADATA", "giant algorithm", meta("algorithm", (r) => rep("k", r))],
  ["BAD_METADATA", "giant original_tokens", meta("original_tokens", (r) => rep("7", r))],
  ["BAD_METADATA", "giant context_sha256", meta("context_sha256", (r) => rep("a", r))],
  ["BAD_METADATA", "giant signature", meta("signature", (r) => rep("a", r))],
  ["BAD_METADATA", "giant dtype", meta("dtype", (r) => rep("b", r))],
  ["BAD_METADATA", "giant kind", meta("kind", (r) => rep("k", r))],
  ["BAD_METADATA", "a control character after giant text", meta("target_model", (r) => `${rep("m", r - 1)}\u0001`)],
  ["BAD_METADATA", "thousands of unknown metadata keys", (size) => {
    const keys = Array.from({ length: Math.floor((size - TEXT.length) / 14) }, (_, i) => `"k${i}":"v"`).join(",");
    return { head: file(TEXT.replace('"__metadata__":{', `"__metadata__":{${keys},`), size) };
  }],
  ["BAD_METADATA", "the signature not written compact, padded", padded((t) => t.replace('"signature":"', '"signature": "'))],
  ["UNSUPPORTED_VERSION", "giant format_version", meta("format_version", (r) => rep("2", r))],
  ["TOO_MANY_TENSORS", "as many tensors as fit", append((r) => Array.from({ length: Math.floor(r / 12) }, (_, i) => `"t${i}":0`).join(","))],
  ["BAD_DTYPE", "giant tensor dtype", (size) => ({ head: file(TEXT.replace('"dtype":"BF16"', `"dtype":"${rep("F", size - TEXT.length - 16)}"`), size) })],
  ["BAD_TENSOR_SET", "giant tensor name", append((r) => `"${rep("n", r - 50)}":{"dtype":"BF16","shape":[0],"data_offsets":[0,0]}`)],
  ["BAD_OFFSETS", "1000 empty tensors and a gap", append(() => Array.from({ length: 1000 }, (_, i) => `"z${i}":{"dtype":"BF16","shape":[1],"data_offsets":[${2 * i + 1},${2 * i + 3}]}`).join(","))],
  ["BAD_SHAPE", "shape mismatch, padded", padded((t) => t.replace('"kept_tokens":"3"', '"kept_tokens":"4"'))],
  ["TOKEN_BOUNDS", "kept over original, padded", padded((t) => t.replace('"original_tokens":"7"', '"original_tokens":"2"'))],
  ["MODEL_MISMATCH", "another model, padded", padded((t) => t.replace("condense/golden-tiny", "m".repeat(256)))],
  ["BINDING_MISMATCH", "another context, padded", padded((t) => t.replace(manifest.context_sha256, "f".repeat(64)))],
  ["HOTKEY_MISMATCH", "another hotkey, padded", padded((t) => t.replace(ALICE, "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"), true)],
  ["UNSIGNED", "unsigned, padded", padded((t) => t.replace(SIGNATURE, "0".repeat(128)), true)],
  ["BAD_SIGNATURE", "signed then edited, padded", padded((t) => t.replace('"algorithm":"knorm"', '"algorithm":"kvzip"'), true)],
];

async function codeOf(b: ReturnType<Build>): Promise<string> {
  const options = {
    model: goldenModel,
    expect: { targetModel: "condense/golden-tiny", contextSha256: manifest.context_sha256, ...(b.expectHotkey ? { minerHotkey: ALICE } : {}) },
  };
  const err = await parseContainerHeader(b.head, b.fileBytes ?? b.head.length, options).then(() => null, (e: unknown) => e);
  return isContainerError(err) ? err.code : `no ContainerError: ${String(err)}`;
}

const SMALL = 30_000;
const BIG = 240_000; // inside the default 256 KiB header cap

describe("every reject path is linear in the header size", () => {
  it("covers every code a header check can give", async () => {
    const { CONTAINER_ERROR_CODES } = await import("../../ts/container/index.js");
    const notHeader = ["IO", "ALREADY_SIGNED", "DATA_MISMATCH"];
    expect(new Set(PATHS.map(([code]) => code))).toEqual(new Set(CONTAINER_ERROR_CODES.filter((c) => !notHeader.includes(c))));
  });

  for (const [code, what, build] of PATHS) {
    it(`${code}: ${what}`, async () => {
      const big = build(BIG);
      if (big.fileBytes === undefined) expect(big.head.length - DATA.length).toBeGreaterThan(BIG * 0.95);
      calls.length = 0;
      expect(await codeOf(big)).toBe(code);
      const over = calls.filter((c) => c.op !== "json:header" && c.n > LIMIT);
      expect(over, "a decoder or hash saw an unbounded input").toEqual([]);

      const small = build(SMALL);
      const cpu = async (b: ReturnType<Build>) => {
        let best = Number.POSITIVE_INFINITY;
        for (let i = 0; i < 5; i++) {
          const t0 = process.cpuUsage();
          await codeOf(b);
          const d = process.cpuUsage(t0);
          best = Math.min(best, (d.user + d.system) / 1000);
        }
        return best;
      };
      const tSmall = await cpu(small);
      const tBig = await cpu(big);
      expect(tBig, `${tSmall.toFixed(2)} ms at 30 KB, ${tBig.toFixed(2)} ms at 240 KB`).toBeLessThanOrEqual(32 * tSmall + 25);
    });
  }
});
