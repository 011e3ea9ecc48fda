// Epistula v2 signed HTTP (spec §6): the sender signs `sha256(body).hex.uuid.timestamp.signedFor` with sr25519;
// the receiver recomputes it over the exact received bytes, checks freshness, then the signature. Simpler than
// the axon protocol (no Python str() emulation), used by many subnets' validator APIs.
import { createHash, randomUUID } from "node:crypto";
import { cryptoReady, InvalidAddressError, parseSignatureHex, publicKeyOf, wasmVerifier, type SignatureVerifier } from "../bittensor/signing.js";
import type { Keypair } from "../wallet/keypair.js";

export const EPISTULA_HEADERS = {
  version: "epistula-version",
  timestamp: "epistula-timestamp",
  uuid: "epistula-uuid",
  signedBy: "epistula-signed-by",
  signedFor: "epistula-signed-for",
  signature: "epistula-request-signature",
  secretSignature: (i: 0 | 1 | 2) => `epistula-secret-signature-${i}`,
} as const;

export function epistulaMessage(body: Uint8Array, uuid: string, timestampMs: number, signedFor: string | null): string {
  const digest = createHash("sha256").update(body).digest("hex");
  return `${digest}.${uuid}.${timestampMs}.${signedFor ?? ""}`;
}

export interface SignOptions {
  signedFor?: string;
  /** Defaults to now (ms since epoch, rounded). */
  timestampMs?: number;
  uuid?: string;
  /** Add the optional `Epistula-Secret-Signature-{0,1,2}` headers (only with signedFor). */
  secretSignatures?: boolean;
}

/** Headers that sign `body` (send exactly these bytes). */
export function signEpistula(keypair: Keypair, body: Uint8Array | string, opts: SignOptions = {}): Record<string, string> {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const ts = opts.timestampMs ?? Math.round(Date.now());
  const uuid = opts.uuid ?? randomUUID();
  const signedFor = opts.signedFor ?? null;
  const h: Record<string, string> = {
    "Epistula-Version": "2",
    "Epistula-Timestamp": String(ts),
    "Epistula-Uuid": uuid,
    "Epistula-Signed-By": keypair.address,
    "Epistula-Request-Signature": keypair.signHex(epistulaMessage(bytes, uuid, ts, signedFor)),
  };
  if (signedFor) {
    h["Epistula-Signed-For"] = signedFor;
    if (opts.secretSignatures) {
      const interval = Math.ceil(ts / 1e4);
      for (const i of [0, 1, 2] as const) h[`Epistula-Secret-Signature-${i}`] = keypair.signHex(`${interval + i - 1}.${signedFor}`);
    }
  }
  return h;
}

export type EpistulaErrorCode = "missing_header" | "bad_version" | "bad_timestamp" | "stale" | "future" | "bad_hotkey" | "wrong_receiver" | "bad_signature";

export class EpistulaError extends Error {
  override readonly name = "EpistulaError";
  constructor(
    readonly code: EpistulaErrorCode,
    message: string,
  ) {
    super(message);
  }
  /** 400 for malformed headers, 401 for failed authentication. */
  get status(): 400 | 401 {
    return this.code === "missing_header" || this.code === "bad_version" || this.code === "bad_timestamp" ? 400 : 401;
  }
}

export interface VerifyOptions {
  /** Our ss58 address: when set, a request signed for someone else is rejected. */
  receiver?: string;
  /** Reject if timestamp + maxAgeMs < now (default 8000, the common choice). */
  maxAgeMs?: number;
  /** Reject timestamps this far in the future (clock skew allowance, default 8000). */
  maxFutureMs?: number;
  nowMs?: number;
  verifier?: SignatureVerifier;
}

export interface VerifiedEpistula {
  signedBy: string;
  signedFor: string | null;
  uuid: string;
  timestampMs: number;
}

type Headers = Record<string, string | string[] | undefined>;

function get(h: Headers, name: string): string | undefined {
  const v = h[name] ?? h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Verifies Epistula v2 headers against the exact body bytes. Throws EpistulaError. */
export async function verifyEpistula(headers: Headers, body: Uint8Array | string, opts: VerifyOptions = {}): Promise<VerifiedEpistula> {
  await cryptoReady();
  const lower: Headers = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const need = (n: string) => {
    const v = get(lower, n);
    if (!v) throw new EpistulaError("missing_header", `missing header ${n}`);
    return v;
  };
  const version = need(EPISTULA_HEADERS.version);
  if (version !== "2") throw new EpistulaError("bad_version", `unsupported Epistula-Version ${JSON.stringify(version)}`);
  const tsRaw = need(EPISTULA_HEADERS.timestamp);
  if (!/^\d{1,16}$/.test(tsRaw)) throw new EpistulaError("bad_timestamp", "Epistula-Timestamp must be integer milliseconds");
  const ts = Number(tsRaw);
  const uuid = need(EPISTULA_HEADERS.uuid);
  const signedBy = need(EPISTULA_HEADERS.signedBy);
  const sigHex = need(EPISTULA_HEADERS.signature);
  const signedFor = get(lower, EPISTULA_HEADERS.signedFor) || null;
  const now = opts.nowMs ?? Date.now();
  if (ts + (opts.maxAgeMs ?? 8000) < now) throw new EpistulaError("stale", `request is ${now - ts} ms old`);
  if (ts - now > (opts.maxFutureMs ?? 8000)) throw new EpistulaError("future", `timestamp is ${ts - now} ms in the future`);
  if (opts.receiver && signedFor !== opts.receiver) throw new EpistulaError("wrong_receiver", `signed for ${signedFor ?? "nobody"}, not ${opts.receiver}`);
  let pk: Uint8Array;
  try {
    pk = publicKeyOf(signedBy);
  } catch (e) {
    throw new EpistulaError("bad_hotkey", e instanceof InvalidAddressError ? e.message : String(e));
  }
  const sig = parseSignatureHex(sigHex);
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const msg = Buffer.from(epistulaMessage(bytes, uuid, ts, signedFor), "utf8");
  if (!sig || !(opts.verifier ?? wasmVerifier)(msg, sig, pk)) throw new EpistulaError("bad_signature", "signature does not match the body and headers");
  return { signedBy, signedFor, uuid, timestampMs: ts };
}
