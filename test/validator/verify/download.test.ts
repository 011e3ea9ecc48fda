// Attacks on the download path from outside (issue 10 §4): real HTTP servers on loopback, a guarded
// undici Agent, and the refusal code each attack must get.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Limiter,
  createGuardedAgent,
  createPrivateDir,
  downloadToFile,
  isVerifyError,
  removePrivateDir,
  type DownloadOptions,
  type Resolver,
  type UrlPolicy,
} from "../../../ts/validator/verify/index.js";

const PAYLOAD = Buffer.from("0123456789abcdef".repeat(256)); // 4 KiB
let hits: string[] = [];
let inflight = 0;
let maxInflight = 0;
let port = 0;
let port2 = 0;
const servers: http.Server[] = [];
const dir = createPrivateDir("condense-test-dl-");

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const u = req.url ?? "/";
  hits.push(u);
  if (u === "/ok") {
    res.writeHead(200, { "content-length": PAYLOAD.length });
    res.end(PAYLOAD);
  } else if (u === "/slow") {
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    setTimeout(() => {
      inflight--;
      res.end(PAYLOAD);
    }, 150);
  } else if (u === "/huge-cl") {
    res.writeHead(200, { "content-length": String(2 * 1024 ** 3) });
    res.write(PAYLOAD); // then nothing: the client must not wait for 2 GB
  } else if (u === "/endless") {
    res.writeHead(200); // chunked, no Content-Length
    const t = setInterval(() => res.write(PAYLOAD), 1);
    res.on("close", () => clearInterval(t));
  } else if (u === "/stall") {
    res.writeHead(200, { "content-length": String(PAYLOAD.length * 2) });
    res.write(PAYLOAD); // half the body, then silence
  } else if (u.startsWith("/redirect?to=")) {
    res.writeHead(302, { location: decodeURIComponent(u.slice("/redirect?to=".length)) });
    res.end();
  } else {
    res.writeHead(404);
    res.end();
  }
}

async function listen(host: string): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, host, r));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  port = await listen("127.0.0.1");
  port2 = await listen("127.0.0.2"); // the whole 127/8 is loopback on Linux
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  removePrivateDir(dir);
});

const resolver: Resolver = async (host) => {
  if (host === "evil.test") return [{ address: "127.0.0.1", family: 4 }];
  if (host === "mapped.test") return [{ address: "::ffff:127.0.0.1", family: 6 }];
  if (host === "mixed.test") return [{ address: "127.0.0.2", family: 4 }, { address: "127.0.0.1", family: 4 }];
  throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

const strict: UrlPolicy = { allowPrivate: false, maxUrlLength: 2048, maxRedirects: 0 };
const local: UrlPolicy = { allowPrivate: true, maxUrlLength: 2048, maxRedirects: 3 };

function opts(policy: UrlPolicy, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    dispatcher: createGuardedAgent({ policy, resolve: resolver }),
    dir,
    maxBytes: 64 * 1024,
    deadline: Date.now() + 5_000,
    policy,
    ...extra,
  };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isVerifyError(err)) throw new Error(`expected a VerifyError, got ${String(err)}`);
  return err.code;
}

