// `npm run bench -- NAME [--quick]`: runs scripts/bench/NAME.ts (tsx) or scripts/bench/NAME.py (.venv python).
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
if (!name) {
  console.error("usage: npm run bench -- NAME [--quick]");
  process.exit(2);
}
const ts = path.join(here, `${name}.ts`);
const py = path.join(here, `${name}.py`);
let cmd: string[];
if (existsSync(ts)) cmd = [path.join(here, "../../node_modules/.bin/tsx"), ts, ...rest];
else if (existsSync(py)) cmd = [path.join(here, "../../.venv/bin/python"), py, ...rest];
else {
  console.error(`no benchmark named ${name} (looked for ${ts} and ${py})`);
  process.exit(2);
}
const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: "inherit" });
process.exit(r.status ?? 1);
