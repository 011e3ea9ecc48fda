// `$NACL` keyfile encryption of btwallet (spec §4): "$NACL" ‖ nonce(24) ‖ secretbox(MAC16 ‖ ciphertext), key =
// Argon2i v1.3 (ops 8, 512 MiB, 1 lane, fixed salt). hash-wasm runs argon2i in wasm; @noble/ciphers gives the
// libsodium-compatible secretbox.
import { randomBytes } from "node:crypto";
import { argon2i } from "hash-wasm";
import { secretbox } from "@noble/ciphers/salsa.js";

export const NACL_PREFIX = "$NACL";
const SALT = Buffer.from("137183dff15a09bc9c90b5518739e9b1", "hex");
const OPSLIMIT = 8; // crypto_pwhash_OPSLIMIT_SENSITIVE
const MEMLIMIT_KIB = 536_870_912 / 1024; // MEMLIMIT_SENSITIVE, 512 MiB
const NONCE_BYTES = 24;
const MAC_BYTES = 16;

export class KeyfileDecryptionError extends Error {
  override readonly name = "KeyfileDecryptionError";
}

/** Password -> 32-byte key. Only tests swap it (the format fixes Argon2i ops 8 / 512 MiB). */
export type KeyDerivation = (password: string) => Promise<Uint8Array>;

export async function deriveKey(password: string): Promise<Uint8Array> {
  return argon2i({ password, salt: SALT, iterations: OPSLIMIT, memorySize: MEMLIMIT_KIB, parallelism: 1, hashLength: 32, outputType: "binary" });
}

export function isNaclEncrypted(data: Uint8Array): boolean {
  return data.length >= NACL_PREFIX.length && Buffer.from(data.subarray(0, NACL_PREFIX.length)).toString("latin1") === NACL_PREFIX;
}

/** Legacy encodings we recognise but do not decrypt (btwallet 4 itself treats the Fernet one as broken). */
export function legacyEncryption(data: Uint8Array): "ansible-vault" | "fernet" | null {
  const head = Buffer.from(data.subarray(0, 16)).toString("latin1");
  if (head.startsWith("$ANSIBLE_VAULT")) return "ansible-vault";
  if (head.startsWith("gAAAAA")) return "fernet";
  return null;
}

/** Decrypts a `$NACL` keyfile (takes ~1-3 s and 512 MiB, by design of the format). */
export async function decryptNacl(data: Uint8Array, password: string, kdf: KeyDerivation = deriveKey): Promise<Uint8Array> {
  if (!isNaclEncrypted(data)) throw new KeyfileDecryptionError("not a $NACL keyfile");
  const body = data.subarray(NACL_PREFIX.length);
  if (body.length < NONCE_BYTES + MAC_BYTES) throw new KeyfileDecryptionError("$NACL keyfile is truncated");
  const key = await kdf(password);
  try {
    return secretbox(key, body.subarray(0, NONCE_BYTES)).open(body.subarray(NONCE_BYTES));
  } catch {
    throw new KeyfileDecryptionError("wrong password or corrupted keyfile (authentication failed)");
  }
}

/** Encrypts keyfile bytes in the `$NACL` format btwallet reads. */
export async function encryptNacl(plaintext: Uint8Array, password: string, kdf: KeyDerivation = deriveKey): Promise<Uint8Array> {
  const key = await kdf(password);
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = secretbox(key, nonce).seal(plaintext);
  return Buffer.concat([Buffer.from(NACL_PREFIX, "latin1"), nonce, sealed]);
}
