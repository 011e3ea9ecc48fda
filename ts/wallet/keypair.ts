// An sr25519 keypair that signs with @polkadot/wasm-crypto (the wasm instance the fast verifier uses is kept
// apart on purpose, see ts/bittensor/signing.ts) and satisfies the chain layer's
// ChainSigner. Secret keys are held in the polkadot-js ("ed25519") 64-byte format: scalar·8 ‖ nonce.
import { getPublicKey } from "@scure/sr25519";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { isReady, sr25519Sign } from "@polkadot/wasm-crypto";
import { encodeAddress, keyExtractSuri, keyFromPath, mnemonicToMiniSecret, mnemonicValidate, sr25519PairFromSeed, sr25519Sign as jsSign } from "@polkadot/util-crypto";
import { signatureHex } from "../bittensor/signing.js";

export const SS58_PREFIX = 42;
/** Substrate's development phrase; `//Alice` etc. derive from it. */
export const DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

export class KeyError extends Error {
  override readonly name = "KeyError";
}

export class Keypair {
  readonly address: string;
  readonly publicKey: Uint8Array;
  readonly addressRaw: Uint8Array;
  readonly #secretKey: Uint8Array | null;

  private constructor(publicKey: Uint8Array, secretKey: Uint8Array | null) {
    this.publicKey = publicKey;
    this.addressRaw = publicKey;
    this.address = encodeAddress(publicKey, SS58_PREFIX);
    this.#secretKey = secretKey;
  }

  /** BIP39 phrase -> substrate mini-secret (no password, no derivation), as btwallet does. */
  static fromMnemonic(phrase: string): Keypair {
    const p = phrase.trim().split(/\s+/).join(" ");
    if (!mnemonicValidate(p)) throw new KeyError("invalid BIP39 mnemonic");
    return Keypair.fromSeed(mnemonicToMiniSecret(p));
  }

  /** 32-byte mini-secret seed (ExpansionMode::Ed25519). */
  static fromSeed(seed: Uint8Array): Keypair {
    if (seed.length !== 32) throw new KeyError(`seed must be 32 bytes, got ${seed.length}`);
    const pair = sr25519PairFromSeed(seed);
    return new Keypair(pair.publicKey, pair.secretKey);
  }

  /** A 64-byte secret in the polkadot-js (ed25519) format. */
  static fromSecretKey(secretKey: Uint8Array): Keypair {
    if (secretKey.length !== 64) throw new KeyError(`secret key must be 64 bytes, got ${secretKey.length}`);
    return new Keypair(getPublicKey(secretKey), Uint8Array.from(secretKey));
  }

  /** Substrate URI such as `//Alice` (dev phrase) or `<mnemonic>//hard/soft`. For tests and localnets. */
  static fromUri(uri: string): Keypair {
    const full = uri.startsWith("//") ? DEV_PHRASE + uri : uri;
    const { phrase, path, password } = keyExtractSuri(full);
    if (password) throw new KeyError("password-protected URIs are not supported");
    const base = sr25519PairFromSeed(mnemonicToMiniSecret(phrase));
    const derived = keyFromPath(base, path, "sr25519");
    return new Keypair(derived.publicKey, derived.secretKey);
  }

  /** Public-key-only pair (coldkeypub): can be addressed, cannot sign. */
  static fromPublicKey(publicKey: Uint8Array): Keypair {
    if (publicKey.length !== 32) throw new KeyError(`public key must be 32 bytes, got ${publicKey.length}`);
    return new Keypair(Uint8Array.from(publicKey), null);
  }

  get canSign(): boolean {
    return this.#secretKey !== null;
  }

  /** The 64-byte secret in polkadot-js format (for writing keyfiles). */
  secretKeyBytes(): Uint8Array {
    if (!this.#secretKey) throw new KeyError(`${this.address} has no secret key`);
    return Uint8Array.from(this.#secretKey);
  }

  /** sr25519 signature over raw bytes (a string is UTF-8 encoded), "substrate" signing context. */
  sign(message: Uint8Array | string): Uint8Array {
    if (!this.#secretKey) throw new KeyError(`${this.address} is public-key only and cannot sign`);
    const msg = typeof message === "string" ? Buffer.from(message, "utf8") : message;
    // The wasm signer is ~2x faster than the JS one, which serves until the wasm module has loaded.
    return isReady() ? sr25519Sign(this.publicKey, this.#secretKey, msg) : jsSign(msg, { publicKey: this.publicKey, secretKey: this.#secretKey });
  }

  /** `0x` + hex signature, the wire encoding. */
  signHex(message: Uint8Array | string): string {
    return signatureHex(this.sign(message));
  }

  /** A @polkadot/keyring pair for @polkadot/api extrinsics. */
  toKeyringPair(): KeyringPair {
    if (!this.#secretKey) throw new KeyError(`${this.address} has no secret key`);
    const keyring = new Keyring({ type: "sr25519", ss58Format: SS58_PREFIX });
    return keyring.addFromPair({ publicKey: this.publicKey, secretKey: this.#secretKey });
  }
}

/** Canonical schnorrkel secret (btwallet/sp-core: scalar ‖ nonce) -> polkadot-js format (scalar·8 ‖ nonce). */
export function canonicalToEd25519Secret(secret: Uint8Array): Uint8Array {
  const out = Uint8Array.from(secret);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const b = secret[i]!;
    out[i] = ((b << 3) | carry) & 0xff;
    carry = b >> 5;
  }
  return out;
}

/** polkadot-js format -> canonical schnorrkel secret (the scalar divided by the cofactor 8). */
export function ed25519ToCanonicalSecret(secret: Uint8Array): Uint8Array {
  const out = Uint8Array.from(secret);
  for (let i = 0; i < 32; i++) {
    const hi = i < 31 ? secret[i + 1]! : 0;
    out[i] = ((secret[i]! >> 3) | (hi << 5)) & 0xff;
  }
  return out;
}
