// S3-compatible store (MinIO, AWS, R2, ...) on @aws-sdk/client-s3. Objects up to one part go up as one
// streamed PutObject (atomic on the server); larger ones as multipart uploads through @aws-sdk/lib-storage,
// which aborts the multipart upload on failure (no partial object).
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { StorageError, checkKey, classifyStorageError } from "./errors.js";
import type { ObjectInfo, ObjectStore, PutOptions, PutResult, PutSource, UrlOptions } from "./types.js";

const SMALL_FILE_BYTES = 8 * 1024 * 1024;

function destroyStream(body: unknown): void {
  if (body && typeof (body as { destroy?: unknown }).destroy === "function" && !(body instanceof Uint8Array)) (body as { destroy(): void }).destroy();
}

export interface S3StoreOptions {
  /** Custom endpoint (MinIO, R2, a local server); absent = AWS for `region`. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style URLs (http://host/bucket/key): needed by MinIO and most self-hosted servers. */
  forcePathStyle: boolean;
  /** Prepended to every key. */
  prefix: string;
  /** Default lifetime of presigned GET URLs. */
  urlExpiryS: number;
  /** When set, URLs are `${publicBaseUrl}/${key}` (a public-read bucket; what legacy validators expect:
   * a URL that ends in the file name, with no query string). */
  publicBaseUrl?: string;
  /** Parts of a multipart upload (>= 5 MiB, S3's minimum); smaller objects go up in one PUT. */
  partSizeBytes: number;
  /** Parts uploaded in parallel. */
  queueSize: number;
  /** Create the bucket at open() when missing. */
  createBucket: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** SDK attempts per call (1 = no retry); kept low so a dead store fails fast. */
  maxAttempts: number;
}

export class S3Store implements ObjectStore {
  readonly kind = "s3" as const;
  readonly client: S3Client;

  private constructor(readonly opts: S3StoreOptions) {
    this.client = new S3Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle,
      credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
      maxAttempts: opts.maxAttempts,
      requestHandler: { connectionTimeout: opts.connectTimeoutMs, requestTimeout: opts.requestTimeoutMs },
    });
  }

  /** Opens the store and checks the bucket is reachable (creating it when configured to). */
  static async open(opts: S3StoreOptions): Promise<S3Store> {
    const store = new S3Store(opts);
    try {
      await store.client.send(new HeadBucketCommand({ Bucket: opts.bucket }));
    } catch (e) {
      const err = classifyStorageError(e, `bucket ${opts.bucket}`);
      if (err.code === "not_found" && opts.createBucket) {
        try {
          await store.client.send(new CreateBucketCommand({ Bucket: opts.bucket }));
        } catch (e2) {
          store.client.destroy();
          throw classifyStorageError(e2, `create bucket ${opts.bucket}`);
        }
      } else {
        store.client.destroy();
        throw err;
      }
    }
    return store;
  }

  private fullKey(key: string): string {
    return this.opts.prefix ? `${this.opts.prefix.replace(/\/+$/, "")}/${checkKey(key)}` : checkKey(key);
  }

  async put(key: string, source: PutSource, opts: PutOptions = {}): Promise<PutResult> {
    const Key = this.fullKey(key);
    let bytes: number;
    let Body: Uint8Array | NodeJS.ReadableStream;
    if ("path" in source) {
      try {
        bytes = (await stat(source.path)).size;
        // Small files (tmpfs, a few MiB) are read whole: one buffer PUT beats a chunked stream; larger
        // ones stream so memory stays bounded.
        Body = bytes <= SMALL_FILE_BYTES ? await readFile(source.path) : createReadStream(source.path);
      } catch (e) {
        throw new StorageError("invalid_source", `cannot read ${source.path}: ${(e as Error).message}`, { cause: e });
      }
    } else {
      bytes = source.bytes.byteLength;
      Body = source.bytes;
    }
    if (opts.signal?.aborted) throw new StorageError("aborted", `put ${Key}: aborted`);
    const ContentType = opts.contentType ?? "application/octet-stream";
    if (bytes <= this.opts.partSizeBytes) {
      // One part: a plain PutObject streams the file as it is read (lib-storage would buffer the part first).
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.opts.bucket, Key, Body: Body as never, ContentLength: bytes, ContentType }), opts.signal ? { abortSignal: opts.signal } : {});
      } catch (e) {
        destroyStream(Body);
        throw classifyStorageError(opts.signal?.aborted ? Object.assign(new Error("aborted"), { name: "AbortError" }) : e, `put ${Key}`);
      }
      return { key, bytes };
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.opts.bucket, Key, Body: Body as never, ContentLength: bytes, ContentType },
      partSize: this.opts.partSizeBytes,
      queueSize: this.opts.queueSize,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort().catch(() => undefined);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await upload.done();
    } catch (e) {
      destroyStream(Body);
      throw classifyStorageError(opts.signal?.aborted ? Object.assign(new Error("aborted"), { name: "AbortError" }) : e, `put ${Key}`);
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
    return { key, bytes };
  }

  async url(key: string, opts: UrlOptions = {}): Promise<string> {
    const Key = this.fullKey(key);
    if (this.opts.publicBaseUrl) return `${this.opts.publicBaseUrl.replace(/\/+$/, "")}/${Key}`;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.opts.bucket, Key }), { expiresIn: opts.expiresInS ?? this.opts.urlExpiryS });
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key }));
    } catch (e) {
      throw classifyStorageError(e, `delete ${Key}`);
    }
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    const base = this.opts.prefix ? `${this.opts.prefix.replace(/\/+$/, "")}/` : "";
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.opts.bucket, Prefix: base + prefix })) {
        for (const o of page.Contents ?? []) {
          if (!o.Key) continue;
          yield { key: o.Key.slice(base.length), bytes: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
        }
      }
    } catch (e) {
      throw classifyStorageError(e, `list ${this.opts.bucket}/${base + prefix}`);
    }
  }

  async sweep(maxAgeMs: number, now = Date.now()): Promise<number> {
    const old: string[] = [];
    for await (const o of this.list()) if (now - o.lastModified.getTime() > maxAgeMs) old.push(this.fullKey(o.key));
    let deleted = 0;
    // DeleteObjects takes at most 1000 keys per call.
    for (let i = 0; i < old.length; i += 1000) {
      const batch = old.slice(i, i + 1000);
      try {
        const r = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.opts.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        deleted += batch.length - (r.Errors?.length ?? 0);
      } catch (e) {
        throw classifyStorageError(e, `sweep ${this.opts.bucket}`);
      }
    }
    return deleted;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
