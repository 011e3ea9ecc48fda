// The package build `npm pack` runs (prepack): a clean dist/ from tsconfig.build.json (`npm run build`), plus
// the non-TypeScript files the code loads from beside itself (`new URL("./x", import.meta.url)`, e.g.
// ts/localnet/tiers.json), which tsc does not copy.
import { execSync } from "node:child_process";
import { cpSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "ts");
const dist = path.join(root, "dist");

// A module deleted from ts/ must not live on in the tarball.
rmSync(dist, { recursive: true, force: true });
execSync("npm run build", { cwd: root, stdio: "inherit" });
let copied = 0;
for (const rel of readdirSync(src, { recursive: true, encoding: "utf8" })) {
  const from = path.join(src, rel);
  if (rel.endsWith(".ts") || !statSync(from).isFile()) continue;
  cpSync(from, path.join(dist, rel));
  copied += 1;
}
console.log(`dist/: built, ${copied} asset file(s) copied from ts/`);
