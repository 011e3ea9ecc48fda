// Structural checks of a container header without reading tensor bytes; mirrors
// py/condense_worker/container/header.py check for check and in the same order, so both languages give
// the same code for the same file.
import { open, type FileHandle } from "node:fs/promises";
import { ContainerError, type ContainerErrorCode } from "./errors.js";
import { parseStrictJson, StrictJsonError } from "./json.js";
import { resolveLimits } from "./limits.js";
import { ss58PublicKey } from "./ss58.js";
import {
  ALGO_RE,
  DTYPES,
  HEX128,
  HEX64,
  INT_RE,
  ITEMSIZE,
  LAYER_NAME,
  MAX_INT,
  META_KEYS,
  SCALE_DTYPE,
  SIGNATURE_PLACEHOLDER,
  VALUE_DTYPE,
} from "./spec.js";
import { verifySignatureOf } from "./verify.js";
import {
  CONTAINER_FORMAT_VERSION,
  type ContainerDtype,
  type ContainerHeader,
  type ContainerKind,
  type ContainerLimits,
  type ContainerMeta,
  type ModelShape,
  type ReadContainerOptions,
  type TensorDtype,
  type TensorEntry,
} from "./types.js";

function fail(code: ContainerErrorCode, message: string): never {
  throw new ContainerError(code, message);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const hasControl = (s: string) => /[\u0000-\u001f\u007f]/.test(s);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** A hostile value quoted in a message, cut short so an error never carries a 250 KB string. */
const show = (s: string) => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);

