// Loads the golden vectors written by scripts/golden/chain_*.py.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const GOLDEN_DIR = fileURLToPath(new URL("../../scripts/golden/", import.meta.url));

export function loadGolden<T>(name: string): T {
  return JSON.parse(readFileSync(`${GOLDEN_DIR}${name}.json`, "utf8")) as T;
}
