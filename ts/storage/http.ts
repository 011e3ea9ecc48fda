// The miner's built-in object store: files in a folder, served over plain HTTP with URLs that carry an
// expiry and an HMAC in the path (so a URL still ends in the file name, as legacy validators require).
// Hand-written on node:http because it is one read-only route and no static-file plugin is a dependency;
// it supports HEAD and single byte ranges, which parallel downloaders use.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { StorageError, checkKey } from "./errors.js";
import type { ObjectInfo, ObjectStore, PutOptions, PutResult, PutSource, UrlOptions } from "./types.js";

export interface HttpStoreOptions {
  dir: string;
  /** Bind address and port of the HTTP server (port 0 = any free port). */
  host: string;
  port: number;
  /** Base of returned URLs, e.g. http://203.0.113.5:8092; default http://<host>:<bound port>. */
  publicBaseUrl?: string;
  /** HMAC key for URL signatures; random per process when absent (URLs then die with the process). */
  secret?: string;
  urlExpiryS: number;
}

const TMP_PREFIX = ".partial-";

export class HttpStore implements ObjectStore {
  readonly kind = "http" as const;
  private readonly secret: Buffer;
  private baseUrl = "";

  private constructor(
    readonly opts: HttpStoreOptions,
    private readonly server: http.Server,
  ) {
    this.secret = opts.secret ? Buffer.from(opts.secret) : randomBytes(32);
  }

  static async open(opts: HttpStoreOptions): Promise<HttpStore> {
    await mkdir(opts.dir, { recursive: true });
    const server = http.createServer();
    const store = new HttpStore(opts, server);
    server.on("request", (req, res) => void store.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) => reject(new StorageError("unavailable", `http store cannot listen on ${opts.host}:${opts.port}: ${e.message}`, { cause: e })));
      server.listen(opts.port, opts.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address === "0.0.0.0" ? "127.0.0.1" : addr.address;
    store.baseUrl = (opts.publicBaseUrl ?? `http://${host}:${addr.port}`).replace(/\/+$/, "");
    return store;
  }

  /** Changes the base of returned URLs (e.g. to the externally reachable address once it is known). */
  withPublicBase(base: string): this {
    this.baseUrl = base.replace(/\/+$/, "");
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private file(key: string): string {
    return path.join(this.opts.dir, ...checkKey(key).split("/"));
  }

  private sign(exp: number, key: string): string {
    return createHmac("sha256", this.secret).update(`${exp}/${key}`).digest("hex").slice(0, 32);
  }

  async put(key: string, source: PutSource, opts: PutOptions = {}): Promise<PutResult> {
    const dest = this.file(key);
    await mkdir(path.dirname(dest), { recursive: true });
    if (opts.signal?.aborted) throw new StorageError("aborted", `put ${key}: aborted`);
    // Write under a temporary name and rename: readers never see a partial object.
    const tmp = path.join(path.dirname(dest), `${TMP_PREFIX}${randomUUID()}`);
    try {
      if ("path" in source) {
        try {
          await link(source.path, tmp); // same filesystem: no copy at all
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT") throw new StorageError("invalid_source", `cannot read ${source.path}: no such file`, { cause: e });
          await copyFile(source.path, tmp);
        }
      } else {
        await writeFile(tmp, source.bytes, opts.signal ? { signal: opts.signal } : {});
      }
      if (opts.signal?.aborted) throw new StorageError("aborted", `put ${key}: aborted`);
      await rename(tmp, dest);
      return { key, bytes: (await stat(dest)).size };
    } catch (e) {
      await rm(tmp, { force: true });
      if (e instanceof StorageError) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.name === "AbortError") throw new StorageError("aborted", `put ${key}: aborted`, { cause: e });
      throw new StorageError(err.code === "ENOENT" ? "invalid_source" : "rejected", `put ${key}: ${err.message}`, { cause: e });
    }
  }

  async url(key: string, opts: UrlOptions = {}): Promise<string> {
    checkKey(key);
    const exp = Math.floor(Date.now() / 1000) + (opts.expiresInS ?? this.opts.urlExpiryS);
    return `${this.baseUrl}/objects/${exp}/${this.sign(exp, key)}/${key}`;
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.file(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new StorageError("rejected", `delete ${key}: ${(e as Error).message}`, { cause: e });
    }
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    const walk = async function* (dir: string, rel: string): AsyncGenerator<ObjectInfo> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const d of entries) {
        const relKey = rel ? `${rel}/${d.name}` : d.name;
        if (d.isDirectory()) yield* walk(path.join(dir, d.name), relKey);
        else if (d.isFile() && !d.name.startsWith(TMP_PREFIX) && relKey.startsWith(prefix)) {
          const s = await stat(path.join(dir, d.name)).catch(() => null);
          if (s) yield { key: relKey, bytes: s.size, lastModified: s.mtime };
        }
      }
    };
    yield* walk(this.opts.dir, "");
  }

  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    let n = 0;
    for await (const o of this.list()) {
      if (now - o.lastModified.getTime() > maxAgeMs) {
        await this.delete(o.key);
        n++;
      }
    }
    return n;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const fail = (status: number, message: string) => {
      if (!res.headersSent) res.writeHead(status, { "content-type": "text/plain" });
      res.end(req.method === "HEAD" ? undefined : message + "\n");
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") return fail(405, "method not allowed");
      const m = /^\/objects\/(\d{1,12})\/([0-9a-f]{32})\/(.+)$/.exec(decodeURIComponent((req.url ?? "").split("?")[0]!));
      if (!m) return fail(404, "not found");
      const exp = Number(m[1]);
      const key = m[3]!;
      try {
        checkKey(key);
      } catch {
        return fail(404, "not found");
      }
      const want = Buffer.from(this.sign(exp, key));
      const got = Buffer.from(m[2]!);
      if (want.length !== got.length || !timingSafeEqual(want, got)) return fail(403, "bad signature");
      if (exp < Date.now() / 1000) return fail(403, "url expired");
      const file = this.file(key);
      const s = await stat(file).catch(() => null);
      if (!s?.isFile()) return fail(404, "not found");
      let start = 0;
      let end = s.size - 1;
      let status = 200;
      const range = req.headers.range;
      if (range) {
        const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
        if (!r || (r[1] === "" && r[2] === "")) return fail(416, "unsupported range");
        if (r[1] === "") start = Math.max(0, s.size - Number(r[2]));
        else {
          start = Number(r[1]);
          if (r[2] !== "") end = Math.min(end, Number(r[2]));
        }
        if (start > end || start >= s.size) {
          res.writeHead(416, { "content-range": `bytes */${s.size}` });
          return void res.end();
        }
        status = 206;
      }
      const headers: http.OutgoingHttpHeaders = {
        "content-type": "application/octet-stream",
        "content-length": end - start + 1,
        "accept-ranges": "bytes",
        "last-modified": s.mtime.toUTCString(),
      };
      if (status === 206) headers["content-range"] = `bytes ${start}-${end}/${s.size}`;
      res.writeHead(status, headers);
      if (req.method === "HEAD" || s.size === 0) return void res.end();
      const stream = createReadStream(file, { start, end });
      stream.on("error", () => res.destroy());
      stream.pipe(res);
    } catch {
      fail(500, "internal error");
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
