// A seeded mutation corpus made from the golden containers: byte flips, truncations, header-length
// edits, and JSON-level mutations of every field (type swaps, huge numbers, floats written for
// integers, duplicates, byte-order marks, surrogates, deep nesting, NaN/Infinity, lengths in code
// points). Both readers must give every file the same code; Python reads the whole corpus in one
// process. Header checks with the same expectations on both sides, then the data hash (TypeScript has
// no NaN scan, and no mutation here rewrites data_sha256, so NON_FINITE cannot occur).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isContainerError, readContainerHeader, verifyContainerData } from "../../ts/container/index.js";
import { GOLDEN, goldenModel, manifest, pythonCodes } from "./helpers.js";

const SEED = 20261201;
const ALICE = manifest.signer.address;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Path = Array<string | number>;
interface Mut {
  path: Path;
  /** Raw JSON text that replaces the value at `path`. */
  value?: (v: unknown) => string;
  /** Raw text that replaces the whole member `"key":value` at `path` ("" drops it). */
  member?: (key: string, valueText: string) => string;
}
const same = (a: Path, b: Path) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Compact JSON like the writer's, with one mutation spliced in as raw text. */
function emit(v: unknown, p: Path, m?: Mut): string {
  if (m?.value && same(p, m.path)) return m.value(v);
  if (Array.isArray(v)) return `[${v.map((x, i) => emit(x, [...p, i], m)).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const parts = Object.entries(v).map(([k, x]) => {
      const q = [...p, k];
      const val = emit(x, q, m);
      return m?.member && same(q, m.path) ? m.member(k, val) : `${JSON.stringify(k)}:${val}`;
    });
    return `{${parts.filter((s) => s !== "").join(",")}}`;
  }
  return JSON.stringify(v);
}

function paths(v: unknown, p: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...p, i], ...paths(x, [...p, i])]);
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => [[...p, k], ...paths(x, [...p, k])]);
  return [];
}

const nest = (k: number) => "[".repeat(k) + "]".repeat(k);
const astral = "\u{1F600}";
const esc = (s: string) => s.replace(/[^]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const q = (s: string) => JSON.stringify(s);

/** Value mutations, each raw JSON text given the original value. */
const VALUE_MUTATIONS: Array<[string, (v: unknown) => string | undefined]> = [
  ["null", () => "null"], ["true", () => "true"], ["zero", () => "0"], ["minus one", () => "-1"], ["empty string", () => '""'],
  ["empty array", () => "[]"], ["empty object", () => "{}"], ["array of 1", () => "[1]"], ["object", () => '{"a":1}'],
  ["number as string", (v) => (typeof v === "number" ? q(String(v)) : undefined)],
  ["numeric string as number", (v) => (typeof v === "string" && /^[0-9]{1,15}$/.test(v) ? v : undefined)],
  ["numeric string as float", (v) => (typeof v === "string" && /^[0-9]{1,15}$/.test(v) ? `${v}.0` : undefined)],
  ["2^53-1", () => "9007199254740991"], ["2^53", () => "9007199254740992"], ["2^64", () => "18446744073709551616"],
  ["1e400", () => "1e400"], ["400 digits", () => "9".repeat(400)], ["5000 digits", () => "9".repeat(5000)], ["-0", () => "-0"],
  ["x.0", (v) => (typeof v === "number" ? `${v}.0` : undefined)],
  ["x e0", (v) => (typeof v === "number" ? `${v}e0` : undefined)],
  ["4.8e1 form", (v) => (typeof v === "number" ? `${v / 10}e1` : undefined)],
  ["x0e-1", (v) => (typeof v === "number" ? `${v}0e-1` : undefined)],
  ["numeric string - 5", (v) => (typeof v === "string" && /^[0-9]{1,9}$/.test(v) && Number(v) >= 5 ? q(String(Number(v) - 5)) : undefined)],
  ["x+1", (v) => (typeof v === "number" ? String(v + 1) : undefined)],
  ["x*2^40", (v) => (typeof v === "number" ? String(v * 2 ** 40) : undefined)],
  ["NaN", () => "NaN"], ["Infinity", () => "Infinity"], ["-Infinity", () => "-Infinity"],
  ["nest 31", () => nest(31)], ["nest 32", () => nest(32)], ["nest 33", () => nest(33)], ["nest 5000", () => nest(5000)],
  ["lone high surrogate", (v) => (typeof v === "string" ? `"${esc(v).slice(0, 6 * 4)}\\ud800"` : undefined)],
  ["lone low surrogate", (v) => (typeof v === "string" ? q(v).replace(/^"/, '"\\udc00') : undefined)],
  ["surrogate pair", (v) => (typeof v === "string" ? q(v).replace(/"$/, '\\ud83d\\ude00"') : undefined)],
  ["replacement char", (v) => (typeof v === "string" ? q(v).replace(/"$/, '\\ufffd"') : undefined)],
  ["BOM in string", (v) => (typeof v === "string" ? q(`\ufeff${v}`) : undefined)],
  ["same value escaped", (v) => (typeof v === "string" ? `"${esc(v)}"` : undefined)],
  ["upper case", (v) => (typeof v === "string" ? q(v.toUpperCase()) : undefined)],
  ["NUL", (v) => (typeof v === "string" ? q(`${v}\u0000`) : undefined)],
  ["DEL", (v) => (typeof v === "string" ? q(`${v}\u007f`) : undefined)],
  ["raw tab", (v) => (typeof v === "string" ? `"${v}\t"` : undefined)],
  ["one char shorter", (v) => (typeof v === "string" && v.length > 0 ? q(v.slice(0, -1)) : undefined)],
  ["one char longer", (v) => (typeof v === "string" ? q(`${v}a`) : undefined)],
  ["256 astral", () => q(astral.repeat(256))], ["257 astral", () => q(astral.repeat(257))], ["256 ascii", () => q("m".repeat(256))],
  ["129 astral", () => q(astral.repeat(129))], ["5000 chars", () => q("z".repeat(5000))],
  ["params NaN", () => q('{"ratio":NaN}')], ["params Infinity", () => q('{"ratio":Infinity}')],
  ["params 1e400", () => q('{"ratio":1e400}')], ["params 400 digits", () => q(`{"a":${"9".repeat(400)}}`)],
  ["params dup", () => q('{"a":1,"a":2}')], ["params dup escaped", () => q('{"a":1,"\\u0061":2}')],
  ["params nest 31", () => q(`{"a":${nest(31)}}`)], ["params nest 32", () => q(`{"a":${nest(32)}}`)], ["params nest 2000", () => q(`{"a":${nest(1999)}}`)],
  ["params lone surrogate", () => q('{"a":"\\ud800"}')], ["params pair", () => q('{"a":"\\ud83d\\ude00"}')],
  ["params BOM", () => q('\ufeff{"a":1}')], ["params spaced", () => q(' { "a" : 1.5e-3 } ')], ["params array", () => q("[1]")],
  ["params garbage", () => q('{"a":1}x')], ["params 4096 astral", () => q(`{"n":"${astral.repeat(4088)}"}`)],
  ["params 4097 astral", () => q(`{"n":"${astral.repeat(4089)}"}`)], ["params float", () => q('{"a":0.25,"b":-2,"c":1E2}')],
  ["params unicode escape", () => q('{"a":"\\u00e9"}')],
  ["hotkey bad checksum", () => q(ALICE.slice(0, -1) + (ALICE.endsWith("Y") ? "Z" : "Y"))],
  ["hotkey hex", () => q(`0x${"d4".repeat(32)}`)], ["hotkey 49 chars", () => q(`${ALICE}1`)],
  ["hotkey prefix 0", () => q("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5")],
  ["hotkey all ones", () => q("1".repeat(47))], ["hotkey 250k", () => q("5".repeat(250_000))],
  ["int with leading zero", () => q("03")], ["int 2^31", () => q("2147483648")], ["int 2^31-1", () => q("2147483647")],
  ["dtype prototype name", () => q("constructor")], ["dtype toString", () => q("toString")], ["__proto__ string", () => q("__proto__")],
];
/** Member mutations: the whole `"key":value` replaced. */
const MEMBER_MUTATIONS: Array<[string, (k: string, v: string) => string]> = [
  ["drop", () => ""],
  ["duplicate", (k, v) => `${q(k)}:${v},${q(k)}:${v}`],
  ["duplicate other value", (k, v) => `${q(k)}:${v},${q(k)}:"x"`],
  ["duplicate via escape", (k, v) => `${q(k)}:${v},"${esc(k)}":${v}`],
  ["key escaped", (k, v) => `"${esc(k)}":${v}`],
  ["key lone surrogate", (k, v) => `"${k}\\ud800":${v}`],
  ["key BOM", (k, v) => `"\ufeff${k}":${v}`],
  ["key upper", (k, v) => `${q(k.toUpperCase())}:${v}`],
  ["key __proto__", (_k, v) => `"__proto__":${v}`],
  ["key constructor", (_k, v) => `"constructor":${v}`],
  ["space after colon", (k, v) => `${q(k)}: ${v}`],
  ["extra member", (k, v) => `${q(k)}:${v},"zz":"v"`],
];
/** Whole-header mutations of the text. */
const DOC_MUTATIONS: Array<[string, (t: string) => string | Buffer]> = [
  ["BOM", (t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t)])],
  ["leading space", (t) => ` ${t}`], ["leading newline", (t) => `\n${t}`], ["trailing x", (t) => `${t}x`],
  ["trailing tab newline", (t) => `${t}\t\r\n`], ["trailing NUL", (t) => `${t}\u0000`], ["pretty", (t) => JSON.stringify(JSON.parse(t), null, 1)],
  ["wrapped in array", (t) => `[${t}]`], ["NaN member", (t) => t.replace(/}$/, ',"x":NaN}')], ["deep member", (t) => t.replace(/}$/, `,"x":${nest(100_000)}}`)],
  ["lone surrogate member", (t) => t.replace(/}$/, ',"x":"\\ud800"}')], ["empty", () => ""], ["just {", () => "{"], ["{}", () => "{}"],
  ["latin-1 byte", (t) => Buffer.concat([Buffer.from(t.slice(0, -1)), Buffer.from([0xe9]), Buffer.from("}")])],
  ["overlong slash", (t) => Buffer.concat([Buffer.from(t.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
  ["CESU surrogate bytes", (t) => Buffer.concat([Buffer.from(t.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
];

interface Case {
  why: string;
  bytes: Buffer;
}

function withHeader(header: string | Buffer, data: Buffer, pad: boolean): Buffer {
  let h = typeof header === "string" ? Buffer.from(header, "utf8") : header;
  if (pad) h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([prefix, h, data]);
}

const INTERESTING = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0x2e, 0x65, 0x2d, 0x00, 0x20, 0x7f, 0xff, 0xc3, 0xed, 0x31, 0x35, 0x61];

function corpus(): Case[] {
  const rand = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const seeds = manifest.valid.map((v) => v.file);
  const out: Case[] = [];
  for (const seed of seeds) {
    const raw = readFileSync(path.join(GOLDEN, seed));
    const n = Number(raw.readBigUInt64LE(0));
    const text = raw.subarray(8, 8 + n).toString("utf8").trimEnd();
    const data = raw.subarray(8 + n);
    const tree = JSON.parse(text) as unknown;
    if (emit(tree, []) !== text) throw new Error(`${seed}: the emitter does not reproduce the golden header`);
    // every field, every applicable mutation: full cross product on one signed int8 seed, a sample elsewhere
    const full = seed === "kv_int8_signed.safetensors";
    for (const p of paths(tree)) {
      for (const [name, f] of VALUE_MUTATIONS) {
        if (!full && rand() > 0.12) continue;
        let got: string | undefined;
        const m: Mut = { path: p, value: (v) => (got = f(v)) ?? "null" };
        const header = emit(tree, [], m);
        if (got === undefined) continue;
        out.push({ why: `${seed} ${p.join(".")} ${name}`, bytes: withHeader(header, data, rand() < 0.7) });
      }
      if (typeof p.at(-1) === "string") {
        for (const [name, f] of MEMBER_MUTATIONS) {
          if (!full && rand() > 0.25) continue;
          out.push({ why: `${seed} ${p.join(".")} member ${name}`, bytes: withHeader(emit(tree, [], { path: p, member: f }), data, rand() < 0.7) });
        }
      }
    }
    for (const [name, f] of DOC_MUTATIONS) out.push({ why: `${seed} doc ${name}`, bytes: withHeader(f(text), data, rand() < 0.5) });
    for (let i = 0; i < 80; i++) {
      const b = Buffer.from(raw);
      const flips = 1 + Math.floor(rand() * 3);
      for (let j = 0; j < flips; j++) {
        const at = rand() < 0.8 ? Math.floor(rand() * (8 + n)) : Math.floor(rand() * b.length);
        b[at] = rand() < 0.5 ? pick(INTERESTING) : (b[at] as number) ^ (1 + Math.floor(rand() * 255));
      }
      out.push({ why: `${seed} byte flips #${i}`, bytes: b });
    }
    for (let i = 0; i < 20; i++) {
      const len = i < 10 ? Math.floor(rand() * (8 + n)) : Math.floor(rand() * raw.length);
      out.push({ why: `${seed} truncated to ${len}`, bytes: raw.subarray(0, len) });
    }
    for (const d of [-9, -8, -7, -1, 1, 2, 7, 8, 9, 16, -n, -n + 1, 2 ** 20, 2 ** 40, raw.length, raw.length - 8]) {
      const b = Buffer.from(raw);
      b.writeBigUInt64LE(BigInt(Math.max(0, n + d)));
      out.push({ why: `${seed} header length ${n} + ${d}`, bytes: b });
    }
    for (const v of [0n, 2n ** 63n, 2n ** 64n - 1n]) {
      const b = Buffer.from(raw);
      b.writeBigUInt64LE(v);
      out.push({ why: `${seed} header length ${v}`, bytes: b });
    }
  }
  return out;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "container-corpus-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tsCode(file: string): Promise<string> {
  try {
    const h = await readContainerHeader(file, {
      model: goldenModel,
      expect: { targetModel: "condense/golden-tiny", contextSha256: manifest.context_sha256, minerHotkey: ALICE, verifySignature: false },
    });
    await verifyContainerData(file, h);
    return "ok";
  } catch (err) {
    return isContainerError(err) ? err.code : `TS_ESCAPE:${(err as Error).name}`;
  }
}

