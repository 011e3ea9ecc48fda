// The docs never show a secret passed as a flag: a command line is readable by every user of the machine
// (ps, /proc/<pid>/cmdline) and lands in shell history.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const files = ["README.md", ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
// Flags that carry a secret, followed by a value on the same command line.
const SECRET_FLAG = /--(storage\.s3\.(access_key|secret_key)|[\w.]*password|[\w.]*token|[\w.]*api_key)[ =](?!\s*\|)\S+/i;

describe("docs", () => {
  it("no command in the docs puts a secret on the command line", () => {
    const hits: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(root, f), "utf8");
      const blocks = text.match(/```[\s\S]*?```/g) ?? [];
      for (const b of blocks) for (const line of b.split("\n")) if (SECRET_FLAG.test(line)) hits.push(`${f}: ${line.trim()}`);
    }
    expect(hits).toEqual([]);
  });
});
