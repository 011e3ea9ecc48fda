// sr25519 verification through @polkadot/wasm-crypto: ~0.3 ms a call against ~3 ms for util-crypto's
// JS path (../shared/notes.md), and validators check one signature per scored container.
import { sr25519Verify, waitReady } from "@polkadot/wasm-crypto";
import { signingMessage } from "./message.js";
import { ss58PublicKey } from "./ss58.js";
import type { ContainerMeta, TensorEntry } from "./types.js";

let ready: Promise<boolean> | undefined;

export async function ensureCryptoReady(): Promise<void> {
  ready ??= waitReady();
  await ready;
}

export async function verifySignatureOf(meta: ContainerMeta, tensors: readonly TensorEntry[]): Promise<boolean> {
  await ensureCryptoReady();
  const publicKey = ss58PublicKey(meta.minerHotkey); // bounded: never decodes an unchecked string
  if (publicKey === undefined) return false;
  return sr25519Verify(Buffer.from(meta.signature, "hex"), signingMessage(meta, tensors), publicKey);
}