describe("URL policy and connect-time address checks (issue 10 §4)", () => {
  it("allowPrivate lets loopback through: the file is complete, hashed while streaming, 0600 in a 0700 tmpfs dir", async () => {
    const got = await downloadToFile(`http://127.0.0.1:${port}/ok`, opts(local));
    expect(got.bytes).toBe(PAYLOAD.length);
    expect(got.sha256).toBe(createHash("sha256").update(PAYLOAD).digest("hex"));
    expect(readFileSync(got.path).equals(PAYLOAD)).toBe(true);
    expect(statSync(got.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    if (existsSync("/dev/shm")) expect(dir.startsWith("/dev/shm/")).toBe(true);
  });

  it("refuses a loopback literal without allowPrivate before any request is sent", async () => {
    hits = [];
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/ok`, opts(strict)))).toBe("ADDRESS_REFUSED");
    expect(hits).toEqual([]);
  });

  it("refuses a name that resolves to loopback at connect time (the URL alone looks harmless)", async () => {
    hits = [];
    expect(await refusal(downloadToFile(`http://evil.test:${port}/ok`, opts(strict)))).toBe("ADDRESS_REFUSED");
    expect(hits).toEqual([]);
  });

  it("refuses IPv4-mapped ::ffff:127.0.0.1, which does reach a 127.0.0.1 listener when allowed", async () => {
    hits = [];
    expect(await refusal(downloadToFile(`http://[::ffff:127.0.0.1]:${port}/ok`, opts(strict)))).toBe("ADDRESS_REFUSED");
    expect(await refusal(downloadToFile(`http://mapped.test:${port}/ok`, opts(strict)))).toBe("ADDRESS_REFUSED");
    expect(hits).toEqual([]);
    // the same URL with the exemption on reaches the listener: the refusal above is the policy, not luck
    const got = await downloadToFile(`http://[::ffff:127.0.0.1]:${port}/ok`, opts(local));
    expect(got.bytes).toBe(PAYLOAD.length);
  });

  it("refuses a name when any one of its addresses is refused", async () => {
    hits = [];
    const p: UrlPolicy = { ...strict, allowAddresses: ["127.0.0.2"] };
    expect(await refusal(downloadToFile(`http://mixed.test:${port2}/ok`, opts(p)))).toBe("ADDRESS_REFUSED");
    expect(hits).toEqual([]);
  });

  it("refuses redirects by default and re-checks each hop when they are allowed", async () => {
    hits = [];
    const allowed2: UrlPolicy = { ...strict, allowAddresses: ["127.0.0.2"] };
    const to1 = encodeURIComponent(`http://127.0.0.1:${port}/ok`);
    expect(await refusal(downloadToFile(`http://127.0.0.2:${port2}/redirect?to=${to1}`, opts(allowed2)))).toBe("REDIRECT_REFUSED");
    // redirects on: 127.0.0.2 (allowed) -> 127.0.0.1 (not) is refused and 127.0.0.1 never sees a request
    const follow: UrlPolicy = { ...allowed2, maxRedirects: 3 };
    expect(await refusal(downloadToFile(`http://127.0.0.2:${port2}/redirect?to=${to1}`, opts(follow)))).toBe("ADDRESS_REFUSED");
    // a redirect to the cloud metadata endpoint is refused even on a local network
    const meta = encodeURIComponent("http://169.254.169.254/latest/meta-data/");
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/redirect?to=${meta}`, opts(local)))).toBe("ADDRESS_REFUSED");
    expect(hits.filter((h) => h === "/ok")).toEqual([]);
    // and a redirect the policy allows is followed
    const okTo = encodeURIComponent(`http://127.0.0.1:${port}/ok`);
    expect((await downloadToFile(`http://127.0.0.1:${port}/redirect?to=${okTo}`, opts(local))).bytes).toBe(PAYLOAD.length);
    const loop = encodeURIComponent(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/redirect?to=x`)}`);
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/redirect?to=${loop}`, opts({ ...local, maxRedirects: 1 })))).toBe("TOO_MANY_REDIRECTS");
  });

  it.each(["0x7f000001", "2130706433", "127.1", "0177.0.0.1", "127.0.0.1.", "localhost", "[::1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[::]", "0.0.0.0"])(
    "refuses loopback spelled %s without allowPrivate",
    async (host) => {
      hits = [];
      const o = { ...opts(strict), dispatcher: createGuardedAgent({ policy: strict }) }; // the system resolver
      expect(await refusal(downloadToFile(`http://${host}:${port}/ok`, o))).toBe("ADDRESS_REFUSED");
      expect(hits).toEqual([]);
    },
  );

  it.each(["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "data:text/plain,hi"])("refuses scheme %s", async (u) => {
    expect(await refusal(downloadToFile(u, opts(local)))).toBe("URL_SCHEME");
  });

  it("refuses URLs with credentials, unparsable URLs and overlong URLs", async () => {
    expect(await refusal(downloadToFile(`http://u:p@127.0.0.1:${port}/ok`, opts(local)))).toBe("URL_INVALID");
    expect(await refusal(downloadToFile("not a url", opts(local)))).toBe("URL_INVALID");
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/${"a".repeat(5000)}`, opts(local)))).toBe("URL_INVALID");
  });
});

describe("byte cap, deadline, parallel cap (issue 10 §4)", () => {
  const leftovers = () => readdirSync(dir).filter((f) => f.endsWith(".safetensors")).length;

  it("refuses a Content-Length of 2 GB at once, without reading the body", async () => {
    const before = leftovers();
    const t0 = Date.now();
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/huge-cl`, opts(local)))).toBe("SIZE_DECLARED");
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(leftovers()).toBe(before);
  });

  it("stops a body without Content-Length at the cap and deletes the partial file", async () => {
    const before = leftovers();
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/endless`, opts(local)))).toBe("SIZE_EXCEEDED");
    expect(leftovers()).toBe(before);
  });

  it("gives up on a stalled download at its deadline", async () => {
    const before = leftovers();
    const t0 = Date.now();
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/stall`, opts(local, { deadline: Date.now() + 400 })))).toBe("DEADLINE");
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(2_500);
    expect(leftovers()).toBe(before);
  });

  it("answers HTTP_STATUS for a 404", async () => {
    expect(await refusal(downloadToFile(`http://127.0.0.1:${port}/nope`, opts(local)))).toBe("HTTP_STATUS");
  });

  it("runs downloads in parallel up to the limiter's cap and no further", async () => {
    maxInflight = 0;
    const limiter = new Limiter(3);
    const o = opts(local);
    const t0 = Date.now();
    const all = await Promise.all(Array.from({ length: 8 }, () => limiter.run(() => downloadToFile(`http://127.0.0.1:${port}/slow`, o))));
    expect(all.every((d) => d.bytes === PAYLOAD.length)).toBe(true);
    expect(maxInflight).toBe(3);
    // 8 downloads of 150 ms each, 3 at a time: 3 rounds, well under the 1.2 s of a sequential run
    expect(Date.now() - t0).toBeLessThan(1_100);
  });
});
