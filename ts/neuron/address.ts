// The address a neuron publishes on chain must be an IP: a host name is resolved once at start, before
// anything slow (workers) loads, and a name that does not resolve is a start-up error.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { StartupError } from "./errors.js";

export type Lookup = (host: string) => Promise<{ address: string }>;

const defaultLookup: Lookup = (host) => lookup(host, { verbatim: true });

/** `host` itself when it is an IP, else the address it resolves to (first answer). */
export async function resolveExternalIp(host: string, opts: { lookup?: Lookup; timeoutMs?: number } = {}): Promise<string> {
  if (isIP(host)) return ipaddr.process(host).toString();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await Promise.race([
      (opts.lookup ?? defaultLookup)(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (!isIP(r.address)) throw new Error(`resolved to ${JSON.stringify(r.address)}, not an IP`);
    return ipaddr.process(r.address).toString();
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new StartupError(`cannot resolve ${JSON.stringify(host)} (${why})`, "set the IP address validators reach this machine at", "axon.external_ip", { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** Loopback, unspecified and link-local addresses: the chain refuses them (finney, test). */
export function isUnpublishable(ip: string): boolean {
  if (!isIP(ip)) return true;
  const range = ipaddr.process(ip).range();
  return range === "loopback" || range === "unspecified" || range === "linkLocal";
}