describe("mutation corpus from the golden files", () => {
  it("TypeScript and Python give every file the same code", async () => {
    const cases = corpus();
    mkdirSync(path.join(dir, "c"));
    const files = cases.map((c, i) => {
      const f = path.join(dir, "c", `${i}.safetensors`);
      writeFileSync(f, c.bytes);
      return f;
    });
    const [ts, py] = await Promise.all([
      (async () => {
        const out: string[] = [];
        for (const f of files) out.push(await tsCode(f));
        return out;
      })(),
      pythonCodes(files, { target_model: "condense/golden-tiny", context_sha256: manifest.context_sha256, miner_hotkey: ALICE }, dir),
    ]);
    const differ = cases.map((c, i) => ({ why: c.why, ts: ts[i], py: py[i] })).filter((d) => d.ts !== d.py);
    const hist: Record<string, number> = {};
    for (const c of ts) hist[c] = (hist[c] ?? 0) + 1;
    console.log(`container corpus: ${cases.length} files, ${differ.length} disagreements; TypeScript codes ${JSON.stringify(hist)}`);
    expect(differ.slice(0, 25)).toEqual([]);
    expect(differ.length).toBe(0);
    // the corpus reaches deep into the checks, not only the parser
    expect(cases.length).toBeGreaterThan(3000);
    for (const code of ["ok", "BAD_HEADER", "BAD_METADATA", "TRUNCATED", "HEADER_TOO_LARGE", "BAD_OFFSETS", "BAD_SHAPE", "BAD_DTYPE", "BAD_TENSOR_SET",
      "UNSUPPORTED_VERSION", "MODEL_MISMATCH", "BINDING_MISMATCH", "HOTKEY_MISMATCH", "TOKEN_BOUNDS", "DATA_MISMATCH"]) {
      expect(hist[code] ?? 0, code).toBeGreaterThan(0);
    }
    expect(Object.keys(hist).filter((k) => k.includes("ESCAPE"))).toEqual([]);
  }, 300_000);
});