/** Length in Unicode code points (the spec's "characters"); `s` is well-formed (strict JSON made it). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--;
  }
  return n;
}

function parseMeta(m: unknown, limits: ContainerLimits): ContainerMeta {
  if (!isObject(m) || !Object.values(m).every((v) => typeof v === "string")) {
    fail("BAD_METADATA", "__metadata__ must be an object of string values");
  }
  const s = m as Record<string, string>;
  if (!("format_version" in s)) fail("BAD_METADATA", "format_version missing");
  if (s.format_version !== CONTAINER_FORMAT_VERSION) {
    fail("UNSUPPORTED_VERSION", `format_version ${show(s.format_version as string)}; this reader reads "${CONTAINER_FORMAT_VERSION}"`);
  }
  const missing = META_KEYS.filter((k) => !(k in s));
  const extra = Object.keys(s).filter((k) => !(META_KEYS as readonly string[]).includes(k)).sort();
  if (missing.length) fail("BAD_METADATA", `missing metadata fields: ${missing.join(", ")}`);
  if (extra.length) fail("BAD_METADATA", `unknown metadata fields: ${extra.slice(0, 8).map(show).join(", ")}`);
  for (const [k, v] of Object.entries(s)) if (hasControl(v)) fail("BAD_METADATA", `${k} contains a control character`);
  const get = (k: (typeof META_KEYS)[number]) => s[k] as string;
  const kind = get("kind");
  if (!(limits.allowedKinds as readonly string[]).includes(kind) || (kind !== "kv" && kind !== "soft_tokens")) {
    fail("BAD_METADATA", `kind ${show(kind)} is not one of ${limits.allowedKinds.join(", ")}`);
  }
  const model = get("target_model");
  if (model.length < 1 || model.length > 512 || codePoints(model) > 256) fail("BAD_METADATA", "target_model must be 1..256 characters");
  for (const k of ["original_tokens", "kept_tokens"] as const) {
    if (!INT_RE.test(get(k)) || Number(get(k)) > MAX_INT) fail("BAD_METADATA", `${k} ${show(get(k))} is not a decimal integer in [0, 2^31)`);
  }
  if (!ALGO_RE.test(get("algorithm"))) fail("BAD_METADATA", `algorithm ${show(get("algorithm"))} must match [a-z0-9_.-]{1,64}`);
  const paramsJson = get("params");
  if (paramsJson.length > 8192 || codePoints(paramsJson) > 4096) fail("BAD_METADATA", "params longer than 4096 characters");
  let params: unknown;
  try {
    params = parseStrictJson(paramsJson, "params");
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    fail("BAD_METADATA", `params is not strict JSON: ${err.message}`);
  }
  if (!isObject(params)) fail("BAD_METADATA", "params must be a JSON object");
  for (const k of ["context_sha256", "data_sha256"] as const) {
    if (!HEX64.test(get(k))) fail("BAD_METADATA", `${k} must be 64 lowercase hex characters`);
  }
  const dtype = get("dtype");
  if (!(DTYPES as readonly string[]).includes(dtype)) fail("BAD_METADATA", `dtype ${show(dtype)} is not one of ${DTYPES.join(", ")}`);
  const hotkey = get("miner_hotkey");
  if (hotkey !== "" && ss58PublicKey(hotkey) === undefined) fail("BAD_METADATA", "miner_hotkey is not an ss58 address");
  const signature = get("signature");
  if (!HEX128.test(signature)) fail("BAD_METADATA", "signature must be 128 lowercase hex characters");
  if (signature !== SIGNATURE_PLACEHOLDER && hotkey === "") fail("BAD_METADATA", "a signature without a miner_hotkey");
  return {
    formatVersion: get("format_version"),
    kind: kind as ContainerKind,
    targetModel: model,
    originalTokens: Number(get("original_tokens")),
    keptTokens: Number(get("kept_tokens")),
    algorithm: get("algorithm"),
    paramsJson,
    params,
    contextSha256: get("context_sha256"),
    dataSha256: get("data_sha256"),
    dtype: dtype as ContainerDtype,
    minerHotkey: hotkey,
    signature,
  };
}

function parseEntry(name: string, e: unknown): { dtype: string; shape: number[]; begin: number; end: number } {
  if (!isObject(e) || Object.keys(e).length !== 3 || !["data_offsets", "dtype", "shape"].every((k) => Object.hasOwn(e, k))) {
    fail("BAD_HEADER", `tensor ${show(name)} must have exactly dtype, shape, data_offsets`);
  }
  const { dtype, shape, data_offsets: offs } = e;
  if (typeof dtype !== "string") fail("BAD_HEADER", `tensor ${show(name)} dtype is not a string`);
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every(isCount)) {
    fail("BAD_HEADER", `tensor ${show(name)} shape must be a list of at most 8 non-negative integers`);
  }
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount)) {
    fail("BAD_HEADER", `tensor ${show(name)} data_offsets must be two non-negative integers`);
  }
  return { dtype, shape: shape as number[], begin: offs[0] as number, end: offs[1] as number };
}

function checkTensorSet(meta: ContainerMeta, names: Set<string>): number {
  const sorted = [...names].sort();
  if (meta.kind === "soft_tokens") {
    if (names.size !== 1 || !names.has("soft_tokens")) {
      fail("BAD_TENSOR_SET", `a soft_tokens container holds exactly one tensor 'soft_tokens', got ${sorted.slice(0, 8).map(show).join(", ")}`);
    }
    return 0;
  }
  const bad = sorted.filter((n) => !LAYER_NAME.test(n));
  if (bad.length) fail("BAD_TENSOR_SET", `unexpected tensor names: ${bad.slice(0, 8).map(show).join(", ")}`);
  const layers = sorted.filter((n) => n.startsWith("key_") && !n.endsWith(".scale")).length;
  const want = new Set<string>();
  for (let i = 0; i < layers; i++) {
    for (const p of ["key", "value"]) {
      want.add(`${p}_${i}`);
      if (meta.dtype === "int8") want.add(`${p}_${i}.scale`);
    }
  }
  const missing = [...want].filter((n) => !names.has(n)).sort();
  const extra = sorted.filter((n) => !want.has(n));
  if (layers === 0 || missing.length || extra.length) {
    fail(
      "BAD_TENSOR_SET",
      `kv tensors must be key_i/value_i${meta.dtype === "int8" ? " (+ .scale)" : ""} for i < ${layers}; ` +
        `missing [${missing.slice(0, 8).join(", ")}], unexpected [${extra.slice(0, 8).join(", ")}]`,
    );
  }
  return layers;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function checkShapes(meta: ContainerMeta, ents: Map<string, TensorEntry>, layers: number, model?: ModelShape): void {
  const wantDt = VALUE_DTYPE[meta.dtype];
  for (const e of ents.values()) {
    const need = e.name.endsWith(".scale") ? SCALE_DTYPE : wantDt;
    if (e.dtype !== need) fail("BAD_DTYPE", `tensor ${e.name} is ${e.dtype}; a ${meta.dtype} container stores ${need}`);
  }
  if (meta.kind === "soft_tokens") {
    const s = (ents.get("soft_tokens") as TensorEntry).shape;
    if (s.length !== 2 || s[0] !== meta.keptTokens || (s[1] as number) < 1) {
      fail("BAD_SHAPE", `soft_tokens shape [${s.join(", ")}] is not [kept_tokens=${meta.keptTokens}, hidden]`);
    }
    if (model?.hiddenSize !== undefined && s[1] !== model.hiddenSize) {
      fail("BAD_SHAPE", `soft_tokens hidden size ${s[1]} != model hidden_size ${model.hiddenSize}`);
    }
    return;
  }
  const ref = (ents.get("key_0") as TensorEntry).shape;
  if (ref.length !== 4 || ref[0] !== 1 || (ref[1] as number) < 1 || (ref[3] as number) < 1) {
    fail("BAD_SHAPE", `key_0 shape [${ref.join(", ")}] is not [1, kv_heads, T, head_dim]`);
  }
  const [, h, t, d] = ref as [number, number, number, number];
  for (const e of ents.values()) {
    const want = e.name.endsWith(".scale") ? [1, h, 1, d] : [1, h, t, d];
    if (!same(e.shape, want)) fail("BAD_SHAPE", `tensor ${e.name} shape [${e.shape.join(", ")}] != [${want.join(", ")}]`);
  }
  if (t !== meta.keptTokens) fail("BAD_SHAPE", `tensors hold ${t} tokens but kept_tokens says ${meta.keptTokens}`);
  if (model && (layers !== model.numLayers || h !== model.kvHeads || d !== model.headDim)) {
    fail("BAD_SHAPE", `(layers, kv_heads, head_dim) = (${layers}, ${h}, ${d}) but the model has (${model.numLayers}, ${model.kvHeads}, ${model.headDim})`);
  }
}

/** Byte offset inside the header JSON of a fixed-width value that must be written compact `"key":"<hex>"`. */
function locate(raw: Uint8Array, key: string, width: number, value: string): number {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const pat = Buffer.from(`"${key}":"`, "ascii");
  const at = text.indexOf(pat);
  if (at < 0 || text.indexOf(pat, at + 1) >= 0) {
    fail("BAD_METADATA", `${key} must appear exactly once, written as "${key}":"<${width} hex>"`);
  }
  const start = at + pat.length;
  if (text.toString("latin1", start, start + width) !== value || text[start + width] !== 0x22) {
    fail("BAD_METADATA", `${key} is not written compact as "${key}":"<${width} hex>"`);
  }
  return start;
}

