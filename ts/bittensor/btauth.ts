// btauth/1: the hotkey-signed HTTP of bittensor SDK 11.x (`bittensor.http_auth`; spec §1.8), which replaced the
// 10.x axon/dendrite headers for new subnets. Signed bytes: newline-joined UTF-8 of `btauth/1`, the signature
// scheme, the UPPERCASE method, the request target as sent (path + `?query`), lowercase-hex sha256 of the raw
// body, the decimal ns nonce, sender ss58 and receiver ss58 (`-` when unbound). Verification follows the SDK's
// order: shape -> receiver -> freshness (10 s back, 2 s ahead) -> signature under the declared scheme only ->
// replay set keyed by (hotkey, nonce), written only after the signature verifies. Pinned byte-for-byte by golden
// vectors from the SDK (test/interop/py/btauth_vectors.json, made by btauth_vectors.py).
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import type { Keypair } from "../wallet/keypair.js";
import { InvalidAddressError, publicKeyOf, signatureHex, wasmVerifier, type SignatureVerifier } from "./signing.js";

export const BTAUTH_PROTOCOL = "btauth/1";
export const BTAUTH_VERSION = "1";
export const BTAUTH_HEADER = {
  version: "X-Bittensor-Version",
  hotkey: "X-Bittensor-Hotkey",
  receiver: "X-Bittensor-Receiver",
  nonce: "X-Bittensor-Nonce",
  crypto: "X-Bittensor-Crypto",
  signature: "X-Bittensor-Signature",
} as const;
export const BTAUTH_DEFAULT_MAX_AGE_S = 10;
export const BTAUTH_DEFAULT_SKEW_S = 2;

export type BtauthScheme = "sr25519" | "ed25519";
/** Signed-request schemes on the wire: bittensor 10.x axon/dendrite headers, or SDK 11's btauth/1. */
export type WireAuth = "bt10" | "btauth1";
// The SDK's wallet crypto type codes (bittensor_core): 0 = ed25519, 1 = sr25519.
const SCHEME_BY_CODE: Record<string, BtauthScheme> = { "0": "ed25519", "1": "sr25519" };

export type BtauthErrorCode = "malformed" | "wrong_receiver" | "stale" | "bad_signature" | "replayed" | "replay_table_full";

