// Streams a miner's container to a private tmpfs file: size-capped (Content-Length and counted bytes),
// deadline-bound, sha256 computed while the bytes pass, redirects refused or re-checked hop by hop.
// On any refusal the partial file is deleted.
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants as fsc, mkdtempSync, rmSync, statSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { request, type Dispatcher } from "undici";
import { VerifyError, isVerifyError } from "./reasons.js";
import { checkUrl, DEFAULT_URL_POLICY, verifyErrorIn, type UrlPolicy } from "./url-policy.js";

/** A 0700 directory under /dev/shm when it is usable (tmpfs), else under the OS temp dir. */
export function createPrivateDir(prefix = "condense-dl-", base?: string): string {
  let root = base;
  if (root === undefined) {
    root = os.tmpdir();
    try {
      accessSync("/dev/shm", fsc.W_OK);
      if (statSync("/dev/shm").isDirectory()) root = "/dev/shm";
    } catch {
      // no tmpfs: fall back to the temp dir
    }
  }
  return mkdtempSync(path.join(root, prefix)); // mkdtemp creates it 0700
}

export function removePrivateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface DownloadOptions {
  /** Guarded dispatcher (createGuardedAgent); required so no download ever skips the connect-time check. */
  dispatcher: Dispatcher;
  /** Directory the file goes into (createPrivateDir). */
  dir: string;
  /** Byte cap (maxContainerBytes for the tier and model). */
  maxBytes: number;
  /** Absolute epoch ms by which the whole download, redirects included, must be done. */
  deadline: number;
  policy?: UrlPolicy;
  signal?: AbortSignal;
}

export interface Downloaded {
  path: string;
  bytes: number;
  sha256: string;
  /** The URL the bytes came from (after any allowed redirect). */
  url: string;
  ms: number;
}

/** Downloads `rawUrl`; resolves with the file or rejects with a VerifyError. */
export async function downloadToFile(rawUrl: string, o: DownloadOptions): Promise<Downloaded> {
  const policy = o.policy ?? DEFAULT_URL_POLICY;
  const started = Date.now();
  const remaining = o.deadline - started;
  if (remaining <= 0) throw new VerifyError("DEADLINE", "deadline already passed");
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), remaining);
  const signal = o.signal ? AbortSignal.any([o.signal, timer.signal]) : timer.signal;
  const file = path.join(o.dir, `${randomBytes(12).toString("hex")}.safetensors`);
  let written = false;
  try {
    let url = checkUrl(rawUrl, policy);
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: "GET", dispatcher: o.dispatcher, signal, headersTimeout: remaining, bodyTimeout: remaining });
      } catch (err) {
        throw mapError(err, timer.signal);
      }
      const { statusCode, headers, body } = res;
      if (statusCode >= 300 && statusCode < 400 && headers.location !== undefined) {
        discard(body);
        if (policy.maxRedirects === 0) throw new VerifyError("REDIRECT_REFUSED", `status ${statusCode}`);
        if (hop >= policy.maxRedirects) throw new VerifyError("TOO_MANY_REDIRECTS", `more than ${policy.maxRedirects}`);
        const loc = Array.isArray(headers.location) ? headers.location[0] : headers.location;
        let next: string;
        try {
          next = new URL(String(loc), url).toString();
        } catch {
          throw new VerifyError("URL_INVALID", "redirect Location does not parse");
        }
        url = checkUrl(next, policy);
        continue;
      }
      if (statusCode !== 200) {
        discard(body);
        throw new VerifyError("HTTP_STATUS", `status ${statusCode}`);
      }
      const declared = headers["content-length"];
      if (declared !== undefined) {
        const n = Number(Array.isArray(declared) ? declared[0] : declared);
        if (!Number.isFinite(n) || n > o.maxBytes) {
          discard(body);
          throw new VerifyError("SIZE_DECLARED", `Content-Length ${String(declared).slice(0, 32)} > cap ${o.maxBytes}`);
        }
      }
      const hash = createHash("sha256");
      let bytes = 0;
      const fh = await open(file, "wx", 0o600).catch((err: Error) => {
        discard(body);
        throw new VerifyError("IO", err.message);
      });
      written = true;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          if (bytes > o.maxBytes) {
            discard(body);
            throw new VerifyError("SIZE_EXCEEDED", `more than ${o.maxBytes} bytes`);
          }
          hash.update(chunk);
          await fh.write(chunk);
        }
      } catch (err) {
        discard(body);
        throw mapError(err, timer.signal);
      } finally {
        await fh.close();
      }
      return { path: file, bytes, sha256: hash.digest("hex"), url: url.toString(), ms: Date.now() - started };
    }
  } catch (err) {
    if (written) await rm(file, { force: true });
    throw err;
  } finally {
    clearTimeout(t);
  }
}

/** Drops a body we will not read; its abort error has nobody to go to. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.destroy();
}

function mapError(err: unknown, deadline: AbortSignal): VerifyError {
  if (isVerifyError(err)) return err;
  const inner = verifyErrorIn(err);
  if (inner) return inner;
  if (deadline.aborted) return new VerifyError("DEADLINE", "download deadline passed");
  const code = (err as { code?: string })?.code;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    return new VerifyError("DEADLINE", String(code));
  }
  return new VerifyError("NETWORK", `${code ?? "error"}: ${(err as Error)?.message ?? String(err)}`);
}
