// `npm run build` emits a runnable CLI and the SDK's type declarations (not a no-op type check).
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
// Inside the checkout (.cache is ignored) so the emitted code resolves node_modules as dist/ would.
mkdirSync(join(root, ".cache"), { recursive: true });
const out = mkdtempSync(join(root, ".cache", "build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("builds JavaScript and declarations that run without tsx", async () => {
  await run("npx", ["--no-install", "tsc", "-p", "tsconfig.build.json", "--outDir", out], { cwd: root });
  expect(existsSync(join(out, "cli/main.js"))).toBe(true);
  expect(existsSync(join(out, "container/index.d.ts"))).toBe(true);
  const { stdout } = await run(process.execPath, [join(out, "cli/main.js"), "--help"], { cwd: root });
  expect(stdout).toMatch(/condense miner/);
}, 120_000);
