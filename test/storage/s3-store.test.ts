// The S3 store against a real S3-compatible HTTP server on loopback (moto; see docs/storage.md).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ListMultipartUploadsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store, StorageError, type S3StoreOptions } from "../../ts/storage/index.js";
import { startS3Server, type S3Server } from "../../ts/storage/local-s3.js";

let server: S3Server;
let dir: string;
let store: S3Store;

const base = (endpoint: string): S3StoreOptions => ({
  endpoint,
  region: "us-east-1",
  bucket: "condense-test",
  accessKeyId: "test",
  secretAccessKey: "test",
  forcePathStyle: true,
  prefix: "containers",
  urlExpiryS: 600,
  partSizeBytes: 5 * 1024 * 1024,
  queueSize: 2,
  createBucket: true,
  connectTimeoutMs: 1000,
  requestTimeoutMs: 30_000,
  maxAttempts: 1,
});

beforeAll(async () => {
  server = await startS3Server();
  dir = await mkdtemp(path.join(os.tmpdir(), "s3store-"));
  store = await S3Store.open(base(server.endpoint));
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("S3Store against a real S3 server", () => {
  it("puts bytes and returns a presigned URL that downloads them", async () => {
    const data = Buffer.from("a small container");
    expect(await store.put("research/small.bin", { bytes: data })).toEqual({ key: "research/small.bin", bytes: data.length });
    const url = await store.url("research/small.bin");
    expect(url).toContain("X-Amz-Signature=");
    expect(url).toContain("X-Amz-Expires=600");
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(data);
  });

  it("streams a file of one part as a single PUT, byte for byte; an aborted PUT stores nothing", async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < data.length; i += 1024) data.writeUInt32LE(i * 3, i);
    const file = path.join(dir, "one-part.bin");
    await writeFile(file, data);
    expect((await store.put("research/one-part.bin", { path: file })).bytes).toBe(data.length);
    const got = Buffer.from(await (await fetch(await store.url("research/one-part.bin"))).arrayBuffer());
    expect(got.equals(data)).toBe(true);
    const ac = new AbortController();
    ac.abort();
    await expect(store.put("research/aborted.bin", { path: file }, { signal: ac.signal })).rejects.toMatchObject({ code: "aborted" });
    const keys: string[] = [];
    for await (const o of store.list("research/aborted")) keys.push(o.key);
    expect(keys).toEqual([]);
  });

  it("a file above the in-memory threshold but within one part is streamed as a single PUT", async () => {
    const big = await S3Store.open({ ...base(server.endpoint), partSizeBytes: 16 * 1024 * 1024 });
    try {
      const data = Buffer.alloc(9 * 1024 * 1024 + 1);
      for (let i = 0; i + 4 <= data.length; i += 4096) data.writeUInt32LE(i ^ 0x5a5a, i);
      const file = path.join(dir, "nine.bin");
      await writeFile(file, data);
      await big.put("research/nine.bin", { path: file });
      const got = Buffer.from(await (await fetch(await big.url("research/nine.bin"))).arrayBuffer());
      expect(got.equals(data)).toBe(true);
    } finally {
      await big.close();
    }
  });

  it("uploads a file larger than one part as a multipart upload, byte for byte", async () => {
    const size = 12 * 1024 * 1024 + 123; // three parts of 5 MiB
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) data.writeUInt32LE(i, i);
    const file = path.join(dir, "big.bin");
    await writeFile(file, data);
    const r = await store.put("research/big.bin", { path: file });
    expect(r.bytes).toBe(size);
    const res = await fetch(await store.url("research/big.bin"));
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(size);
    expect(got.equals(data)).toBe(true);
    // lib-storage uses multipart for bodies above one part: the server holds one complete object, no open uploads.
    const open = await store.client.send(new ListMultipartUploadsCommand({ Bucket: "condense-test" }));
    expect(open.Uploads ?? []).toHaveLength(0);
  });

  it("public URLs are plain (no query) when a public base is configured", async () => {
    const pub = await S3Store.open({ ...base(server.endpoint), publicBaseUrl: `${server.endpoint}/condense-test/` });
    try {
      const url = await pub.url("research/small.bin");
      expect(url).toBe(`${server.endpoint}/condense-test/containers/research/small.bin`);
    } finally {
      await pub.close();
    }
  });

  it("sweep deletes objects older than the age, keeps newer ones", async () => {
    await store.put("sweep/a.bin", { bytes: Buffer.from("a") });
    await store.put("sweep/b.bin", { bytes: Buffer.from("b") });
    // Nothing is older than an hour yet.
    expect(await store.sweep(3600_000)).toBe(0);
    // Seen from two hours in the future, everything is old.
    const keysBefore: string[] = [];
    for await (const o of store.list("sweep/")) keysBefore.push(o.key);
    expect(keysBefore.sort()).toEqual(["sweep/a.bin", "sweep/b.bin"]);
    const n = await store.sweep(3600_000, Date.now() + 2 * 3600_000);
    expect(n).toBeGreaterThanOrEqual(2);
    const keysAfter: string[] = [];
    for await (const o of store.list()) keysAfter.push(o.key);
    expect(keysAfter).toEqual([]);
  });

  it("delete removes one object", async () => {
    await store.put("d/x.bin", { bytes: Buffer.from("x") });
    await store.delete("d/x.bin");
    const res = await fetch(await store.url("d/x.bin"));
    expect(res.status).toBe(404);
  });

  it("a missing bucket without create_bucket fails with a clear not_found", async () => {
    const err = await S3Store.open({ ...base(server.endpoint), bucket: "no-such-bucket", createBucket: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe("not_found");
    expect((err as StorageError).message).toContain("no-such-bucket");
  });

  it("storage down: put fails with a typed unavailable error, quickly", async () => {
    const second = await startS3Server();
    const doomed = await S3Store.open({ ...base(second.endpoint), bucket: "doomed" });
    await second.stop();
    const err = await doomed.put("down/x.bin", { bytes: Buffer.alloc(1000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe("unavailable");
    expect((err as StorageError).message).toContain("down/x.bin");
    await doomed.close();
  });

  it("a multipart upload that fails midway is aborted: no object, no open upload", async () => {
    const size = 11 * 1024 * 1024;
    const file = path.join(dir, "abort.bin");
    await writeFile(file, Buffer.alloc(size, 1));
    const ac = new AbortController();
    const p = store.put("abort/x.bin", { path: file }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    const err = await p.catch((e: unknown) => e);
    if (err instanceof StorageError) {
      expect(err.code).toBe("aborted");
      const keys: string[] = [];
      for await (const o of store.list("abort/")) keys.push(o.key);
      expect(keys).toEqual([]);
    } else {
      // The upload won the race: then it must be whole.
      const res = await fetch(await store.url("abort/x.bin"));
      expect((await res.arrayBuffer()).byteLength).toBe(size);
    }
    await new Promise((r) => setTimeout(r, 200));
    const open = await store.client.send(new ListMultipartUploadsCommand({ Bucket: "condense-test" }));
    expect(open.Uploads ?? []).toHaveLength(0);
  });

  it("rejects invalid keys before talking to the server", async () => {
    await expect(store.put("/abs", { bytes: Buffer.from("x") })).rejects.toMatchObject({ code: "invalid_key" });
    await expect(store.put("a/../b", { bytes: Buffer.from("x") })).rejects.toMatchObject({ code: "invalid_key" });
  });

  it("objects written outside the prefix are not listed or swept", async () => {
    await store.client.send(new PutObjectCommand({ Bucket: "condense-test", Key: "other/keep.bin", Body: "k" }));
    expect(await store.sweep(0, Date.now() + 10 * 3600_000)).toBe(0);
  });
});
