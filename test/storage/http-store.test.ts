import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpStore, StorageError } from "../../ts/storage/index.js";

let dir: string;
let store: HttpStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "httpstore-"));
  store = await HttpStore.open({ dir: path.join(dir, "objects"), host: "127.0.0.1", port: 0, urlExpiryS: 60, secret: "test-secret" });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe("HttpStore", () => {
  it("stores bytes and serves them at a signed URL that ends in the key", async () => {
    const data = Buffer.from("hello container bytes");
    const r = await store.put("research/a.safetensors", { bytes: data });
    expect(r).toEqual({ key: "research/a.safetensors", bytes: data.length });
    const url = await store.url("research/a.safetensors");
    expect(url.endsWith("/research/a.safetensors")).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(data);
  });

  it("stores a file by path and answers HEAD and byte ranges", async () => {
    const src = path.join(dir, "src.bin");
    const data = Buffer.alloc(10_000, 7);
    data.write("START", 0);
    await writeFile(src, data);
    await store.put("f/b.npy", { path: src });
    const url = await store.url("f/b.npy");
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10000");
    const part = await fetch(url, { headers: { range: "bytes=0-4" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 0-4/10000");
    expect(await part.text()).toBe("START");
    const tail = await fetch(url, { headers: { range: "bytes=-3" } });
    expect((await tail.arrayBuffer()).byteLength).toBe(3);
    const bad = await fetch(url, { headers: { range: "bytes=20000-" } });
    expect(bad.status).toBe(416);
  });

  it("copies a file from another filesystem (tmpfs) when a hard link is impossible", async () => {
    const shm = existsSync("/dev/shm") ? await mkdtemp("/dev/shm/httpstore-src-") : await mkdtemp(path.join(os.tmpdir(), "httpstore-src-"));
    try {
      const src = path.join(shm, "c.bin");
      await writeFile(src, Buffer.from("from tmpfs"));
      await store.put("x/from-shm.bin", { path: src });
      await rm(src);
      expect(await (await fetch(await store.url("x/from-shm.bin"))).text()).toBe("from tmpfs");
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  it("refuses tampered signatures, expired URLs, unknown keys and path escapes", async () => {
    await store.put("x/c.bin", { bytes: Buffer.from("c") });
    const url = await store.url("x/c.bin");
    const tampered = url.replace(/\/([0-9a-f]{32})\//, (_m, sig: string) => `/${sig.startsWith("0") ? "1" : "0"}${sig.slice(1)}/`);
    expect((await fetch(tampered)).status).toBe(403);
    const otherKey = url.replace("x/c.bin", "x/d.bin");
    expect((await fetch(otherKey)).status).toBe(403);
    const expired = await store.url("x/c.bin", { expiresInS: -10 });
    const r = await fetch(expired);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain("expired");
    const missing = await store.url("x/none.bin");
    expect((await fetch(missing)).status).toBe(404);
    expect((await fetch(url.replace(/\/objects\/.*/, "/objects/1/2/../../etc/passwd"))).status).toBe(404);
    await expect(store.put("../escape", { bytes: Buffer.from("x") })).rejects.toMatchObject({ code: "invalid_key" });
  });

  it("fails a put from a missing file with invalid_source and leaves nothing behind", async () => {
    const err = await store.put("y/missing.bin", { path: path.join(dir, "nope") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe("invalid_source");
    const names = await readdir(path.join(dir, "objects", "y"));
    expect(names).toEqual([]);
  });

  it("an aborted put stores nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(store.put("z/aborted.bin", { bytes: Buffer.alloc(10) }, { signal: ac.signal })).rejects.toMatchObject({ code: "aborted" });
    const keys: string[] = [];
    for await (const o of store.list("z/")) keys.push(o.key);
    expect(keys).toEqual([]);
  });

  it("sweep deletes only objects older than the age and list reflects it", async () => {
    await store.put("s/old.bin", { bytes: Buffer.from("old") });
    await store.put("s/new.bin", { bytes: Buffer.from("new") });
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(path.join(dir, "objects", "s", "old.bin"), old, old);
    const n = await store.sweep(3600_000);
    expect(n).toBe(1);
    const keys: string[] = [];
    for await (const o of store.list("s/")) keys.push(o.key);
    expect(keys).toEqual(["s/new.bin"]);
  });
});
