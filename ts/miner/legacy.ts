// The subnet's legacy research-tier format: a float32 .npy [L, 2, 1, H, T, D] at a URL ending in ".npy".
// The worker pool writes it alongside the container (CompressRequest.legacy_npy_path). This exporter is the
// fallback for compressors that cannot: it runs the worker package's export in a short-lived Python
// process, which costs an interpreter start per legacy request.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { workerEnv } from "../workers/spawn.js";

export interface LegacyExporter {
  /** Writes the legacy .npy of the container at `containerPath` to `npyPath`; returns its size in bytes. */
  toNpy(containerPath: string, npyPath: string, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<number>;
}

export class LegacyExportError extends Error {
  override readonly name = "LegacyExportError";
}

const SCRIPT = [
  "import sys",
  "from condense_worker.container.legacy import container_to_legacy_npy",
  "print(container_to_legacy_npy(sys.argv[1], sys.argv[2]))",
].join("\n");

export class PythonLegacyExporter implements LegacyExporter {
  readonly python: string;
  constructor(python?: string) {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    this.python = python ?? path.join(root, ".venv/bin/python");
  }

  async toNpy(containerPath: string, npyPath: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<number> {
    const r = await execa(this.python, ["-c", SCRIPT, containerPath, npyPath], {
      reject: false,
      timeout: opts.timeoutMs ?? 60_000,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      // The same allow-listed environment as the workers: no storage keys or other secrets reach Python.
      env: workerEnv(process.env),
      extendEnv: false,
    });
    if (r.exitCode !== 0) {
      const tail = String(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
      throw new LegacyExportError(`legacy .npy export failed (${r.timedOut ? "timed out" : r.isCanceled ? "cancelled" : `exit ${r.exitCode}`}): ${tail}`);
    }
    const bytes = Number(String(r.stdout).trim().split("\n").pop());
    if (!Number.isFinite(bytes) || bytes <= 0) throw new LegacyExportError(`legacy .npy export printed no size: ${String(r.stdout).slice(0, 200)}`);
    return bytes;
  }
}

/**
 * What the validator asked for, from the synapse's `compressed_kv_format`: our validators send
 * "safetensors"; the subnet's validators do not know the field and send nothing, which means the legacy .npy.
 */
export function wantsLegacy(format: unknown): boolean {
  return format === undefined || format === null || format === "" || format === "npy";
}
