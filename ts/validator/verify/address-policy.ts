// Which IP addresses the validator may dial: axon addresses from the chain and every address a download's
// host name resolves to. A miner controls both, so anything that reaches the validator's own host or network
// (loopback, private ranges, link-local, cloud metadata, ...) is refused unless the operator runs a local
// network (allowPrivate). IPv6 forms that embed an IPv4 address are judged by the address they embed.
import ipaddr from "ipaddr.js";

export const ADDRESS_CLASSES = [
  "public", // global unicast: always dialable
  "loopback", // 127.0.0.0/8, ::1
  "private", // 10/8, 172.16/12, 192.168/16
  "link_local", // 169.254/16, fe80::/10
  "cgnat", // 100.64/10 (carrier-grade NAT, often a provider's internal network)
  "ula", // fc00::/7 (IPv6 unique local)
  "unspecified", // 0.0.0.0, :: (Linux dials them as the local host)
  "metadata", // cloud instance metadata endpoints: never dialled, not even with allowPrivate
  "multicast",
  "broadcast",
  "reserved", // documentation, benchmarking, 240/4, IPv6 reserved, ...
  "transition", // NAT64 / 6to4 / Teredo: tunnels to an IPv4 address we cannot vet from here
  "invalid", // not an IP address at all
] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

/** Classes that allowPrivate lets through (a local network runs its miners on these). */
export const PRIVATE_CLASSES: readonly AddressClass[] = Object.freeze(["loopback", "private", "link_local", "cgnat", "ula", "unspecified"]);

/** Instance-metadata addresses of the big clouds (AWS, GCP, Azure, OpenStack, Alibaba, Oracle, AWS IPv6). */
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "169.254.169.253", "100.100.100.200", "192.0.0.192", "fd00:ec2::254", "fd00:ec2::253"]);

export interface AddressPolicy {
  /** Let loopback, private, link-local, CGNAT, ULA and 0.0.0.0 through (the local network). Default false. */
  allowPrivate: boolean;
  /** Exact addresses let through whatever their class (e.g. an operator's own object store). Default none. */
  allowAddresses?: readonly string[];
}
export const DEFAULT_ADDRESS_POLICY: Readonly<AddressPolicy> = Object.freeze({ allowPrivate: false, allowAddresses: Object.freeze([]) });

/** One spelling per address (IPv4-mapped IPv6 as its IPv4), for comparing against allowAddresses. */
export function normalizeAddress(ip: string): string | null {
  let s = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return ipaddr.IPv4.parse(s).toString();
  if (!ipaddr.IPv6.isValid(s)) return null;
  const a = ipaddr.IPv6.parse(s);
  return (embeddedV4(a) ?? a).toString();
}

const V4_RANGE: Record<string, AddressClass> = {
  unicast: "public",
  loopback: "loopback",
  private: "private",
  linkLocal: "link_local",
  carrierGradeNat: "cgnat",
  unspecified: "unspecified",
  multicast: "multicast",
  broadcast: "broadcast",
};

function classifyV4(a: ipaddr.IPv4): AddressClass {
  const norm = a.toString();
  if (METADATA.has(norm)) return "metadata";
  return V4_RANGE[a.range()] ?? "reserved";
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) IPv6 address. */
function embeddedV4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  const b = a.toByteArray();
  const zero10 = b.slice(0, 10).every((x) => x === 0);
  const mapped = zero10 && b[10] === 0xff && b[11] === 0xff;
  const compatible = zero10 && b[10] === 0 && b[11] === 0;
  if (!mapped && !compatible) return null;
  // :: and ::1 are IPv6's own unspecified and loopback, not compatible forms of 0.0.0.0 / 0.0.0.1
  if (compatible && b.slice(12, 15).every((x) => x === 0) && (b[15] === 0 || b[15] === 1)) return null;
  return new ipaddr.IPv4(b.slice(12, 16));
}

/** Classifies one textual IP address (IPv4, IPv6, bracketed IPv6, with or without a zone id). */
export function classifyAddress(ip: string): AddressClass {
  if (typeof ip !== "string" || ip.length === 0 || ip.length > 64) return "invalid";
  let s = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  // Only the dotted-quad form: ipaddr.js also parses "127.1" and octal/hex parts, which resolvers differ on.
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return classifyV4(ipaddr.IPv4.parse(s));
  if (!ipaddr.IPv6.isValid(s)) return "invalid";
  const a = ipaddr.IPv6.parse(s);
  const v4 = embeddedV4(a);
  if (v4) return classifyV4(v4);
  if (METADATA.has(a.toString())) return "metadata";
  switch (a.range()) {
    case "unicast":
      return "public";
    case "loopback":
      return "loopback";
    case "linkLocal":
      return "link_local";
    case "uniqueLocal":
      return "ula";
    case "unspecified":
      return "unspecified";
    case "multicast":
      return "multicast";
    case "rfc6052":
    case "rfc6145":
    case "6to4":
    case "teredo":
      return "transition";
    default:
      return "reserved";
  }
}

/** True when the policy lets the validator connect to an address of this class. */
export function isClassAllowed(cls: AddressClass, policy: AddressPolicy = DEFAULT_ADDRESS_POLICY): boolean {
  if (cls === "public") return true;
  return policy.allowPrivate && PRIVATE_CLASSES.includes(cls);
}

export type AddressVerdict = { ok: true; class: AddressClass } | { ok: false; class: AddressClass };

export function checkAddress(ip: string, policy: AddressPolicy = DEFAULT_ADDRESS_POLICY): AddressVerdict {
  const cls = classifyAddress(ip);
  if (cls === "invalid") return { ok: false, class: cls };
  if (policy.allowAddresses?.length) {
    const n = normalizeAddress(ip);
    if (n !== null && policy.allowAddresses.some((a) => normalizeAddress(a) === n)) return { ok: true, class: cls };
  }
  return { ok: isClassAllowed(cls, policy), class: cls };
}
