// Signing in place: the writer reserved 128 zero hex chars for the signature inside the header, so the
// orchestrator overwrites exactly those bytes and no tensor byte moves.
import { open, type FileHandle } from "node:fs/promises";
import { decodeAddress } from "@polkadot/util-crypto";
import { ContainerError } from "./errors.js";
import { readContainerHeader } from "./header.js";
import { signingMessage } from "./message.js";
import { ensureCryptoReady, verifySignatureOf } from "./verify.js";
import type { ContainerHeader, ContainerLimits, ContainerSigner } from "./types.js";

export interface SignContainerOptions {
  limits?: Partial<ContainerLimits>;
  /** Replace an existing signature instead of refusing with ALREADY_SIGNED. */
  resign?: boolean;
}

function samePublicKey(a: string, b: string): boolean {
  try {
    return Buffer.from(decodeAddress(a)).equals(Buffer.from(decodeAddress(b)));
  } catch {
    return false;
  }
}

/** Signs the container at `path` with the miner's sr25519 key; returns the header as now on disk. */
export async function signContainer(path: string, signer: ContainerSigner, options: SignContainerOptions = {}): Promise<ContainerHeader> {
  if (signer.type !== undefined && signer.type !== "sr25519") {
    throw new ContainerError("HOTKEY_MISMATCH", `containers are signed with sr25519 keys, got a ${signer.type} key`);
  }
  await ensureCryptoReady();
  let handle: FileHandle;
  try {
    handle = await open(path, "r+");
  } catch (err) {
    throw new ContainerError("IO", `cannot open ${path} for signing: ${(err as Error).message}`);
  }
  try {
    const header = await readContainerHeader(handle, options.limits ? { limits: options.limits } : {});
    const { meta } = header;
    if (meta.minerHotkey === "") throw new ContainerError("HOTKEY_MISMATCH", "the container names no miner_hotkey to sign for");
    if (!samePublicKey(meta.minerHotkey, signer.address)) {
      throw new ContainerError("HOTKEY_MISMATCH", `container is for ${meta.minerHotkey}, the key is ${signer.address}`);
    }
    if (header.signed && !options.resign) throw new ContainerError("ALREADY_SIGNED", "the container already carries a signature");
    const signature = Buffer.from(signer.sign(signingMessage(meta, header.tensors))).toString("hex");
    if (signature.length !== 128) throw new ContainerError("BAD_SIGNATURE", `the signer returned ${signature.length / 2} bytes, not 64`);
    const signedMeta = { ...meta, signature };
    if (!(await verifySignatureOf(signedMeta, header.tensors))) {
      throw new ContainerError("BAD_SIGNATURE", "the signer's signature does not verify (not an sr25519 key for this hotkey?)");
    }
    try {
      await handle.write(Buffer.from(signature, "ascii"), 0, 128, header.signatureOffset);
    } catch (err) {
      throw new ContainerError("IO", `cannot write the signature into ${path}: ${(err as Error).message}`);
    }
    return { ...header, meta: signedMeta, signed: true, signatureVerified: true };
  } finally {
    await handle.close();
  }
}

/** Checks the signature of an already-parsed header (readContainerHeader does this when given expect.minerHotkey). */
export async function verifyContainerSignature(header: ContainerHeader): Promise<boolean> {
  if (!header.signed || header.meta.minerHotkey === "") return false;
  return verifySignatureOf(header.meta, header.tensors);
}
