// The process-wide ZAP handler (ZeroMQ RFC 27): libzmq asks it, for every new connection to a pool's
// socket, whether the PLAIN password is that pool's key. A peer without it is dropped during the
// handshake, before it can send a single message, so it cannot make us read, decode or buffer anything.
// One handler serves every pool of the process (the endpoint is one per ZeroMQ context); each pool has
// its own ZAP domain.
import { createHash, timingSafeEqual } from "node:crypto";
import { Reply } from "zeromq";

const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
/** The PLAIN user name workers send; only the password (the key) is checked. */
export const ZAP_USER = "condense-worker";

interface Domain {
  digest: Buffer;
  onRefused: (address: string) => void;
}

const domains = new Map<string, Domain>();
let sock: Reply | undefined;
let starting: Promise<void> | undefined;

export function keyDigest(key: string | Buffer): Buffer {
  return createHash("sha256").update(key).digest();
}

/** Admits, in `domain`, the connections whose PLAIN password is `key`; `onRefused` hears of the others. */
export async function addZapDomain(domain: string, key: string, onRefused: (address: string) => void): Promise<void> {
  domains.set(domain, { digest: keyDigest(key), onRefused });
  starting ??= start();
  await starting;
}

export function removeZapDomain(domain: string): void {
  domains.delete(domain);
  if (domains.size > 0 || !sock) return;
  // An open socket with a pending receive keeps the process alive: close it with the last pool.
  sock.close();
  sock = undefined;
  starting = undefined;
}

async function start(): Promise<void> {
  const s = new Reply({ linger: 0 });
  // The endpoint of a handler just closed (the previous last pool) is released asynchronously.
  for (let attempt = 0; ; attempt++) {
    try {
      await s.bind(ZAP_ENDPOINT);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 100) {
        s.close();
        starting = undefined;
        throw e;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  sock = s;
  void serve(s);
  // Every pool may have closed while we bound.
  if (domains.size === 0) removeZapDomain("");
}

async function serve(s: Reply): Promise<void> {
  try {
    for await (const [version, requestId, domain, address, , mechanism, , password] of s) {
      const d = domains.get(domain?.toString("utf8") ?? "");
      const ok =
        d !== undefined && mechanism?.toString("utf8") === "PLAIN" && password !== undefined && timingSafeEqual(keyDigest(password), d.digest);
      if (!ok) d?.onRefused(address?.toString("utf8") ?? "");
      await s.send([version ?? "1.0", requestId ?? "", ok ? "200" : "400", ok ? "OK" : "wrong pool key", ok ? ZAP_USER : "", ""]);
    }
  } catch {
    // closed with the last pool
  }
}
