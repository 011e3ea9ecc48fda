// API keys for the organic API. Only sha256(key) is stored, so a leaked database gives no usable key; a key is
// shown once, when created. Keys carry 256 random bits, so a plain hash (no salt/stretching) is enough.
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";

export interface ApiKeyRecord {
  id: number;
  name: string;
  ratePerMinute: number;
  createdAt: number;
  revoked: boolean;
}

export const API_KEY_PREFIX = "cnd_";
export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");


interface Row {
  id: number;
  name: string;
  rate_per_minute: number;
  created_at: number;
  revoked: number;
}
const toRecord = (r: Row): ApiKeyRecord => ({ id: r.id, name: r.name, ratePerMinute: r.rate_per_minute, createdAt: r.created_at, revoked: r.revoked !== 0 });

export class ApiKeyStore {
  readonly #byHash;
  readonly #insert;
  readonly #revoke;
  readonly #list;

  /** `db` is the validator's state database (its migrations create the table). */
  constructor(db: Database) {
    this.#byHash = db.prepare<[string], Row>("SELECT id, name, rate_per_minute, created_at, revoked FROM organic_api_keys WHERE key_sha256 = ?");
    this.#insert = db.prepare<[string, string, number, number]>("INSERT INTO organic_api_keys (name, key_sha256, rate_per_minute, created_at) VALUES (?, ?, ?, ?)");
    this.#revoke = db.prepare<[string]>("UPDATE organic_api_keys SET revoked = 1 WHERE name = ?");
    this.#list = db.prepare<[], Row>("SELECT id, name, rate_per_minute, created_at, revoked FROM organic_api_keys ORDER BY id");
  }

  /** Creates a key and returns it in clear text: the only time it can be seen. */
  create(name: string, ratePerMinute: number): { key: string; record: ApiKeyRecord } {
    if (!Number.isInteger(ratePerMinute) || ratePerMinute <= 0) throw new RangeError(`rate per minute must be a positive integer, got ${ratePerMinute}`);
    const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
    this.#insert.run(name, hashApiKey(key), ratePerMinute, Date.now());
    return { key, record: this.lookup(key)! };
  }

  /** The record of a key, or null when unknown (revoked keys are returned with `revoked: true`). */
  lookup(key: string): ApiKeyRecord | null {
    const row = this.#byHash.get(hashApiKey(key));
    return row ? toRecord(row) : null;
  }

  revoke(name: string): boolean {
    return this.#revoke.run(name).changes > 0;
  }

  list(): ApiKeyRecord[] {
    return this.#list.all().map(toRecord);
  }
}
