// Golden vectors from CPython (scripts/golden/pystr_vectors.py): str() of coerced values and body hashes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { coerce, computeBodyHash, pyStr, sha3Hex, type FieldMap, type PyType } from "../../ts/bittensor/index.js";

interface Case {
  type: PyType<unknown>;
  value: unknown;
  str: string;
  sha3: string | null;
}
interface Body {
  fields: { name: string; type: PyType<unknown>; value: unknown }[];
  body_hash: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = JSON.parse(readFileSync(path.join(here, "../../scripts/golden/pystr_vectors.json"), "utf8")) as { cases: Case[]; bodies: Body[] };

function label(c: Case): string {
  return `${JSON.stringify(c.type)} ${JSON.stringify(c.value).slice(0, 50)}`;
}

describe("golden file", () => {
  it("is what scripts/golden/pystr_vectors.py produces (no hand edits, no drift)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "golden-"));
    try {
      const out = path.join(dir, "v.json");
      const r = spawnSync("python3", [path.join(here, "../../scripts/golden/pystr_vectors.py"), out], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const fresh = JSON.parse(readFileSync(out, "utf8")) as { cases: Case[]; bodies: Body[] };
      expect(fresh.cases).toEqual(golden.cases);
      expect(fresh.bodies).toEqual(golden.bodies);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Python str() emulation matches CPython", () => {
  it("has a meaningful number of vectors", () => {
    expect(golden.cases.length).toBeGreaterThan(400);
  });

  for (const kind of ["float", "int", "bigint", "str", "bool", "list", "dict", "optional"]) {
    it(`str() of ${kind} values`, () => {
      const cases = golden.cases.filter((c) => c.type.kind === kind);
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        const v = coerce(c.type, c.value, "v");
        expect(pyStr(v, c.type), label(c)).toBe(c.str);
        if (c.sha3) expect(sha3Hex(pyStr(v, c.type)), label(c)).toBe(c.sha3);
      }
    });
  }
});

describe("body hash matches bittensor's Synapse.body_hash", () => {
  it("for 0..6 hashed fields of mixed types", () => {
    expect(golden.bodies.length).toBe(7);
    for (const b of golden.bodies) {
      const fields: FieldMap = Object.fromEntries(b.fields.map((f) => [f.name, { type: f.type }]));
      const values = Object.fromEntries(b.fields.map((f) => [f.name, coerce(f.type, f.value, f.name)]));
      expect(computeBodyHash(fields, b.fields.map((f) => f.name), values)).toBe(b.body_hash);
    }
  });

  it("no hashed fields gives sha3-256 of the empty string", () => {
    expect(computeBodyHash({}, [], {})).toBe("a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  });
});
