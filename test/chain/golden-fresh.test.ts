// The committed golden vectors are exactly what the stdlib Python scripts produce (so nobody edits a JSON
// file by hand to make a test pass).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GOLDEN_DIR } from "./golden.js";

describe("golden vectors are reproducible", () => {
  for (const name of ["chain_weights", "chain_commit", "chain_scale"]) {
    it(`${name}.py regenerates ${name}.json byte for byte`, () => {
      const dir = mkdtempSync(join(tmpdir(), "golden-"));
      try {
        const out = join(dir, `${name}.json`);
        execFileSync("python3", ["-B", `${GOLDEN_DIR}${name}.py`, out], { stdio: "pipe" });
        expect(readFileSync(out, "utf8")).toBe(readFileSync(`${GOLDEN_DIR}${name}.json`, "utf8"));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
