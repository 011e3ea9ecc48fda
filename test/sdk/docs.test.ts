// docs/sdk.md cannot drift: every `ts` block is type-checked and run (in order, one process, through tsx
// against the source, with "condense" and its subpaths mapped through package.json's exports map to ts/),
// and what it prints must equal the `text` block right under it. The process must also exit by itself:
// an example that leaves a server or a worker running hangs it.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const doc = readFileSync(path.join(root, "docs/sdk.md"), "utf8");
const exportsMap = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { exports: Record<string, string | { default: string }> }).exports;
mkdirSync(path.join(root, ".cache"), { recursive: true });
// Inside the checkout so the blocks' other imports (pino, node:) resolve as they would for a user.
const dir = mkdtempSync(path.join(root, ".cache", "sdk-docs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Example {
  line: number;
  code: string;
  expected: string;
}

function examples(): Example[] {
  const out: Example[] = [];
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  const blocks = [...doc.matchAll(fence)].map((m) => ({ lang: m[1]!, body: m[2]!, start: m.index!, end: m.index! + m[0].length }));
  blocks.forEach((b, i) => {
    if (b.lang !== "ts") return;
    const next = blocks[i + 1];
    const line = doc.slice(0, b.start).split("\n").length;
    if (!next || next.lang !== "text" || doc.slice(b.end, next.start).trim() !== "") throw new Error(`docs/sdk.md:${line}: a ts block must be followed by the text block of what it prints`);
    out.push({ line, code: b.body, expected: next.body });
  });
  return out;
}

/** "condense" -> /repo/ts/index.js, "condense/container" -> /repo/ts/container/index.js, as the exports map says. */
function toSource(spec: string): string {
  const key = spec === "condense" ? "." : `.${spec.slice("condense".length)}`;
  const target = exportsMap[key];
  if (target === undefined) throw new Error(`docs/sdk.md imports ${spec}, which package.json does not export`);
  const file = typeof target === "string" ? target : target.default;
  return path.join(root, file.replace(/^\.\/dist\//, "ts/"));
}

const list = examples();
let outputs: string[] = [];
let failure: unknown = null;

beforeAll(async () => {
  const files = list.map((ex, i) => {
    const imports = [...ex.code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]!);
    const foreign = imports.filter((s) => !s.startsWith("node:") && s !== "condense" && !s.startsWith("condense/"));
    if (foreign.length) throw new Error(`docs/sdk.md:${ex.line}: an example imports ${foreign.join(", ")}; examples use the package ("condense") and node: only`);
    const code = ex.code.replace(/"(condense(?:\/[\w.-]+)*)"/g, (_m, spec: string) => JSON.stringify(toSource(spec)));
    const file = path.join(dir, `example-${i}.ts`);
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: path.join(root, "tsconfig.json"), include: ["./example-*.ts"] }));
  const runner = path.join(dir, "runner.ts");
  writeFileSync(runner, files.map((f, i) => `process.stdout.write("@@example ${i}\\n");\nawait import(${JSON.stringify(f)});`).join("\n") + "\nexport {};\n");
  try {
    const r = await run(path.join(root, "node_modules/.bin/tsx"), [runner], {
      cwd: root,
      env: { ...process.env, WORKER_PYTHON: path.join(root, ".venv/bin/python") },
      timeout: 240_000,
      maxBuffer: 16 << 20,
    });
    outputs = r.stdout.split(/^@@example \d+\n/m).slice(1);
  } catch (e) {
    failure = e;
    const out = String((e as { stdout?: string }).stdout ?? "");
    outputs = out.split(/^@@example \d+\n/m).slice(1);
  }
}, 300_000);

describe("docs/sdk.md examples", () => {
  it("has examples", () => {
    expect(list.length).toBeGreaterThanOrEqual(5);
  });

  it("type-check against the source", async () => {
    const r = await run(path.join(root, "node_modules/.bin/tsc"), ["-p", path.join(dir, "tsconfig.json"), "--noEmit"], { cwd: root, timeout: 120_000 }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${r.stdout}${r.stderr}`.replaceAll(dir + "/", "")).toBe("");
  }, 120_000);

  it("run to the end and exit by themselves", () => {
    const e = failure as { killed?: boolean; code?: number; stderr?: string } | null;
    expect(e ? `${e.killed ? "timed out (a handle left open?)" : `exit ${e.code}`}: ${String(e.stderr).slice(-3000)}` : null).toBeNull();
  });

  list.forEach((ex, i) => {
    it(`print what the docs say (docs/sdk.md:${ex.line})`, () => {
      expect(outputs[i]).toBe(ex.expected);
    });
  });
});
