// Shared fixtures for the container tests: golden manifest, dev keys, the Python interpreter.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { ModelShape } from "../../ts/container/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const GOLDEN = path.join(ROOT, "proto/container/golden");
export const PYTHON = path.join(ROOT, ".venv/bin/python");
const run = promisify(execFile);

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

export const PEER = path.join(ROOT, "test/container/container_peer.py");

/** Python's code for each file (one process for the whole list): "ok", a ContainerError code, or PY_ESCAPE:<type>. */
export async function pythonCodes(
  files: string[],
  expect: { target_model?: string; context_sha256?: string; miner_hotkey?: string },
  workDir: string,
): Promise<string[]> {
  const spec = path.join(workDir, `codes-${process.pid}-${Date.now()}.json`);
  writeFileSync(spec, JSON.stringify({ model: manifest.model, expect, files }));
  const { stdout } = await run(PYTHON, [PEER, "codes", spec], { cwd: ROOT, maxBuffer: 64 << 20 });
  const codes = JSON.parse(stdout.trim().split("\n").at(-1) as string) as string[];
  if (codes.length !== files.length) throw new Error(`python answered ${codes.length} codes for ${files.length} files`);
  return codes;
}
