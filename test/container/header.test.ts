// Limits, expectations, malformed headers and in-place signing on the TypeScript side.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keyring } from "@polkadot/keyring";
import {
  contextSha256,
  isContainerError,
  parseContainerHeader,
  readContainerHeader,
  signContainer,
  type ReadContainerOptions,
} from "../../ts/container/index.js";
import { GOLDEN, devKeys, goldenModel, manifest } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "container-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copy(name: string): string {
  const to = path.join(dir, `${Math.random().toString(36).slice(2)}-${path.basename(name)}`);
  copyFileSync(path.join(GOLDEN, name), to);
  return to;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isContainerError(err)) throw new Error(`expected a ContainerError, got ${String(err)}`);
  return err.code;
}

/** Rewrites the JSON header of a file (re-padded to 8 bytes), keeping the data section. */
function rewriteHeader(file: string, edit: (text: string) => string): string {
  const raw = readFileSync(file);
  const n = Number(raw.readBigUInt64LE(0));
  let text = edit(raw.subarray(8, 8 + n).toString("utf8").trimEnd());
  text += " ".repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const out = path.join(dir, `${Math.random().toString(36).slice(2)}-edited.safetensors`);
  writeFileSync(out, Buffer.concat([prefix, Buffer.from(text, "utf8"), raw.subarray(8 + n)]));
  return out;
}

