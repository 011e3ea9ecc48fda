// Container checks a hostile miner must not get past (issue 10 §4): shapes, bounds, dtype, binding to the
// challenge's context and to the miner's hotkey signature, and a header bloated to hold the reader.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkContainer, createPrivateDir, isVerifyError, maxContainerBytes, maxHeaderBytes, removePrivateDir, type ContainerExpectation } from "../../../ts/validator/verify/index.js";
import { GOLDEN, devKeys, goldenModel, manifest } from "../../container/helpers.js";

const dir = createPrivateDir("condense-test-ct-");
afterAll(() => removePrivateDir(dir));

const SIGNED = path.join(GOLDEN, "kv_bf16_signed.safetensors");
const base: ContainerExpectation = {
  targetModel: manifest.valid.find((v) => v.file === "kv_bf16_signed.safetensors")!.metadata.target_model as string,
  model: goldenModel,
  minKeptTokens: 1,
  maxKeptTokens: 16,
  contextSha256: manifest.context_sha256,
  minerHotkey: manifest.signer.address,
};

let n = 0;
function editHeader(file: string, edit: (h: Record<string, unknown> & { __metadata__: Record<string, string> }) => void): string {
  const raw = readFileSync(file);
  const len = Number(raw.readBigUInt64LE(0));
  const h = JSON.parse(raw.subarray(8, 8 + len).toString("utf8"));
  edit(h);
  let text = JSON.stringify(h);
  text += " ".repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  const out = path.join(dir, `edited-${n++}.safetensors`);
  writeFileSync(out, Buffer.concat([prefix, Buffer.from(text, "utf8"), raw.subarray(8 + len)]));
  return out;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isVerifyError(err)) throw new Error(`expected a VerifyError, got ${String(err)}`);
  return err.code;
}

describe("container checks before Evaluate (issue 10 §4)", () => {
  it("accepts the honest miner's signed container for its own challenge", async () => {
    const h = await checkContainer(SIGNED, base);
    expect(h.signatureVerified).toBe(true);
    expect(h.meta.keptTokens).toBe(3);
  });

  it("refuses a container made for another challenge (replayed from another miner's context)", async () => {
    expect(await refusal(checkContainer(SIGNED, { ...base, contextSha256: "ab".repeat(32) }))).toBe("BINDING_MISMATCH");
  });

  it("refuses a container naming another miner", async () => {
    const { bob } = await devKeys();
    expect(await refusal(checkContainer(SIGNED, { ...base, minerHotkey: bob.address }))).toBe("HOTKEY_MISMATCH");
  });

  it("refuses a forged binding: the context hash rewritten to this challenge's, the old signature kept", async () => {
    const target = "cd".repeat(32);
    const forged = editHeader(SIGNED, (h) => {
      h.__metadata__.context_sha256 = target;
    });
    expect(await refusal(checkContainer(forged, { ...base, contextSha256: target }))).toBe("BAD_SIGNATURE");
  });

  it("refuses an unsigned container", async () => {
    const file = path.join(dir, "unsigned.safetensors");
    copyFileSync(path.join(GOLDEN, "kv_bf16.safetensors"), file);
    expect(await refusal(checkContainer(file, base))).toBe("UNSIGNED");
  });

  it("refuses shapes that do not match the target model", async () => {
    expect(await refusal(checkContainer(SIGNED, { ...base, model: { ...goldenModel, headDim: 8 } }))).toBe("SHAPE_MISMATCH");
    expect(await refusal(checkContainer(SIGNED, { ...base, model: { ...goldenModel, numLayers: 4 } }))).toBe("SHAPE_MISMATCH");
  });

  it("refuses kept tokens outside the tier's bounds", async () => {
    expect(await refusal(checkContainer(SIGNED, { ...base, minKeptTokens: 4 }))).toBe("TOKEN_BOUNDS");
  });

  it("refuses a dtype the tier does not accept, and another target model", async () => {
    expect(await refusal(checkContainer(SIGNED, { ...base, allowedDtypes: ["f32"] }))).toBe("DTYPE_REFUSED");
    expect(await refusal(checkContainer(SIGNED, { ...base, targetModel: "someone/else" }))).toBe("MODEL_MISMATCH");
  });

  it("refuses a 250,000-character hotkey in the header fast", async () => {
    const bloated = editHeader(SIGNED, (h) => {
      h.__metadata__.miner_hotkey = "5".repeat(250_000);
    });
    const t0 = performance.now();
    const code = await refusal(checkContainer(bloated, { ...base, minerHotkey: "5".repeat(250_000) }));
    expect(["CONTAINER_TOO_LARGE", "CONTAINER_MALFORMED"]).toContain(code);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it("refuses a hotkey just under the header cap fast too (no quadratic base58 decode)", async () => {
    const long = editHeader(SIGNED, (h) => {
      h.__metadata__.miner_hotkey = "5".repeat(12_000);
    });
    const t0 = performance.now();
    expect(await refusal(checkContainer(long, base))).toBe("CONTAINER_MALFORMED");
    expect(performance.now() - t0).toBeLessThan(300);
  });

  it("refuses a file bigger than the tier and model allow", async () => {
    const cap = maxContainerBytes({ model: goldenModel, maxKeptTokens: 16, allowedDtypes: ["bf16"] });
    const big = path.join(dir, "padded.safetensors");
    writeFileSync(big, Buffer.concat([readFileSync(SIGNED), Buffer.alloc(cap)]));
    expect(await refusal(checkContainer(big, { ...base, allowedDtypes: ["bf16"] }))).toBe("CONTAINER_TOO_LARGE");
  });
});

describe("container size cap from the tier and the model (issue 10 §4)", () => {
  it("is the widest dtype's tensors at max tokens plus the header cap", () => {
    const mistral = { numLayers: 32, kvHeads: 8, headDim: 128 };
    const hdr = maxHeaderBytes(mistral);
    // research tier: 1536 tokens of f32 = 2 x 32 x 8 x 1536 x 128 x 4 bytes = 384 MiB
    expect(maxContainerBytes({ model: mistral, maxKeptTokens: 1536, allowedDtypes: ["bf16", "f32"] })).toBe(8 + hdr + 384 * 1024 * 1024);
    expect(maxContainerBytes({ model: mistral, maxKeptTokens: 1536, allowedDtypes: ["bf16"] })).toBe(8 + hdr + 192 * 1024 * 1024);
    // int8 adds one f32 scale per (head, channel) per tensor
    expect(maxContainerBytes({ model: mistral, maxKeptTokens: 1536, allowedDtypes: ["int8"] })).toBe(8 + hdr + 2 * 32 * (8 * 1536 * 128 + 8 * 128 * 4));
    expect(hdr).toBeLessThan(64 * 1024);
  });
});
