// One interface for where containers go: S3-compatible object storage or the miner's own HTTP store.

/** What to store: a file (streamed, never read whole into memory) or bytes already in memory. */
export type PutSource = { path: string } | { bytes: Uint8Array };

export interface PutOptions {
  contentType?: string;
  signal?: AbortSignal;
}

export interface PutResult {
  key: string;
  bytes: number;
}

export interface ObjectInfo {
  key: string;
  bytes: number;
  lastModified: Date;
}

export interface UrlOptions {
  /** Lifetime of a signed URL; the store's configured default when absent. */
  expiresInS?: number;
}

export interface ObjectStore {
  readonly kind: "s3" | "http";
  /** Stores the object whole or not at all: a failed put leaves no partial object behind. */
  put(key: string, source: PutSource, opts?: PutOptions): Promise<PutResult>;
  /** A GET URL a validator can download from (signed with an expiry, or public when so configured). */
  url(key: string, opts?: UrlOptions): Promise<string>;
  delete(key: string): Promise<void>;
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  /** Deletes objects last modified more than `maxAgeMs` ago; returns how many went. */
  sweep(maxAgeMs: number, now?: number): Promise<number>;
  close(): Promise<void>;
}
