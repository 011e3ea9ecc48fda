// The package as a user gets it: `npm pack` (its prepack builds dist/ and copies the assets beside the code),
// the tarball installed into an empty project outside the checkout, then plain `node` (no tsx) runs
// examples/quickstart.mjs importing from "condense", the installed bin runs the built CLI, and tsc types a
// consumer against the emitted declarations.
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keypair } from "../../ts/wallet/index.js";
import { computeWeights, scoreChallenge } from "../../ts/validator/score/index.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };

// The runtime dependency tree exactly as the checkout's lockfile pins it (dev-only entries dropped), so the
// install needs no registry metadata: npm's cache (filled by setup's `npm ci`) holds every tarball.
const depEntries = Object.fromEntries(Object.entries(lock.packages).filter(([k, v]) => k !== "" && !v.dev));
const depsHash = createHash("sha256").update(JSON.stringify(depEntries)).digest("hex").slice(0, 16);
// Outside the checkout, so nothing resolves from its node_modules; kept between runs (the dependencies are
// extracted once per lockfile, then each run installs only the fresh tarball).
const project = path.join(os.tmpdir(), `condense-sdk-consumer-${depsHash}`);
const packDir = mkdtempSync(path.join(os.tmpdir(), "condense-sdk-pack-"));
const env = { ...process.env, NODE_PATH: "", NODE_OPTIONS: "" };
let tarball = "";
let files: string[] = [];

async function npmInstall(): Promise<void> {
  // --ignore-scripts: the only install script that matters here compiles better-sqlite3 from source (minutes
  // on 2 cores, offline); zeromq ships prebuilt binaries and the example opens no database.
  const args = ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel", "error"];
  try {
    await run("npm", [...args, "--offline"], { cwd: project, env, maxBuffer: 16 << 20 });
  } catch (e) {
    if (!/ENOTCACHED/.test(String((e as { stderr?: string }).stderr))) throw e;
    // A cache without some tarball (a machine set up another way): fetch just what is missing.
    await run("npm", [...args, "--prefer-offline"], { cwd: project, env, maxBuffer: 16 << 20 });
  }
}

