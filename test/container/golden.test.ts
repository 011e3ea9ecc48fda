// The golden container files against the TypeScript header reader and signature check.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  ContainerError,
  readContainerHeader,
  signingMessage,
  verifyContainerData,
  verifyContainerSignature,
} from "../../ts/container/index.js";
import { GOLDEN, goldenModel, manifest } from "./helpers.js";

const expectBase = { targetModel: "condense/golden-tiny", contextSha256: manifest.context_sha256 };

describe("golden valid files", () => {
  it("has the files the spec promises", () => {
    const names = manifest.valid.map((v) => v.file);
    for (const n of ["kv_bf16.safetensors", "kv_f16.safetensors", "kv_f32.safetensors", "kv_int8.safetensors",
      "soft_tokens_bf16.safetensors", "kv_bf16_signed.safetensors", "kv_int8_signed.safetensors", "soft_tokens_bf16_signed.safetensors"]) {
      expect(names).toContain(n);
    }
    expect(createHash("sha256").update(manifest.context, "utf8").digest("hex")).toBe(manifest.context_sha256);
  });

  for (const entry of manifest.valid) {
    it(`${entry.file}: header matches the manifest`, async () => {
      const file = path.join(GOLDEN, entry.file);
      const expectSig = entry.signed ? { minerHotkey: manifest.signer.address } : {};
      const h = await readContainerHeader(file, { model: goldenModel, expect: { ...expectBase, ...expectSig } });
      expect(h.fileBytes).toBe(entry.bytes);
      expect(h.headerBytes).toBe(entry.header_bytes);
      expect(h.signed).toBe(entry.signed);
      expect(h.signatureVerified).toBe(entry.signed);
      const stored = {
        format_version: h.meta.formatVersion, kind: h.meta.kind, target_model: h.meta.targetModel,
        original_tokens: String(h.meta.originalTokens), kept_tokens: String(h.meta.keptTokens), algorithm: h.meta.algorithm,
        params: h.meta.paramsJson, context_sha256: h.meta.contextSha256, data_sha256: h.meta.dataSha256,
        dtype: h.meta.dtype, miner_hotkey: h.meta.minerHotkey, signature: entry.signed ? null : h.meta.signature,
      };
      expect(stored).toEqual(entry.metadata);
      const bytes = readFileSync(file);
      const data = bytes.subarray(h.dataOffset);
      expect(h.tensors.map((t) => ({
        name: t.name, dtype: t.dtype, shape: t.shape, data_offsets: [t.begin, t.end],
        sha256: createHash("sha256").update(data.subarray(t.begin, t.end)).digest("hex"),
      }))).toEqual(entry.tensors);
      if (entry.file_sha256) expect(createHash("sha256").update(bytes).digest("hex")).toBe(entry.file_sha256);
      if (entry.signing_message) expect(Buffer.from(signingMessage(h.meta, h.tensors)).toString("utf8")).toBe(entry.signing_message);
      await verifyContainerData(file, h);
      expect(await verifyContainerSignature(h)).toBe(entry.signed);
    });
  }
});

describe("golden malformed files", () => {
  for (const entry of manifest.malformed.filter((m) => m.ts !== "-")) {
    it(`${entry.file}: ${entry.ts} (${entry.why})`, async () => {
      const run = () => readContainerHeader(path.join(GOLDEN, entry.file), {
        model: goldenModel,
        expect: { ...expectBase, minerHotkey: manifest.signer.address, verifySignature: entry.verify_signature === true },
      });
      if (entry.ts === "ok") {
        expect((await run()).meta.kind).toBe("kv");
        return;
      }
      const err = await run().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ContainerError);
      expect((err as ContainerError).code).toBe(entry.ts);
    });
  }

  it("data_tampered passes the header check and fails the data hash", async () => {
    const file = path.join(GOLDEN, "malformed/data_tampered.safetensors");
    const h = await readContainerHeader(file);
    await expect(verifyContainerData(file, h)).rejects.toMatchObject({ code: "DATA_MISMATCH" });
  });
});
