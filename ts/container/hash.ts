import { createHash } from "node:crypto";

/** The binding hash: sha256 hex of the context's UTF-8 bytes, exactly as sent in the challenge. */
export function contextSha256(context: string): string {
  return createHash("sha256").update(context, "utf8").digest("hex");
}
