// Dial policy for axon addresses read from the chain: the miner chose them, so they go through the same
// address classes as download URLs (ts/validator/verify/address-policy) before anything is sent.
import { checkAddress, DEFAULT_ADDRESS_POLICY, type AddressClass, type AddressPolicy } from "../verify/address-policy.js";

export type DialVerdict = { ok: true; url: string; class: AddressClass } | { ok: false; code: "AXON_ADDRESS_REFUSED" | "AXON_PORT_INVALID"; class: AddressClass; detail: string };

export function checkAxon(axon: { ip: string; port: number }, policy: AddressPolicy = DEFAULT_ADDRESS_POLICY): DialVerdict {
  const v = checkAddress(axon.ip, policy);
  if (!v.ok) return { ok: false, code: "AXON_ADDRESS_REFUSED", class: v.class, detail: `axon ip ${String(axon.ip).slice(0, 64)} is ${v.class}` };
  if (!Number.isInteger(axon.port) || axon.port < 1 || axon.port > 65535) {
    return { ok: false, code: "AXON_PORT_INVALID", class: v.class, detail: `axon port ${String(axon.port).slice(0, 16)}` };
  }
  const host = axon.ip.includes(":") ? `[${axon.ip.replace(/^\[|\]$/g, "")}]` : axon.ip;
  return { ok: true, url: `http://${host}:${axon.port}`, class: v.class };
}
