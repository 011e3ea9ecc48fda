// Storage flags and their schema (--storage.*), and the factory that opens the configured store.
import path from "node:path";
import { z } from "zod";
import type { OptionSpec } from "../config/options.js";
import { HttpStore } from "./http.js";
import { S3Store } from "./s3.js";
import type { ObjectStore } from "./types.js";

export const STORAGE_OPTIONS: readonly OptionSpec[] = [
  { key: "storage.kind", type: "string", describe: "where containers go: s3 (any S3-compatible endpoint) or http (served by the miner)", choices: ["s3", "http"] },
  { key: "storage.prefix", type: "string", describe: "key prefix for stored containers" },
  { key: "storage.url_expiry_s", type: "number", describe: "lifetime of signed download URLs, seconds" },
  { key: "storage.max_age_s", type: "number", describe: "the sweep deletes containers older than this, seconds" },
  { key: "storage.sweep_interval_s", type: "number", describe: "how often the sweep runs, seconds (0 = never)" },
  { key: "storage.s3.endpoint", type: "string", describe: "S3 endpoint URL (MinIO, R2, ...); empty = AWS" },
  { key: "storage.s3.region", type: "string", describe: "S3 region" },
  { key: "storage.s3.bucket", type: "string", describe: "S3 bucket" },
  { key: "storage.s3.access_key", type: "string", describe: "S3 access key id (or AWS_ACCESS_KEY_ID)" },
  { key: "storage.s3.secret_key", type: "string", describe: "S3 secret key (or AWS_SECRET_ACCESS_KEY)" },
  { key: "storage.s3.path_style", type: "boolean", describe: "path-style addressing (MinIO and most self-hosted servers)" },
  { key: "storage.s3.public_url", type: "string", describe: "return plain public URLs under this base instead of presigned ones (public-read bucket)" },
  { key: "storage.s3.create_bucket", type: "boolean", describe: "create the bucket at start when missing" },
  { key: "storage.s3.part_size_mb", type: "number", describe: "multipart part size, MiB (>= 5)" },
  { key: "storage.http.dir", type: "string", describe: "folder of the built-in HTTP store" },
  { key: "storage.http.host", type: "string", describe: "bind address of the built-in HTTP store" },
  { key: "storage.http.port", type: "number", describe: "port of the built-in HTTP store (0 = any)" },
  { key: "storage.http.public_url", type: "string", describe: "base of URLs handed to validators (default http://<external ip>:<port>)" },
];

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http(s):// URL");

export const StorageConfigSchema = z
  .strictObject({
    kind: z.enum(["s3", "http"]).default("http"),
    prefix: z.string().regex(/^[A-Za-z0-9._\-/]*$/, "only [A-Za-z0-9._-/] allowed").default("containers"),
    url_expiry_s: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
    max_age_s: z.number().int().min(1).default(3600),
    sweep_interval_s: z.number().int().min(0).default(300),
    s3: z
      .strictObject({
        endpoint: httpUrl.optional(),
        region: z.string().min(1).default("us-east-1"),
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "not a valid S3 bucket name (3-63 chars of a-z 0-9 . -)")
          .default("condense-miner"),
        access_key: z.string().min(1).optional(),
        secret_key: z.string().min(1).optional(),
        path_style: z.boolean().default(true),
        public_url: httpUrl.optional(),
        create_bucket: z.boolean().default(false),
        part_size_mb: z.number().min(5).max(5120).default(16),
      })
      .prefault({}),
    http: z
      .strictObject({
        dir: z.string().min(1).default(path.join(".cache", "miner-store")),
        host: z.string().min(1).default("0.0.0.0"),
        port: z.number().int().min(0).max(65535).default(8092),
        public_url: httpUrl.optional(),
      })
      .prefault({}),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    if (s.kind !== "s3") return;
    if (!s.s3.access_key) ctx.addIssue({ code: "custom", path: ["s3", "access_key"], message: "required when storage.kind is s3 (or set AWS_ACCESS_KEY_ID)" });
    if (!s.s3.secret_key) ctx.addIssue({ code: "custom", path: ["s3", "secret_key"], message: "required when storage.kind is s3 (or set AWS_SECRET_ACCESS_KEY)" });
  });

export type StorageConfig = z.output<typeof StorageConfigSchema>;

/** The AWS SDK's usual variables fill the S3 keys when the CONDENSE_ ones are not set. */
export function withAwsCredentialFallback(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  if (out["CONDENSE_STORAGE_S3_ACCESS_KEY"] === undefined && env["AWS_ACCESS_KEY_ID"]) out["CONDENSE_STORAGE_S3_ACCESS_KEY"] = env["AWS_ACCESS_KEY_ID"];
  if (out["CONDENSE_STORAGE_S3_SECRET_KEY"] === undefined && env["AWS_SECRET_ACCESS_KEY"]) out["CONDENSE_STORAGE_S3_SECRET_KEY"] = env["AWS_SECRET_ACCESS_KEY"];
  return out;
}

/** Opens the configured store. `defaultHost` fills the HTTP store's public URL (the axon's external ip). */
export async function openStore(cfg: StorageConfig, defaultHost = "127.0.0.1"): Promise<ObjectStore> {
  if (cfg.kind === "s3") {
    return S3Store.open({
      ...(cfg.s3.endpoint ? { endpoint: cfg.s3.endpoint } : {}),
      region: cfg.s3.region,
      bucket: cfg.s3.bucket,
      accessKeyId: cfg.s3.access_key ?? "",
      secretAccessKey: cfg.s3.secret_key ?? "",
      forcePathStyle: cfg.s3.path_style,
      prefix: cfg.prefix,
      urlExpiryS: cfg.url_expiry_s,
      ...(cfg.s3.public_url ? { publicBaseUrl: cfg.s3.public_url } : {}),
      partSizeBytes: Math.round(cfg.s3.part_size_mb * 1024 * 1024),
      queueSize: 4,
      createBucket: cfg.s3.create_bucket,
      connectTimeoutMs: 2000,
      requestTimeoutMs: 120_000,
      maxAttempts: 2,
    });
  }
  const store = await HttpStore.open({
    dir: path.join(cfg.http.dir, cfg.prefix),
    host: cfg.http.host,
    port: cfg.http.port,
    urlExpiryS: cfg.url_expiry_s,
  });
  if (cfg.http.public_url) return store.withPublicBase(cfg.http.public_url);
  return cfg.http.host === "0.0.0.0" || cfg.http.host === "::" ? store.withPublicBase(`http://${defaultHost}:${store.port}`) : store;
}
