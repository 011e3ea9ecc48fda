// btwallet keyfile JSON (spec §4): load a keypair with btwallet's priority (secretPhrase, then secretSeed,
// then privateKey in either 64-byte format), and write keyfiles in the same shape.
import { decodeAddress } from "@polkadot/util-crypto";
import { canonicalToEd25519Secret, ed25519ToCanonicalSecret, KeyError, Keypair } from "./keypair.js";

export interface KeyfileData {
  accountId?: string | null;
  publicKey?: string | null;
  privateKey?: string | null;
  secretPhrase?: string | null;
  secretSeed?: string | null;
  ss58Address?: string | null;
}

export class KeyfileFormatError extends Error {
  override readonly name = "KeyfileFormatError";
}

function hexBytes(field: string, v: unknown, len: number): Uint8Array {
  if (typeof v !== "string" || !/^(0x)?[0-9a-fA-F]*$/.test(v)) throw new KeyfileFormatError(`${field} is not hex`);
  const b = Buffer.from(v.replace(/^0x/, ""), "hex");
  if (b.length !== len) throw new KeyfileFormatError(`${field} must be ${len} bytes, got ${b.length}`);
  return b;
}

export function parseKeyfileJson(text: string): KeyfileData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new KeyfileFormatError("keyfile is not JSON (encrypted? wrong file?)");
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new KeyfileFormatError("keyfile JSON must be an object");
  return data as KeyfileData;
}

function expectedPublicKey(d: KeyfileData): Uint8Array | null {
  if (d.publicKey) return hexBytes("publicKey", d.publicKey, 32);
  if (d.accountId) return hexBytes("accountId", d.accountId, 32);
  if (d.ss58Address) {
    try {
      return decodeAddress(d.ss58Address);
    } catch {
      throw new KeyfileFormatError(`ss58Address ${d.ss58Address} is not valid`);
    }
  }
  return null;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Which source produced the keypair; tests and logs use it. */
export type KeySource = "secretPhrase" | "secretSeed" | "privateKey:canonical" | "privateKey:ed25519" | "publicKey";

/** Builds the keypair from keyfile data; a secret that disagrees with the stored public key is an error. */
export function keypairFromKeyfile(d: KeyfileData): { keypair: Keypair; source: KeySource } {
  const expected = expectedPublicKey(d);
  const check = (kp: Keypair, source: KeySource) => {
    if (expected && !same(kp.publicKey, expected)) throw new KeyError(`keyfile ${source} does not match its publicKey ${d.ss58Address ?? ""}`.trim());
    return { keypair: kp, source };
  };
  if (d.secretPhrase) return check(Keypair.fromMnemonic(d.secretPhrase), "secretPhrase");
  if (d.secretSeed) return check(Keypair.fromSeed(hexBytes("secretSeed", d.secretSeed, 32)), "secretSeed");
  if (d.privateKey) {
    const raw = hexBytes("privateKey", d.privateKey, 64);
    // btwallet writes sp-core's canonical bytes, polkadot-js and the old Python stack the ed25519 form:
    // try both and keep the one whose public key matches.
    const canonical = tryFromSecret(canonicalToEd25519Secret(raw));
    const ed = tryFromSecret(raw);
    if (!expected) {
      if (canonical) return { keypair: canonical, source: "privateKey:canonical" };
      throw new KeyError("keyfile privateKey is not a valid canonical sr25519 secret");
    }
    if (canonical && same(canonical.publicKey, expected)) return { keypair: canonical, source: "privateKey:canonical" };
    if (ed && same(ed.publicKey, expected)) return { keypair: ed, source: "privateKey:ed25519" };
    throw new KeyError("keyfile privateKey matches its publicKey in neither 64-byte format");
  }
  if (expected) return { keypair: Keypair.fromPublicKey(expected), source: "publicKey" };
  throw new KeyfileFormatError("keyfile holds no key (no secretPhrase, secretSeed, privateKey or publicKey)");
}

/** A candidate interpretation can be an invalid scalar (zero or out of range): that just rules it out. */
function tryFromSecret(secret: Uint8Array): Keypair | null {
  try {
    return Keypair.fromSecretKey(secret);
  } catch {
    return null;
  }
}

const hex0x = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

/** Keyfile JSON as btwallet writes it (privateKey in the canonical schnorrkel format). */
export function keyfileJson(kp: Keypair, secrets: { phrase?: string; seed?: Uint8Array } = {}): string {
  const d: KeyfileData = {
    accountId: hex0x(kp.publicKey),
    publicKey: hex0x(kp.publicKey),
    privateKey: kp.canSign ? hex0x(ed25519ToCanonicalSecret(kp.secretKeyBytes())) : null,
    secretPhrase: secrets.phrase ?? null,
    secretSeed: secrets.seed ? hex0x(secrets.seed) : null,
    ss58Address: kp.address,
  };
  return JSON.stringify(d);
}

/** `coldkeypub.txt` / `<hotkey>pub.txt`: the public part only. */
export function publicKeyfileJson(kp: Keypair): string {
  return JSON.stringify({ accountId: hex0x(kp.publicKey), publicKey: hex0x(kp.publicKey), ss58Address: kp.address });
}
