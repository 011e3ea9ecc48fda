// sr25519 signatures of the axon/dendrite protocol (spec §1.4). Verification dominates the CPU cost of a signed
// request (notes.md), so the default verifier is the schnorrkel crate in wasm (@polkadot-labs/schnorrkel-wasm,
// ~2x faster than @polkadot/wasm-crypto and ~10x faster than the pure-JS util-crypto path) behind guards that
// keep malformed input away from it (see schnorrkelVerifier), and ss58 decoding is cached. Signing uses
// @polkadot/wasm-crypto.
import { sr25519_verify } from "@polkadot-labs/schnorrkel-wasm";
import { sr25519Sign, sr25519Verify, waitReady } from "@polkadot/wasm-crypto";
import { decodeAddress } from "@polkadot/util-crypto";

let ready: Promise<boolean> | null = null;
/** Loads the wasm module once; every verify/sign call needs it. */
export function cryptoReady(): Promise<boolean> {
  ready ??= waitReady();
  return ready;
}

/** Message a dendrite signs: `nonce.dendriteHotkey.axonHotkey.uuid.bodyHash`. */
export function requestMessage(nonce: bigint | number | string, dendriteHotkey: string, axonHotkey: string, uuid: string, bodyHash: string): string {
  return `${nonce}.${dendriteHotkey}.${axonHotkey}.${uuid}.${bodyHash}`;
}

/** Message an axon signs in its response headers (informational; nobody checks it). */
export function responseMessage(axonNonce: bigint | number | string, dendriteHotkey: string, axonHotkey: string, axonUuid: string): string {
  return `${axonNonce}.${dendriteHotkey}.${axonHotkey}.${axonUuid}`;
}

export class InvalidAddressError extends Error {
  override readonly name = "InvalidAddressError";
  constructor(readonly address: string) {
    super(`not an ss58 address: ${JSON.stringify(address.length > 64 ? address.slice(0, 64) + "..." : address)}`);
  }
}

const SS58_SHAPE = /^[1-9A-HJ-NP-Za-km-z]{46,48}$/;
const pubkeyCache = new Map<string, Uint8Array>();
const CACHE_MAX = 65_536;

/** Public key of an ss58 address (checksum verified), cached. Throws InvalidAddressError. */
export function publicKeyOf(address: string): Uint8Array {
  const hit = pubkeyCache.get(address);
  if (hit) return hit;
  if (!SS58_SHAPE.test(address)) throw new InvalidAddressError(address);
  let pk: Uint8Array;
  try {
    pk = decodeAddress(address);
  } catch {
    throw new InvalidAddressError(address);
  }
  if (pk.length !== 32) throw new InvalidAddressError(address);
  if (pubkeyCache.size >= CACHE_MAX) pubkeyCache.clear();
  pubkeyCache.set(address, pk);
  return pk;
}

export function isSs58(address: string): boolean {
  try {
    publicKeyOf(address);
    return true;
  } catch {
    return false;
  }
}

const SIG_HEX = /^0x[0-9a-fA-F]{128}$/;

/** Parses `0x` + 128 hex; null when malformed (btwallet rejects a signature without the 0x prefix too). */
export function parseSignatureHex(sig: string): Uint8Array | null {
  if (!SIG_HEX.test(sig)) return null;
  return Buffer.from(sig.slice(2), "hex");
}

/** Verifies an sr25519 signature over the raw UTF-8 message (signing context "substrate"). */
export type SignatureVerifier = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;

/** @polkadot/wasm-crypto's verifier: returns false for any malformed input. Call `await cryptoReady()` first. */
export const polkadotWasmVerifier: SignatureVerifier = (message, signature, publicKey) => sr25519Verify(signature, message, publicKey);

// The group order of ristretto255; a canonical signature scalar is below it.
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const provenKeys = new Set<string>();
let schnorrkelBroken = false;

function canonicalScalar(sig: Uint8Array): boolean {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(i === 63 ? sig[i]! & 0x7f : sig[i]!);
  return s < L;
}

/**
 * The default verifier. @polkadot-labs/schnorrkel-wasm is ~2x faster than @polkadot/wasm-crypto, but it
 * panics on malformed input (no marker bit, non-canonical scalar, a public key that is not a curve point), and
 * after enough panics its wasm instance stops working: an attacker could break verification for everyone. So it
 * only sees inputs that cannot panic: well-formed signatures (marker bit, canonical scalar) for public keys
 * that already verified once through the robust @polkadot/wasm-crypto path. Any throw anyway retires it for
 * the life of the process.
 */
export const schnorrkelVerifier: SignatureVerifier = (message, signature, publicKey) => {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  if ((signature[63]! & 0x80) === 0 || !canonicalScalar(signature)) return false;
  const key = Buffer.from(publicKey).toString("hex");
  if (schnorrkelBroken || !provenKeys.has(key)) {
    const ok = polkadotWasmVerifier(message, signature, publicKey);
    if (ok && provenKeys.size < 100_000) provenKeys.add(key);
    return ok;
  }
  try {
    return sr25519_verify(publicKey, message, signature);
  } catch {
    schnorrkelBroken = true;
    return polkadotWasmVerifier(message, signature, publicKey);
  }
};

/** The verifier the axon and Epistula use unless told otherwise. */
export const wasmVerifier: SignatureVerifier = schnorrkelVerifier;

/** Signs with an ed25519-format (polkadot-js) 64-byte secret key. Call `await cryptoReady()` first. */
export function wasmSign(publicKey: Uint8Array, secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return sr25519Sign(publicKey, secretKey, message);
}

export function signatureHex(sig: Uint8Array): string {
  return "0x" + Buffer.from(sig).toString("hex");
}
