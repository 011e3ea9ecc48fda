// Cross-language round trips: Python writes, TypeScript checks and signs, Python reads the signed file
// again, TypeScript verifies it.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contextSha256,
  readContainerHeader,
  signContainer,
  signingMessage,
  verifyContainerData,
} from "../../ts/container/index.js";
import { PYTHON, ROOT, devKeys } from "./helpers.js";

const run = promisify(execFile);
const PEER = path.join(ROOT, "test/container/container_peer.py");
const MODEL = { numLayers: 3, kvHeads: 2, headDim: 8, hiddenSize: 24 };
const CONTEXT = "Cross-language context with ünïcode, quotes \" and a newline\nso the hash covers UTF-8.";

async function peer(op: "write" | "read", file: string, dtype: string, kind: string, hotkey: string): Promise<Record<string, unknown>> {
  const out = await run(PYTHON, [PEER, op, file, dtype, kind, "7", CONTEXT, hotkey], { cwd: ROOT }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      if (err.stdout) return { stdout: err.stdout, stderr: err.stderr ?? "" };
      throw err;
    },
  );
  return JSON.parse(out.stdout.trim().split("\n").at(-1) as string);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "container-rt-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Python writes, TypeScript signs, Python reads, TypeScript verifies", () => {
  for (const [kind, dtype] of [["kv", "bf16"], ["kv", "int8"], ["soft_tokens", "bf16"]] as const) {
    it(`${kind} ${dtype}`, async () => {
      const { alice } = await devKeys();
      const file = path.join(dir, `${kind}-${dtype}.safetensors`);
      const written = await peer("write", file, dtype, kind, alice.address);
      expect(written.context_sha256).toBe(contextSha256(CONTEXT));

      const expectations = { targetModel: "tiny/cross", contextSha256: contextSha256(CONTEXT) };
      const unsigned = await readContainerHeader(file, { model: MODEL, expect: expectations });
      expect(unsigned.fileBytes).toBe(written.bytes);
      expect(unsigned.meta.dataSha256).toBe(written.data_sha256);
      expect(unsigned.meta.keptTokens).toBe(17);
      expect(unsigned.meta.params).toEqual({ ratio: 0.5, note: "ünïcode" });
      expect(unsigned.signed).toBe(false);
      const signed = await signContainer(file, alice);

      const back = await peer("read", file, dtype, kind, alice.address);
      expect(back).toMatchObject({ signed: true, signature: signed.meta.signature, kept_tokens: 17, same_values: true });
      expect(back.signing_message).toBe(Buffer.from(signingMessage(signed.meta, signed.tensors)).toString("utf8"));

      const verified = await readContainerHeader(file, { model: MODEL, expect: { ...expectations, minerHotkey: alice.address } });
      expect(verified.signatureVerified).toBe(true);
      await verifyContainerData(file, verified);
    });
  }

  it("a byte changed after signing: TS header still verifies (tensor bytes are bound by data_sha256), Python and verifyContainerData refuse", async () => {
    const { alice } = await devKeys();
    const file = path.join(dir, "tampered.safetensors");
    await peer("write", file, "bf16", "kv", alice.address);
    await signContainer(file, alice);
    const raw = readFileSync(file);
    raw.writeUInt8(raw.readUInt8(raw.length - 3) ^ 0x10, raw.length - 3);
    writeFileSync(file, raw);
    const h = await readContainerHeader(file, { model: MODEL, expect: { minerHotkey: alice.address } });
    expect(h.signatureVerified).toBe(true);
    await expect(verifyContainerData(file, h)).rejects.toMatchObject({ code: "DATA_MISMATCH" });
    expect(await peer("read", file, "bf16", "kv", alice.address)).toMatchObject({ error: "DATA_MISMATCH" });
  });

  it("Python refuses a container bound to another hotkey than the one expected", async () => {
    const { alice, bob } = await devKeys();
    const file = path.join(dir, "bob.safetensors");
    await peer("write", file, "bf16", "kv", bob.address);
    expect(await peer("read", file, "bf16", "kv", alice.address)).toMatchObject({ error: "HOTKEY_MISMATCH" });
  });
});