/** Why a btauth/1 request was refused; the codes mirror the SDK's AuthError subclasses (plus our table bound). */
export class BtauthError extends Error {
  override readonly name = "BtauthError";
  constructor(
    readonly code: BtauthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface BtauthPayloadInput {
  scheme: BtauthScheme;
  method: string;
  /** The request target exactly as sent, query included. */
  path: string;
  body: Uint8Array | string;
  nonce: bigint;
  sender: string;
  receiver: string | null | undefined;
}

/** The exact signed bytes (`build_payload` in the SDK). */
export function btauthPayload(p: BtauthPayloadInput): Buffer {
  const bodyHash = createHash("sha256").update(p.body).digest("hex");
  const lines = [BTAUTH_PROTOCOL, p.scheme, p.method.toUpperCase(), p.path, bodyHash, p.nonce.toString(), p.sender, p.receiver || "-"];
  return Buffer.from(lines.join("\n"), "utf8");
}

/** Headers for a request signed with an sr25519 hotkey (our keypairs are sr25519, so no X-Bittensor-Crypto). */
export function signBtauth(
  keypair: Keypair,
  r: { method: string; path: string; body?: Uint8Array | string; receiver?: string | null; nonce?: bigint },
): Record<string, string> {
  const nonce = r.nonce ?? BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  const payload = btauthPayload({ scheme: "sr25519", method: r.method, path: r.path, body: r.body ?? "", nonce, sender: keypair.address, receiver: r.receiver });
  const headers: Record<string, string> = {
    [BTAUTH_HEADER.version]: BTAUTH_VERSION,
    [BTAUTH_HEADER.hotkey]: keypair.address,
    [BTAUTH_HEADER.nonce]: nonce.toString(),
    [BTAUTH_HEADER.signature]: signatureHex(keypair.sign(payload)),
  };
  if (r.receiver) headers[BTAUTH_HEADER.receiver] = r.receiver;
  return headers;
}

/** True when a request carries btauth/1 headers (any X-Bittensor-Version, so a wrong version is refused, not ignored). */
export function isBtauthRequest(headers: Record<string, string | string[] | undefined>): boolean {
  return headers[BTAUTH_HEADER.version.toLowerCase()] !== undefined;
}

/**
 * Replay protection: (hotkey, nonce) pairs accepted within the freshness window, bounded. Entries expire after
 * `retentionMs` (>= max age + skew). A full table of live entries refuses new pairs (never forgets a live one).
 */
export class BtauthReplayStore {
  readonly #seen = new Map<string, number>(); // key -> expiry (ms); insertion order = expiry order
  constructor(
    readonly retentionMs: number = (BTAUTH_DEFAULT_MAX_AGE_S + BTAUTH_DEFAULT_SKEW_S) * 1000 + 1000,
    readonly maxEntries: number = 100_000,
  ) {}

  get size(): number {
    return this.#seen.size;
  }

  /** Records the pair; false when it was already there (a replay) or the table is full ("full"). */
  checkAndStore(hotkey: string, nonce: bigint, nowMs: number = Date.now()): true | "replayed" | "full" {
    for (const [k, exp] of this.#seen) {
      if (exp > nowMs) break;
      this.#seen.delete(k);
    }
    const key = `${hotkey}:${nonce}`;
    if (this.#seen.has(key)) return "replayed";
    if (this.#seen.size >= this.maxEntries) return "full";
    this.#seen.set(key, nowMs + this.retentionMs);
    return true;
  }
}

export interface BtauthVerifyOptions {
  method: string;
  /** Request target as received, query included. */
  path: string;
  /** Our hotkey: requests must be signed for it. */
  self: string;
  maxAgeS?: number;
  skewS?: number;
  /** Default true, as in the SDK: a request not bound to a receiver is refused. */
  requireReceiver?: boolean;
  replay: BtauthReplayStore;
  nowNs?: bigint;
  verifier?: SignatureVerifier;
}

export interface BtauthCaller {
  hotkey: string;
  nonce: bigint;
  scheme: BtauthScheme;
  signature: string;
}

const PY_INT = /^[+-]?\d+(?:_\d+)*$/;

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Verifies a request in the SDK's order; throws BtauthError. `headers` as Node gives them (lowercase names). */
export function verifyBtauth(headers: Record<string, string | string[] | undefined>, body: Uint8Array, o: BtauthVerifyOptions): BtauthCaller {
  const version = header(headers, BTAUTH_HEADER.version);
  if (version !== BTAUTH_VERSION) throw new BtauthError("malformed", `missing or unsupported ${BTAUTH_HEADER.version} (expected '${BTAUTH_VERSION}')`);
  const sender = header(headers, BTAUTH_HEADER.hotkey);
  if (!sender) throw new BtauthError("malformed", `missing ${BTAUTH_HEADER.hotkey}`);
  const rawNonce = header(headers, BTAUTH_HEADER.nonce);
  if (rawNonce === undefined) throw new BtauthError("malformed", `missing ${BTAUTH_HEADER.nonce}`);
  // Python int(): surrounding whitespace, a sign and single underscores between digits are allowed.
  const nonceText = rawNonce.trim();
  if (!PY_INT.test(nonceText) || nonceText.length > 40) throw new BtauthError("malformed", `${BTAUTH_HEADER.nonce} is not a decimal integer`);
  const nonce = BigInt(nonceText.replace(/_/g, "").replace(/^\+/, ""));
  const rawCrypto = (header(headers, BTAUTH_HEADER.crypto) ?? "sr25519").trim().toLowerCase();
  const scheme: BtauthScheme | undefined = rawCrypto === "sr25519" || rawCrypto === "ed25519" ? rawCrypto : /^\d+$/.test(rawCrypto) ? SCHEME_BY_CODE[String(Number(rawCrypto))] : undefined;
  if (!scheme) throw new BtauthError("malformed", `unsupported ${BTAUTH_HEADER.crypto}`);
  const rawSig = header(headers, BTAUTH_HEADER.signature);
  if (rawSig === undefined) throw new BtauthError("malformed", `missing ${BTAUTH_HEADER.signature}`);
  // bytes.fromhex: pairs of hex digits, ASCII whitespace allowed between them.
  const sigHex = (rawSig.startsWith("0x") ? rawSig.slice(2) : rawSig).replace(/[ \t\n\r\f\v]/g, "");
  if (sigHex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(sigHex)) throw new BtauthError("malformed", `${BTAUTH_HEADER.signature} is not hex`);

  const receiver = header(headers, BTAUTH_HEADER.receiver);
  if (receiver === undefined) {
    if (o.requireReceiver ?? true) throw new BtauthError("wrong_receiver", `missing ${BTAUTH_HEADER.receiver}: this server requires receiver-bound requests`);
  } else if (receiver !== o.self) {
    throw new BtauthError("wrong_receiver", "request was signed for a different receiving hotkey");
  }

  const maxAgeS = o.maxAgeS ?? BTAUTH_DEFAULT_MAX_AGE_S;
  const skewS = o.skewS ?? BTAUTH_DEFAULT_SKEW_S;
  const now = o.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  if (now - nonce > BigInt(Math.round(maxAgeS * 1e9))) throw new BtauthError("stale", `nonce is older than the ${maxAgeS}s freshness window`);
  if (nonce - now > BigInt(Math.round(skewS * 1e9))) throw new BtauthError("stale", `nonce is more than ${skewS}s in the future`);

  let pk: Uint8Array;
  try {
    pk = publicKeyOf(sender);
  } catch (e) {
    if (e instanceof InvalidAddressError) throw new BtauthError("malformed", "invalid hotkey address or signature encoding");
    throw e;
  }
  const sig = Buffer.from(sigHex, "hex");
  if (sig.length !== 64) throw new BtauthError("malformed", "invalid hotkey address or signature encoding");
  const payload = btauthPayload({ scheme, method: o.method, path: o.path, body, nonce, sender, receiver });
  const ok = scheme === "sr25519" ? (o.verifier ?? wasmVerifier)(payload, sig, pk) : ed25519Verify(payload, sig, pk);
  if (!ok) throw new BtauthError("bad_signature", "signature does not verify against the claimed hotkey");

  const stored = o.replay.checkAndStore(sender, nonce);
  if (stored === "replayed") throw new BtauthError("replayed", "this nonce was already accepted from this hotkey");
  if (stored === "full") throw new BtauthError("replay_table_full", "too many recent requests, retry shortly");
  return { hotkey: sender, nonce, scheme, signature: "0x" + sigHex.toLowerCase() };
}

// SPKI DER prefix of a raw 32-byte Ed25519 public key (RFC 8410).
const ED25519_SPKI = Buffer.from("302a300506032b6570032100", "hex");

function ed25519Verify(message: Uint8Array, sig: Uint8Array, pk: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI, pk]), format: "der", type: "spki" });
    return nodeVerify(null, message, key, sig);
  } catch {
    return false;
  }
}