describe("limits and expectations", () => {
  const file = path.join(GOLDEN, "kv_f32.safetensors");
  const cases: Array<[string, ReadContainerOptions]> = [
    ["TOO_MANY_TENSORS", { limits: { maxTensors: 3 } }],
    ["FILE_TOO_LARGE", { limits: { maxFileBytes: 1000 } }],
    ["HEADER_TOO_LARGE", { limits: { maxHeaderBytes: 64 } }],
    ["TOKEN_BOUNDS", { limits: { minKeptTokens: 4 } }],
    ["TOKEN_BOUNDS", { limits: { maxKeptTokens: 2 } }],
    ["BAD_DTYPE", { limits: { allowedDtypes: ["bf16"] } }],
    ["BAD_METADATA", { limits: { allowedKinds: ["soft_tokens"] } }],
    ["BAD_SHAPE", { model: { ...goldenModel, numLayers: 3 } }],
    ["BAD_SHAPE", { model: { ...goldenModel, kvHeads: 8 } }],
    ["BAD_SHAPE", { model: { ...goldenModel, headDim: 128 } }],
    ["MODEL_MISMATCH", { expect: { targetModel: "mistralai/Mistral-7B-Instruct-v0.2" } }],
    ["BINDING_MISMATCH", { expect: { contextSha256: contextSha256("another challenge") } }],
    ["HOTKEY_MISMATCH", { expect: { minerHotkey: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty" } }],
  ];
  for (const [code, options] of cases) {
    it(`${code} for ${JSON.stringify(options)}`, async () => {
      expect(await codeOf(readContainerHeader(file, options))).toBe(code);
    });
  }

  it("accepts the same file with matching options, from a path, a handle or bytes", async () => {
    const options = { model: goldenModel, expect: { contextSha256: contextSha256(manifest.context), targetModel: "condense/golden-tiny" } };
    const a = await readContainerHeader(file, options);
    const handle = await open(file, "r");
    try {
      const b = await readContainerHeader(handle, options);
      expect(b).toEqual(a);
    } finally {
      await handle.close();
    }
    const bytes = readFileSync(file);
    expect(await parseContainerHeader(bytes, bytes.length, options)).toEqual(a);
    // only the first 8 + N bytes of a download, with its content-length
    expect(await parseContainerHeader(bytes.subarray(0, a.dataOffset), bytes.length, options)).toEqual(a);
    expect(await codeOf(parseContainerHeader(bytes.subarray(0, a.dataOffset - 1), bytes.length, options))).toBe("TRUNCATED");
    expect(a.numLayers).toBe(2);
    expect(a.tensors.map((t) => t.name)).toEqual(["key_0", "value_0", "key_1", "value_1"]);
  });

  it("soft tokens are checked against the model's hidden size", async () => {
    const soft = path.join(GOLDEN, "soft_tokens_bf16.safetensors");
    expect((await readContainerHeader(soft, { model: goldenModel })).meta.kind).toBe("soft_tokens");
    expect(await codeOf(readContainerHeader(soft, { model: { ...goldenModel, hiddenSize: 4096 } }))).toBe("BAD_SHAPE");
  });

  it("a missing file is IO", async () => {
    expect(await codeOf(readContainerHeader(path.join(dir, "nope.safetensors")))).toBe("IO");
  });
});

/** An edit made on the parsed header, written back compact (the writer's form). */
function viaJson(edit: (h: Record<string, Record<string, unknown>>) => unknown): (t: string) => string {
  return (t) => {
    const h = JSON.parse(t);
    edit(h);
    return JSON.stringify(h);
  };
}

describe("malformed headers beyond the golden set", () => {
  const base = path.join(GOLDEN, "kv_bf16.safetensors");
  const cases: Array<[string, string, (t: string) => string]> = [
    ["a shape whose byte size passes 2^53", "BAD_OFFSETS", (t) => t.replace('"shape":[1,2,3,4]', '"shape":[1,1099511627776,1099511627776,4]')],
    ["leading whitespace", "BAD_HEADER", (t) => ` ${t}`],
    ["a JSON array", "BAD_HEADER", () => "[1,2]"],
    ["NaN in JSON", "BAD_HEADER", (t) => t.replace('"shape":[1,2,3,4]', '"shape":[1,2,NaN,4]')],
    ["a fractional offset", "BAD_HEADER", (t) => t.replace(/"data_offsets":\[0,/, '"data_offsets":[0.5,')],
    ["an extra tensor field", "BAD_HEADER", (t) => t.replace('"dtype":"BF16"', '"dtype":"BF16","x":1')],
    ["a non-string metadata value", "BAD_METADATA", (t) => t.replace('"kept_tokens":"3"', '"kept_tokens":3')],
    ["no __metadata__", "BAD_METADATA", viaJson((h) => delete h.__metadata__)],
    ["a signature written with a space", "BAD_METADATA", (t) => t.replace('"signature":"', '"signature": "')],
    ["an upper-case hash", "BAD_METADATA", (t) => t.replace(/"context_sha256":"([0-9a-f]{64})"/, (_m, h: string) => `"context_sha256":"${h.toUpperCase()}"`)],
    ["a control character in target_model", "BAD_METADATA", (t) => t.replace("condense/golden-tiny", "condense/golden\\u0007tiny")],
    ["a bad ss58 checksum", "BAD_METADATA", (t) => t.replace(manifest.signer.address, manifest.signer.address.slice(0, -1) + "Z")],
    ["params that are not an object", "BAD_METADATA", viaJson((h) => ((h.__metadata__ as Record<string, unknown>).params = "[1]"))],
    ["params that are not JSON", "BAD_METADATA", viaJson((h) => ((h.__metadata__ as Record<string, unknown>).params = "{ratio"))],
    ["an unknown kind", "BAD_METADATA", (t) => t.replace('"kind":"kv"', '"kind":"video"')],
    ["a tensor name outside the scheme", "BAD_TENSOR_SET", (t) => t.replace('"value_1":', '"value_one":')],
    ["an int8 container without scales", "BAD_TENSOR_SET", (t) => t.replace('"dtype":"bf16"', '"dtype":"int8"')],
    ["soft tokens in a kv container", "BAD_TENSOR_SET", (t) => t.replace('"kind":"kv"', '"kind":"soft_tokens"')],
    ["batch of two", "BAD_SHAPE", (t) => t.replaceAll('"shape":[1,2,3,4]', '"shape":[2,2,3,2]')],
  ];
  for (const [what, code, edit] of cases) {
    it(`${what} -> ${code}`, async () => {
      expect(await codeOf(readContainerHeader(rewriteHeader(base, edit), { model: goldenModel }))).toBe(code);
    });
  }

  it("invalid UTF-8 in the header is BAD_HEADER", async () => {
    const raw = readFileSync(base);
    const at = raw.indexOf("condense/golden-tiny");
    raw[at] = 0xff;
    const out = path.join(dir, "utf8.safetensors");
    writeFileSync(out, raw);
    expect(await codeOf(readContainerHeader(out))).toBe("BAD_HEADER");
  });
});

describe("signContainer", () => {
  it("patches only the 128 signature bytes and the result verifies", async () => {
    const { alice } = await devKeys();
    const file = copy("kv_bf16.safetensors");
    const before = readFileSync(file);
    const unsigned = await readContainerHeader(file);
    const signed = await signContainer(file, alice);
    const after = readFileSync(file);
    expect(after.length).toBe(before.length);
    const at = unsigned.signatureOffset;
    expect(Buffer.compare(after.subarray(0, at), before.subarray(0, at))).toBe(0);
    expect(Buffer.compare(after.subarray(at + 128), before.subarray(at + 128))).toBe(0);
    expect(after.subarray(at, at + 128).toString("ascii")).toBe(signed.meta.signature);
    const read = await readContainerHeader(file, { model: goldenModel, expect: { minerHotkey: alice.address } });
    expect(read.signed && read.signatureVerified).toBe(true);
  });

  it("refuses to sign twice unless asked, and a re-signature verifies", async () => {
    const { alice } = await devKeys();
    const file = copy("kv_int8.safetensors");
    const first = await signContainer(file, alice);
    expect(await codeOf(signContainer(file, alice))).toBe("ALREADY_SIGNED");
    const second = await signContainer(file, alice, { resign: true });
    expect(second.meta.signature).not.toBe(first.meta.signature); // sr25519 signatures are randomised
    expect((await readContainerHeader(file, { expect: { minerHotkey: alice.address } })).signatureVerified).toBe(true);
  });

  it("refuses a key that is not the container's hotkey, an anonymous container and non-sr25519 keys", async () => {
    const { bob } = await devKeys();
    expect(await codeOf(signContainer(copy("kv_bf16.safetensors"), bob))).toBe("HOTKEY_MISMATCH");
    expect(await codeOf(signContainer(copy("kv_bf16_anonymous.safetensors"), bob))).toBe("HOTKEY_MISMATCH");
    const ed = new Keyring({ type: "ed25519", ss58Format: 42 }).addFromUri("//Alice");
    expect(await codeOf(signContainer(copy("kv_bf16.safetensors"), ed))).toBe("HOTKEY_MISMATCH");
  });

  it("a signer that lies about its address is caught before anything is written", async () => {
    const { alice, bob } = await devKeys();
    const file = copy("kv_bf16.safetensors");
    const before = readFileSync(file);
    const liar = { address: alice.address, type: "sr25519", sign: (m: Uint8Array) => bob.sign(m) };
    expect(await codeOf(signContainer(file, liar))).toBe("BAD_SIGNATURE");
    expect(Buffer.compare(readFileSync(file), before)).toBe(0);
  });

  it("refuses malformed files with their own code", async () => {
    const { alice } = await devKeys();
    expect(await codeOf(signContainer(copy("malformed/gap.safetensors"), alice))).toBe("BAD_OFFSETS");
    expect(await codeOf(signContainer(path.join(dir, "missing.safetensors"), alice))).toBe("IO");
  });
});
