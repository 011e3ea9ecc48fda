// The TS list of challenge kinds and the worker's generator agree: a kind named in a flag is one the worker draws.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { kindUsed } from "../../../ts/validator/challenges/calibration.js";
import { CHALLENGE_KINDS, PROCEDURAL_KINDS } from "../../../ts/validator/challenges/kinds.js";
import { validatorConfigFromArgs } from "../../../ts/validator/config.js";
import { ConfigError } from "../../../ts/config/resolve.js";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");

describe("challenge kinds", () => {
  it("are exactly the worker generator's procedural kinds, plus corpus QA", () => {
    const out = execFileSync(path.join(ROOT, ".venv/bin/python"), ["-c", "import json; from condense_worker.tasks.kinds import KINDS, WIDENED_KINDS; print(json.dumps(sorted(KINDS + WIDENED_KINDS)))"], { encoding: "utf8" });
    expect([...PROCEDURAL_KINDS].sort()).toEqual(JSON.parse(out) as string[]);
    expect(CHALLENGE_KINDS).toContain("corpus_qa");
  });

  it("a misspelt kind in --validator.challenge_kinds is refused at start, naming the kinds there are", () => {
    let err: unknown;
    try {
      validatorConfigFromArgs(["--subtensor.network", "dev", "--validator.challenge_kinds", "needle_single,needle_singel"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.issues.map((i) => [i.key, i.value])).toEqual([["validator.challenge_kinds.1", "needle_singel"]]);
    expect(e.message).toContain("lookalike_keys");
    expect(validatorConfigFromArgs(["--subtensor.network", "dev", "--validator.challenge_kinds", "needle_single", "corpus_qa"]).validator.challenge_kinds).toEqual(["needle_single", "corpus_qa"]);
  });

  it("a measured kind is used only when it drew, the full cache answers it and (judged) the judge refuses wrong answers", () => {
    expect(kindUsed({ accuracy: 0.75 }, 0.6)).toBe(true);
    expect(kindUsed({ accuracy: 0.5 }, 0.6)).toBe(false);
    // a stored table's kind that failed to draw keeps its accuracy of the few questions it had; still unused
    expect(kindUsed({ accuracy: 1, error: "could not draw 2 non-overlapping questions" }, 0.6)).toBe(false);
    expect(kindUsed({ accuracy: 0.9, judgeFalseYes: 0.4 }, 0.6)).toBe(true);
    expect(kindUsed({ accuracy: 0.9, judgeFalseYes: 0.5 }, 0.6)).toBe(false);
  });
});
