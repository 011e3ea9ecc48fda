// Starts the local S3-compatible server (scripts/s3-server.sh exec: moto, see docs/storage.md) on a free
// loopback port, for tests and benchmarks; stop() ends it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../util/free-port.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface S3Server {
  endpoint: string;
  stop(): Promise<void>;
}


export async function startS3Server(timeoutMs = 30_000): Promise<S3Server> {
  const port = await freePort();
  const child: ChildProcess = spawn("bash", [path.join(root, "scripts/s3-server.sh"), "exec", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  // A test or benchmark that dies before stop() must not leave the server behind.
  const onExit = () => child.kill("SIGKILL");
  process.once("exit", onExit);
  const stop = async () => {
    process.removeListener("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`s3 server exited (${child.exitCode}): ${stderr}`);
    try {
      const r = await fetch(endpoint + "/");
      if (r.status < 500) return { endpoint, stop };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`s3 server did not answer within ${timeoutMs} ms: ${stderr}`);
}
