// scripts/proto-gen.sh must never leave the committed generated code deleted or half-written when a step fails.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const GEN = ["ts/gen/condense/v1/worker_pb.ts", "py/condense_worker/gen/condense/v1/worker_pb2.py", "py/condense_worker/gen/condense/v1/worker_pb2.pyi"];
const dirs: string[] = [];

/** A scratch copy of what the script reads, with the committed generated code. */
function scratchRepo(): string {
  const d = mkdtempSync(join(tmpdir(), "proto-gen-test-"));
  dirs.push(d);
  for (const p of ["scripts/proto-gen.sh", "buf.gen.yaml", "buf.yaml", "proto", "ts/gen", "py/condense_worker/gen"]) cpSync(join(root, p), join(d, p), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(d, "node_modules"));
  symlinkSync(join(root, ".venv"), join(d, ".venv"));
  return d;
}
const snapshot = (d: string) => GEN.map((f) => readFileSync(join(d, f), "utf8"));
async function gen(d: string, env: Record<string, string> = {}): Promise<number> {
  try {
    await run("bash", [join(d, "scripts/proto-gen.sh")], { cwd: d, env: { ...process.env, ...env } });
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? 1;
  }
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("scripts/proto-gen.sh", () => {
  it("leaves the generated code untouched when the Python generator fails", async () => {
    const d = scratchRepo();
    const before = snapshot(d);
    expect(await gen(d, { PYTHON: "/bin/false" })).not.toBe(0);
    expect(snapshot(d)).toEqual(before);
  });

  it("leaves the generated code untouched when the schema does not compile", async () => {
    const d = scratchRepo();
    const before = snapshot(d);
    appendFileSync(join(d, "proto/condense/v1/worker.proto"), "\nmessage Broken { string x = ; }\n");
    expect(await gen(d)).not.toBe(0);
    expect(snapshot(d)).toEqual(before);
  });

  it("regenerates the committed code exactly when every step succeeds", async () => {
    const d = scratchRepo();
    const before = snapshot(d);
    for (const f of GEN) writeFileSync(join(d, f), "stale\n");
    expect(await gen(d)).toBe(0);
    expect(snapshot(d)).toEqual(before);
  });
});
