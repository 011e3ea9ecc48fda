// Shared fixtures for the container tests: golden manifest, dev keys, the Python interpreter.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { ModelShape } from "../../ts/container/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const GOLDEN = path.join(ROOT, "proto/container/golden");
export const PYTHON = path.join(ROOT, ".venv/bin/python");

export interface GoldenTensor {
  name: string;
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
  sha256: string;
}
export interface GoldenValid {
  file: string;
  kind: string;
  dtype: string;
  bytes: number;
  header_bytes: number;
  file_sha256: string | null;
  signed: boolean;
  metadata: Record<string, string | null>;
  tensors: GoldenTensor[];
  signing_message?: string;
}
export interface GoldenMalformed {
  file: string;
  ts: string;
  py: string;
  why: string;
  verify_signature?: boolean;
}
export interface GoldenManifest {
  model: { num_layers: number; kv_heads: number; head_dim: number; hidden_size: number };
  context: string;
  context_sha256: string;
  signer: { uri: string; address: string };
  valid: GoldenValid[];
  malformed: GoldenMalformed[];
}

export const manifest: GoldenManifest = JSON.parse(readFileSync(path.join(GOLDEN, "manifest.json"), "utf8"));
export const goldenModel: ModelShape = {
  numLayers: manifest.model.num_layers,
  kvHeads: manifest.model.kv_heads,
  headDim: manifest.model.head_dim,
  hiddenSize: manifest.model.hidden_size,
};

export async function devKeys(): Promise<{ alice: KeyringPair; bob: KeyringPair }> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: "sr25519", ss58Format: 42 });
  return { alice: keyring.addFromUri("//Alice"), bob: keyring.addFromUri("//Bob") };
}
