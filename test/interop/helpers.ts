// Running the interop peers (Python scripts in test/interop/py) under a given interpreter.
import { spawn } from "node:child_process";
import path from "node:path";

export const PEERS = path.resolve(import.meta.dirname, "py");

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `python args...` in the peers folder; killed after `timeoutMs`. Never rejects for a non-zero exit. */
export function runPython(python: string, args: string[], timeoutMs: number): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { cwd: PEERS, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