/**
 * Checks a header given the file's first 8 + N bytes (more is fine) and the file's total size. Pure and
 * synchronous except for the signature check, which needs the sr25519 wasm (hence async).
 */
export async function parseContainerHeader(head: Uint8Array, fileBytes: number, options: ReadContainerOptions = {}): Promise<ContainerHeader> {
  const limits = resolveLimits(options.limits);
  const { model, expect = {} } = options;
  if (fileBytes > limits.maxFileBytes) fail("FILE_TOO_LARGE", `${fileBytes} bytes > cap ${limits.maxFileBytes}`);
  if (fileBytes < 8 || head.length < 8) fail("TRUNCATED", `${fileBytes} bytes: no 8-byte header length`);
  const n64 = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(limits.maxHeaderBytes)) fail("HEADER_TOO_LARGE", `header length ${n64} > cap ${limits.maxHeaderBytes}`);
  const n = Number(n64);
  if (8 + n > fileBytes || head.length < 8 + n) fail("TRUNCATED", `header length ${n} runs past the end of a ${fileBytes}-byte file`);
  const raw = head.subarray(8, 8 + n);
  // the first byte, not the first character: a byte-order mark is refused, not skipped
  if (raw[0] !== 0x7b) fail("BAD_HEADER", "header does not start with '{'");
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    fail("BAD_HEADER", "header is not UTF-8");
  }
  let obj: unknown;
  try {
    obj = parseStrictJson(text, "header");
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    fail("BAD_HEADER", `header is not strict JSON: ${err.message}`);
  }
  if (!isObject(obj)) fail("BAD_HEADER", "header is not a JSON object");
  if (!("__metadata__" in obj)) fail("BAD_METADATA", "__metadata__ missing");
  const names = Object.keys(obj).filter((k) => k !== "__metadata__");
  if (names.length > limits.maxTensors) fail("TOO_MANY_TENSORS", `${names.length} tensors > cap ${limits.maxTensors}`);
  const meta = parseMeta(obj.__metadata__, limits);
  if (!limits.allowedDtypes.includes(meta.dtype)) {
    fail("BAD_DTYPE", `container dtype ${meta.dtype} not allowed here (${limits.allowedDtypes.join(", ")})`);
  }
  if (meta.kind === "soft_tokens" && meta.dtype === "int8") fail("BAD_DTYPE", "soft_tokens containers are bf16, f16 or f32");

  const parsed = names.map((name) => ({ name, ...parseEntry(name, obj[name]) }));
  for (const p of parsed) {
    if (!Object.hasOwn(ITEMSIZE, p.dtype)) fail("BAD_DTYPE", `tensor ${show(p.name)} has dtype ${show(p.dtype)}; allowed: ${Object.keys(ITEMSIZE).join(", ")}`);
  }
  const dataLen = fileBytes - 8 - n;
  const ents: TensorEntry[] = [];
  for (const p of parsed) {
    if (p.begin > p.end) fail("BAD_OFFSETS", `tensor ${show(p.name)} offsets [${p.begin}, ${p.end}] run backwards`);
    // BigInt: a lying shape may multiply past 2^53
    const size = p.shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(ITEMSIZE[p.dtype as TensorDtype]);
    if (BigInt(p.end - p.begin) !== size) {
      fail("BAD_OFFSETS", `tensor ${show(p.name)} spans ${p.end - p.begin} bytes but ${p.dtype}[${p.shape.join(", ")}] needs ${size}`);
    }
    ents.push({ name: p.name, dtype: p.dtype as TensorDtype, shape: p.shape, begin: p.begin, end: p.end });
  }
  ents.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of ents) {
    if (e.begin !== pos) {
      fail("BAD_OFFSETS", `${e.begin > pos ? "gap" : "overlap"} before tensor ${e.name}: it starts at ${e.begin}, previous data ends at ${pos}`);
    }
    pos = e.end;
  }
  if (pos > dataLen) fail("TRUNCATED", `tensors need ${pos} data bytes, the file has ${dataLen}`);
  if (pos < dataLen) fail("BAD_OFFSETS", `${dataLen - pos} bytes after the last tensor`);

  const layers = checkTensorSet(meta, new Set(ents.map((e) => e.name)));
  checkShapes(meta, new Map(ents.map((e) => [e.name, e])), layers, model);

  if (meta.keptTokens < limits.minKeptTokens || meta.keptTokens > limits.maxKeptTokens) {
    fail("TOKEN_BOUNDS", `kept_tokens ${meta.keptTokens} outside [${limits.minKeptTokens}, ${limits.maxKeptTokens}]`);
  }
  if (meta.keptTokens > meta.originalTokens) fail("TOKEN_BOUNDS", `kept_tokens ${meta.keptTokens} > original_tokens ${meta.originalTokens}`);

  const sigAt = locate(raw, "signature", 128, meta.signature);
  const dataAt = locate(raw, "data_sha256", 64, meta.dataSha256);

  if (expect.targetModel !== undefined && meta.targetModel !== expect.targetModel) {
    fail("MODEL_MISMATCH", `container is for ${show(meta.targetModel)}, expected ${show(expect.targetModel)}`);
  }
  if (expect.contextSha256 !== undefined && meta.contextSha256 !== expect.contextSha256) {
    fail("BINDING_MISMATCH", `context_sha256 ${meta.contextSha256} != challenge ${expect.contextSha256}`);
  }
  if (expect.minerHotkey !== undefined && meta.minerHotkey !== expect.minerHotkey) {
    fail("HOTKEY_MISMATCH", `miner_hotkey ${show(meta.minerHotkey)} != expected ${show(expect.minerHotkey)}`);
  }
  const signed = meta.signature !== SIGNATURE_PLACEHOLDER;
  const wantSignature = expect.verifySignature ?? expect.minerHotkey !== undefined;
  if (wantSignature) {
    if (!signed) fail("UNSIGNED", "the container carries no signature");
    if (!(await verifySignatureOf(meta, ents))) fail("BAD_SIGNATURE", `signature does not verify for ${meta.minerHotkey}`);
  }
  return {
    fileBytes,
    headerBytes: n,
    dataOffset: 8 + n,
    meta,
    tensors: ents,
    numLayers: layers,
    signatureOffset: 8 + sigAt,
    dataSha256Offset: 8 + dataAt,
    signed,
    signatureVerified: wantSignature,
  };
}

