#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `condense` works from a checkout without a build step; an installed
// package has no ts/ (nor tsx, a dev dependency) and runs the built dist/ instead.
import { existsSync } from "node:fs";

const source = new URL("../ts/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli/main.js");
}
