// docs/container.md shows the error table the code uses (CONTAINER_ERRORS), row for row.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTAINER_ERRORS } from "../../ts/container/index.js";
import { ROOT } from "./helpers.js";

describe("docs/container.md error table", () => {
  it("equals CONTAINER_ERRORS", () => {
    const doc = readFileSync(path.join(ROOT, "docs/container.md"), "utf8");
    const table = doc.split("<!-- container-errors:start -->")[1]?.split("<!-- container-errors:end -->")[0] ?? "";
    const rows = table
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) => l.split(" | ").map((c) => c.replace(/^\| ?|`| ?\|$/g, "").trim()));
    expect(rows).toEqual(Object.entries(CONTAINER_ERRORS).map(([code, [by, meaning]]) => [code, by, meaning.replaceAll("`", "")]));
  });
});
