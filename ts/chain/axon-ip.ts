// Axon IP <-> the u128 the chain stores (serve_axon's `ip`), using node:net for parsing/validation.
import { isIPv4, isIPv6 } from "node:net";
import { ChainError } from "./errors.js";

/** Parse an IPv4/IPv6 string into (u128 value, ip_type). Throws a typed error on anything else. */
export function ipToInt(ip: string): { value: bigint; ipType: 4 | 6 } {
  if (isIPv4(ip)) {
    const v = ip.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
    return { value: v, ipType: 4 };
  }
  if (isIPv6(ip)) {
    let s = ip;
    // Embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (v4) {
      const n = ipToInt(v4[1]!).value;
      s = s.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
    const h = head ? head.split(":") : [];
    const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    const v = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
    return { value: v, ipType: 6 };
  }
  throw new ChainError("input", "InvalidIpAddress", `'${ip}' is not an IPv4 or IPv6 address`);
}

/** Inverse of ipToInt. Like the SDK (netaddr), values <= 2^32-1 read as IPv4 whatever ip_type says. */
export function intToIp(value: bigint): { ip: string; ipType: 4 | 6 } {
  if (value < 0n || value >= 1n << 128n) throw new ChainError("decode", "InvalidIpAddress", `ip ${value} is not a u128`);
  if (value <= 0xffffffffn) {
    const parts = [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n));
    return { ip: parts.join("."), ipType: 4 };
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952 text (what the SDK's netaddr and Python's ipaddress print): the longest run of two or more zero
  // groups, the first on a tie, becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return { ip: groups.join(":"), ipType: 6 };
  return { ip: `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`, ipType: 6 };
}

/**
 * The chain's serve_axon IP rule (InvalidIpAddress): never 0 (0.0.0.0 / ::); v4 < 2^32-1 and not 127.0.0.1;
 * v6 not ::1, not all-ones.
 */
export function isChainValidIp(value: bigint, ipType: number): boolean {
  if (value === 0n) return false;
  if (ipType === 4) return value < 0xffffffffn && value !== 0x7f000001n;
  if (ipType === 6) return value !== 1n && value !== (1n << 128n) - 1n;
  return false;
}
