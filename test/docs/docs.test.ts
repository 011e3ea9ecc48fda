// The docs promise only what exists: links resolve inside the repository, and every `condense X` they name is
// a command the CLI has.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

function markdownFiles(): string[] {
  const out = ["README.md"];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d))) {
      const p = join(d, e);
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (p.endsWith(".md")) out.push(p);
    }
  };
  for (const d of ["docs", "proto"]) walk(d);
  return out;
}
const docs = markdownFiles().map((f) => ({ file: f, text: readFileSync(join(root, f), "utf8") }));

describe("docs", () => {
  it("link only to files inside the repository", () => {
    const bad: string[] = [];
    for (const { file, text } of docs)
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!;
        if (target.startsWith("#")) continue;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
          bad.push(`${file}: external link ${target}`);
          continue;
        }
        const p = resolve(root, dirname(file), target.split("#")[0]!);
        if (relative(root, p).startsWith("..")) bad.push(`${file}: ${target} leaves the repository`);
        else if (!existsSync(p)) bad.push(`${file}: ${target} does not exist`);
      }
    expect(bad).toEqual([]);
  });

  it("do not point at files that only exist beside this checkout", () => {
    const bad = docs.flatMap(({ file, text }) => [...text.matchAll(/(?:\.\.\/)*shared\/(?:spec|design|notes)[\w./-]*/g)].map((m) => `${file}: ${m[0]}`));
    expect(bad).toEqual([]);
  });

  it("name only `condense` commands the CLI has", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, "bin/condense.js"), "--help"], { cwd: root });
    const have = new Set([...stdout.matchAll(/^\s+condense ([a-z][a-z-]*)/gm)].map((m) => m[1]!));
    expect(have.size).toBeGreaterThan(0);
    const missing = docs.flatMap(({ file, text }) => [...text.matchAll(/`condense ([a-z][a-z-]*)/g)].filter((m) => !have.has(m[1]!)).map((m) => `${file}: condense ${m[1]}`));
    expect(missing).toEqual([]);
  }, 60_000);
});
