// computed_body_hash: sha3-256 (FIPS 202, not Keccak) over the concatenated sha3-256 hex digests of Python
// str() of each `required_hash_fields` value, in that order; lowercase hex without 0x.
import { createHash } from "node:crypto";
import { pyStr } from "./pystr.js";
import type { FieldMap } from "./pytypes.js";

export function sha3Hex(text: string): string {
  return createHash("sha3-256").update(text, "utf8").digest("hex");
}

/** Hash of no fields (sha3-256 of ""), what every synapse without required_hash_fields carries. */
export const EMPTY_BODY_HASH = "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a";

/** Body hash of already-coerced field values. */
export function computeBodyHash(fields: FieldMap, hashFields: readonly string[], values: Record<string, unknown>): string {
  if (hashFields.length === 0) return EMPTY_BODY_HASH;
  let joined = "";
  for (const name of hashFields) {
    const spec = fields[name];
    if (!spec) throw new TypeError(`required_hash_fields names unknown field '${name}'`);
    joined += sha3Hex(pyStr(values[name], spec.type));
  }
  return sha3Hex(joined);
}