beforeAll(async () => {
  for (const dir of [os.tmpdir(), path.dirname(os.tmpdir())])
    if (existsSync(path.join(dir, "node_modules"))) throw new Error(`${dir}/node_modules would let the install resolve what the package lacks; remove it`);
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: root, env, maxBuffer: 64 << 20 });
  const report = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(packDir, report[0]!.filename);
  files = report[0]!.files.map((f) => f.path);

  mkdirSync(project, { recursive: true });
  const local = path.join(project, "condense.tgz");
  copyFileSync(tarball, local);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(local)).digest("base64")}`;
  const dependencies = { condense: "file:condense.tgz" };
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "sdk-consumer", version: "1.0.0", private: true, type: "module", dependencies }, null, 2));
  const condense = { version: pkg.version, resolved: "file:condense.tgz", integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines };
  const packages = { "": { name: "sdk-consumer", version: "1.0.0", dependencies }, "node_modules/condense": condense, ...depEntries };
  writeFileSync(path.join(project, "package-lock.json"), JSON.stringify({ name: "sdk-consumer", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2));
  // The previous run's copy goes, so what runs is this tarball's.
  rmSync(path.join(project, "node_modules/condense"), { recursive: true, force: true });
  await npmInstall();
  copyFileSync(path.join(root, "examples/quickstart.mjs"), path.join(project, "quickstart.mjs"));
}, 420_000);

afterAll(() => rmSync(packDir, { recursive: true, force: true }));

describe("the packed SDK", () => {
  it("holds the built code with its assets, the schema, the worker package and the bin; no sources or tests", () => {
    for (const f of ["package.json", "README.md", "bin/condense.js", "dist/index.js", "dist/index.d.ts", "dist/container/index.d.ts", "dist/cli/main.js",
      "dist/localnet/tiers.json", "dist/localnet/dashboard/page.html", "proto/condense/v1/worker.proto", "proto/container/golden/kv_bf16.safetensors",
      "config/tiers.json", "pyproject.toml", "py/condense_worker/__main__.py"])
      expect(files, f).toContain(f);
    const stray = files.filter((f) => /^(ts|test|scripts|docs)\//.test(f) || f.includes("__pycache__") || f.endsWith(".map") || f.startsWith("py/tests"));
    expect(stray).toEqual([]);
  });

  it("installs into an empty project and runs the quickstart with plain node", async () => {
    const { stdout } = await run(process.execPath, ["quickstart.mjs"], { cwd: project, env, timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!);
    const alice = Keypair.fromUri("//Alice").address;
    const golden = JSON.parse(readFileSync(path.join(root, "proto/container/golden/manifest.json"), "utf8")) as { valid: Array<{ file: string; metadata: Record<string, string> }> };
    const meta = golden.valid.find((v) => v.file === "kv_bf16.safetensors")!.metadata;
    expect(out.uids).toEqual({ validator: 0, alice: 1, bob: 2 });
    expect(out.permit).toBe(true);
    expect(out.container).toEqual({ signed: true, verified: true, miner: alice, keptTokens: Number(meta["kept_tokens"]), originalTokens: Number(meta["original_tokens"]), otherContext: "BINDING_MISMATCH" });
    // The same computation through the checkout's source.
    const score = scoreChallenge({
      challengeId: "quickstart-1", kind: "needle_single", fullAccuracy: 1, accelerate: 0.1, positives: [true, true], negatives: [true, false], answers: [true],
      keptTokens: Number(meta["kept_tokens"]), originalTokens: Number(meta["original_tokens"]), maxCondensedTokens: 8,
    });
    expect(out.score).toEqual(score);
    expect(score.score).toBeGreaterThan(0);
    const { weights } = computeWeights(
      [
        { uid: 1, hotkey: alice, tier: "research", quality: score.score, reliability: 1, capacity: 10, speedMetric: null },
        { uid: 2, hotkey: "bob", tier: "research", quality: 0, reliability: 1, capacity: 10, speedMetric: null },
      ],
      { research: { incentive: 100 } },
    );
    expect(out.weights).toEqual(Object.fromEntries([...weights].map(([u, w]) => [String(u), w])));
    expect(out.incentive.alice).toBeGreaterThan(0.99);
    expect(out.incentive.bob).toBe(0);
  }, 120_000);

  it("exports only its public entry points, and the installed bin runs the built CLI", async () => {
    const probe = [
      'const root = await import("condense"); const sub = await import("condense/container");',
      'let deep = "importable"; try { await import("condense/dist/chain/devchain.js"); } catch (e) { deep = e.code; }',
      "console.log(JSON.stringify({ same: sub.readContainerHeader === root.readContainerHeader, deep,",
      "  kinds: [root.startMiner, root.startValidator, root.WorkerPool, root.Axon, root.Dendrite, root.SubtensorChain, root.DevChain, root.signContainer, root.readContainerHeader, root.requestChallenge, root.scoreChallenge].map((f) => typeof f) }));",
    ].join("\n");
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe], { cwd: project, env, timeout: 60_000 });
    const out = JSON.parse(stdout.trim());
    expect(out.same).toBe(true);
    expect(out.deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
    expect(out.kinds).toEqual(Array(11).fill("function"));
    const bin = await run(process.execPath, [path.join(project, "node_modules/.bin/condense"), "--help"], { cwd: project, env, timeout: 60_000 });
    expect(bin.stdout).toMatch(/condense miner/);
    expect(bin.stdout).toMatch(/condense validator/);
  }, 120_000);

  it("carries a Python worker package pip can build (`pip install ./node_modules/condense`)", async () => {
    // A wheel from a copy, so the build leaves nothing in node_modules and installs nothing anywhere.
    const src = mkdtempSync(path.join(packDir, "py-"));
    const installed = path.join(project, "node_modules/condense");
    cpSync(path.join(installed, "pyproject.toml"), path.join(src, "pyproject.toml"));
    cpSync(path.join(installed, "py"), path.join(src, "py"), { recursive: true });
    const wheels = path.join(packDir, "wheels");
    await run(path.join(root, ".venv/bin/python"), ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", wheels, src], { cwd: src, env, timeout: 120_000 });
    const wheel = readdirSync(wheels).find((f) => f.endsWith(".whl"));
    expect(wheel).toMatch(/^condense_worker-/);
    const { stdout } = await run(path.join(root, ".venv/bin/python"), ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", path.join(wheels, wheel!)], { env });
    const inWheel = stdout.split("\n").filter((f) => f.endsWith(".py"));
    const shipped = readdirSync(path.join(installed, "py"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".py"));
    expect(inWheel.sort()).toEqual(shipped.sort());
  }, 120_000);

  it("types a TypeScript consumer from the emitted declarations", async () => {
    writeFileSync(
      path.join(project, "typed.ts"),
      [
        'import { DevChain, scoreChallenge, readContainerHeader, type ContainerHeader, type RunningMiner, type RunningValidator } from "condense";',
        'import { signContainer } from "condense/container";',
        "const chain = new DevChain({ blockTimeMs: 250 });",
        "const block: Promise<number> = chain.currentBlock();",
        'const header: Promise<ContainerHeader> = readContainerHeader("x.safetensors");',
        "const stop: (m: RunningMiner | RunningValidator) => Promise<void> = (m) => m.stop();",
        'const s: number = scoreChallenge({ challengeId: "c", kind: "k", fullAccuracy: null, accelerate: 0, positives: [], negatives: [], answers: [], keptTokens: 1, originalTokens: 2, maxCondensedTokens: 3 }).score;',
        "// @ts-expect-error: the declarations carry real types, so a wrong option is an error",
        'new DevChain({ blockTimeMs: "fast" });',
        "// @ts-expect-error: signContainer needs a signer",
        'void signContainer("x.safetensors");',
        "export { block, header, stop, s };",
      ].join("\n"),
    );
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: [], typeRoots: [path.join(root, "node_modules/@types")] }, files: ["typed.ts"] }),
    );
    const tsc = path.join(root, "node_modules/.bin/tsc");
    const r = await run(tsc, ["-p", "tsconfig.json"], { cwd: project, env, timeout: 120_000 }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${r.stdout}${r.stderr}`).toBe("");
  }, 120_000);
});