/** Opens (or uses) a file and checks its header; reads only the first 8 + N bytes. */
export async function readContainerHeader(source: string | FileHandle, options: ReadContainerOptions = {}): Promise<ContainerHeader> {
  const limits = resolveLimits(options.limits);
  let handle: FileHandle;
  try {
    handle = typeof source === "string" ? await open(source, "r") : source;
  } catch (err) {
    fail("IO", `cannot open ${String(source)}: ${(err as Error).message}`);
  }
  try {
    let size: number;
    let head: Uint8Array;
    try {
      size = (await handle.stat()).size;
      if (size > limits.maxFileBytes) fail("FILE_TOO_LARGE", `${size} bytes > cap ${limits.maxFileBytes}`);
      const prefix = Buffer.alloc(8);
      const { bytesRead } = await handle.read(prefix, 0, 8, 0);
      head = prefix.subarray(0, bytesRead);
      if (bytesRead === 8) {
        const n = prefix.readBigUInt64LE(0);
        if (n <= BigInt(limits.maxHeaderBytes)) {
          const buf = Buffer.alloc(8 + Number(n));
          prefix.copy(buf);
          const r = await handle.read(buf, 8, Number(n), 8);
          head = buf.subarray(0, 8 + r.bytesRead);
        }
      }
    } catch (err) {
      if (err instanceof ContainerError) throw err;
      fail("IO", `cannot read ${String(source)}: ${(err as Error).message}`);
    }
    return await parseContainerHeader(head, size, { ...options, limits });
  } finally {
    if (typeof source === "string") await handle.close();
  }
}
