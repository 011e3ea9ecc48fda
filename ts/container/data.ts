// Optional full-byte check on the TypeScript side: streams the data section through sha256 (the header
// check never reads tensor bytes; the worker's Python reader does this and the NaN/Inf check).
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { ContainerError } from "./errors.js";
import type { ContainerHeader } from "./types.js";

export async function verifyContainerData(path: string, header: ContainerHeader): Promise<void> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path, { start: header.dataOffset })) hash.update(chunk as Buffer);
  } catch (err) {
    throw new ContainerError("IO", `cannot read ${path}: ${(err as Error).message}`);
  }
  const got = hash.digest("hex");
  if (got !== header.meta.dataSha256) {
    throw new ContainerError("DATA_MISMATCH", `data section hashes to ${got}, metadata says ${header.meta.dataSha256}`);
  }
}
