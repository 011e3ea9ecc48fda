// The whole verification path a hostile miner's answer goes through: a real HTTP server on loopback serving
// containers, the fetcher downloading and checking them (issue 10 §4 and the malicious miners).
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerFetcher, isVerifyError, type ContainerExpectation } from "../../../ts/validator/verify/index.js";
import { GOLDEN, goldenModel, manifest } from "../../container/helpers.js";

const SIGNED = readFileSync(path.join(GOLDEN, "kv_bf16_signed.safetensors"));
function bloated(): Buffer {
  const len = Number(SIGNED.readBigUInt64LE(0));
  const h = JSON.parse(SIGNED.subarray(8, 8 + len).toString("utf8"));
  h.__metadata__.miner_hotkey = "5".repeat(250_000);
  let text = JSON.stringify(h);
  text += " ".repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([prefix, Buffer.from(text), SIGNED.subarray(8 + len)]);
}
const BLOATED = bloated();

let port = 0;
const server = http.createServer((req, res) => {
  const body = req.url === "/bloated" ? BLOATED : SIGNED;
  res.writeHead(200, { "content-length": body.length });
  res.end(body);
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const expectation: ContainerExpectation = {
  targetModel: manifest.valid.find((v) => v.file === "kv_bf16_signed.safetensors")!.metadata.target_model as string,
  model: goldenModel,
  minKeptTokens: 1,
  maxKeptTokens: 16,
  contextSha256: manifest.context_sha256,
  minerHotkey: manifest.signer.address,
};

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isVerifyError(err)) throw new Error(`expected a VerifyError, got ${String(err)}`);
  return err.code;
}

describe("ContainerFetcher: download then check (issue 10 §4)", () => {
  it("accepts an honest container on the local network and hands over a private file", async () => {
    const f = new ContainerFetcher({ allowPrivate: true });
    try {
      const got = await f.fetch(`http://127.0.0.1:${port}/c.safetensors`, expectation, Date.now() + 5_000);
      expect(got.header.signatureVerified).toBe(true);
      expect(readFileSync(got.path).equals(SIGNED)).toBe(true);
      await f.release(got);
      expect(readdirSync(f.dir)).toEqual([]);
    } finally {
      await f.close();
    }
  });

  it("refuses a container replayed from another challenge and deletes it", async () => {
    const f = new ContainerFetcher({ allowPrivate: true });
    try {
      expect(await refusal(f.fetch(`http://127.0.0.1:${port}/c`, { ...expectation, contextSha256: "00".repeat(32) }, Date.now() + 5_000))).toBe("BINDING_MISMATCH");
      expect(readdirSync(f.dir)).toEqual([]);
    } finally {
      await f.close();
    }
  });

  it("refuses a URL at 127.0.0.1 when the private-address exemption is off", async () => {
    const f = new ContainerFetcher({ allowPrivate: false });
    try {
      expect(await refusal(f.fetch(`http://127.0.0.1:${port}/c`, expectation, Date.now() + 5_000))).toBe("ADDRESS_REFUSED");
    } finally {
      await f.close();
    }
  });

  it("refuses a 250,000-character hotkey in the header fast", async () => {
    const f = new ContainerFetcher({ allowPrivate: true });
    try {
      const t0 = performance.now();
      // a tier allowing many tokens, so the byte cap is far above this file and the header checks must catch it
      const code = await refusal(f.fetch(`http://127.0.0.1:${port}/bloated`, { ...expectation, maxKeptTokens: 100_000 }, Date.now() + 5_000));
      expect(["CONTAINER_TOO_LARGE", "CONTAINER_MALFORMED"]).toContain(code);
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(readdirSync(f.dir)).toEqual([]);
    } finally {
      await f.close();
    }
  });
});
