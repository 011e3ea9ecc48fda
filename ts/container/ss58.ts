// The miner_hotkey rule (proto/container/README.md): an ss58 address of a 32-byte key with a one-byte
// network prefix, checked here (not by @polkadot's decodeAddress, which is quadratic in its input and
// also takes hex and other key lengths) so that Python's reader applies the same rule.
import { createHash } from "node:crypto";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** 35 bytes (prefix, key, 2-byte checksum) are 47 or 48 base58 characters; 46 allows leading zeros. */
export const SS58_SHAPE = /^[1-9A-HJ-NP-Za-km-z]{46,48}$/;

/** The 32-byte public key of `address`, or undefined when it is not such an address. Bounded work. */
export function ss58PublicKey(address: string): Uint8Array | undefined {
  if (!SS58_SHAPE.test(address)) return undefined; // the length check comes before any decoding
  let n = 0n;
  for (const c of address) n = n * 58n + BigInt(ALPHABET.indexOf(c));
  const zeros = address.length - address.replace(/^1+/, "").length;
  const hex = n === 0n ? "" : n.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  const bytes = Buffer.concat([Buffer.alloc(zeros), body]);
  if (bytes.length !== 35 || (bytes[0] as number) > 63) return undefined;
  const sum = createHash("blake2b512").update("SS58PRE").update(bytes.subarray(0, 33)).digest();
  if (sum[0] !== bytes[33] || sum[1] !== bytes[34]) return undefined;
  return new Uint8Array(bytes.subarray(1, 33));
}
