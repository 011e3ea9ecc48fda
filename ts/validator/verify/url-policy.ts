// URL policy for what a miner returns: http(s) only, no credentials, and every address the host resolves
// to checked when the socket connects (an undici Agent whose connect.lookup vets each answer), so a name
// that resolves to loopback is refused even though the URL itself looks harmless.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { Agent } from "undici";
import { checkAddress, classifyAddress, DEFAULT_ADDRESS_POLICY, type AddressPolicy } from "./address-policy.js";
import { VerifyError } from "./reasons.js";

export interface UrlPolicy extends AddressPolicy {
  /** Longest URL accepted, characters. Default 2048. */
  maxUrlLength: number;
  /** Redirects followed, each re-checked like the first URL; 0 refuses every redirect. Default 0. */
  maxRedirects: number;
}
export const DEFAULT_URL_POLICY: Readonly<UrlPolicy> = Object.freeze({ ...DEFAULT_ADDRESS_POLICY, maxUrlLength: 2048, maxRedirects: 0 });

/** Resolves a host name to all its addresses (injectable so tests can make a name resolve to loopback). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    const opts: LookupAllOptions = { all: true, verbatim: true };
    dnsLookup(hostname, opts, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** Checks a URL's form and, when its host is an IP literal, the address (no lookup happens for those). */
export function checkUrl(raw: string, policy: UrlPolicy = DEFAULT_URL_POLICY): URL {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > policy.maxUrlLength) {
    throw new VerifyError("URL_INVALID", `URL of ${typeof raw === "string" ? raw.length : typeof raw} characters (max ${policy.maxUrlLength})`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VerifyError("URL_INVALID", "URL does not parse");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new VerifyError("URL_SCHEME", `scheme ${JSON.stringify(url.protocol)} refused`);
  if (url.username !== "" || url.password !== "") throw new VerifyError("URL_INVALID", "URL carries credentials");
  const host = url.hostname;
  if (host === "") throw new VerifyError("URL_INVALID", "URL has no host");
  // WHATWG URL already turned decimal/hex/octal IPv4 spellings into dotted quads; brackets mark IPv6.
  const literal = host.startsWith("[") || /^[0-9.]+$/.test(host);
  if (literal) {
    const v = checkAddress(host, policy);
    if (!v.ok) throw new VerifyError("ADDRESS_REFUSED", `host ${host} is ${v.class}`, v.class);
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A net.connect `lookup` that resolves with `resolve` and fails unless every answer is allowed. */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean } | number | undefined, callback: LookupCallback): void => {
    const all = typeof options === "object" && options !== null && options.all === true;
    const literal = classifyAddress(hostname) !== "invalid";
    const answers: Promise<LookupAddress[]> = literal
      ? Promise.resolve([{ address: hostname.replace(/^\[|\]$/g, ""), family: hostname.includes(":") ? 6 : 4 }])
      : resolve(hostname);
    answers.then(
      (addrs) => {
        if (addrs.length === 0) return callback(new VerifyError("DNS_FAILED", `${hostname} has no addresses`) as unknown as NodeJS.ErrnoException, "");
        for (const a of addrs) {
          const v = checkAddress(a.address, policy);
          if (!v.ok) {
            return callback(new VerifyError("ADDRESS_REFUSED", `${hostname} resolves to ${a.address} (${v.class})`, v.class) as unknown as NodeJS.ErrnoException, "");
          }
        }
        if (all) callback(null, addrs);
        else callback(null, addrs[0]!.address, addrs[0]!.family);
      },
      (err: unknown) => callback(new VerifyError("DNS_FAILED", `${hostname}: ${(err as Error)?.message ?? String(err)}`) as unknown as NodeJS.ErrnoException, ""),
    );
  };
}

export interface GuardedAgentOptions {
  policy?: AddressPolicy;
  resolve?: Resolver;
  /** TCP + TLS connect timeout, ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Sockets kept per origin. Default 8. */
  connections?: number;
}

/** An undici dispatcher that checks every resolved address at connect time. */
export function createGuardedAgent(o: GuardedAgentOptions = {}): Agent {
  const policy = o.policy ?? DEFAULT_ADDRESS_POLICY;
  return new Agent({
    connections: o.connections ?? 8,
    connect: { timeout: o.connectTimeoutMs ?? 10_000, lookup: guardedLookup(policy, o.resolve) as never },
  });
}

/** The VerifyError a failed connect carries, wherever undici put it. */
export function verifyErrorIn(err: unknown): VerifyError | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof VerifyError) return e;
  }
  return undefined;
}
