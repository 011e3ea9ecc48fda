// HTTP header names and encodings of the bittensor 10.x axon/dendrite wire format (spec §1.2). Header names are
// lowercase with underscores; values are Python str() of the terminal-info fields.
import { pyFloatRepr } from "./pystr.js";
import { coerce, placeholderJson, PyValidationError, type PyType } from "./pytypes.js";
import { emptyTerminalInfo, SynapseParseError, TerminalInfoFields, type Synapse, type SynapseClass, type TerminalInfo } from "./synapse.js";

export const HEADER = {
  name: "name",
  timeout: "timeout",
  headerSize: "header_size",
  totalSize: "total_size",
  bodyHash: "computed_body_hash",
  dendritePrefix: "bt_header_dendrite_",
  axonPrefix: "bt_header_axon_",
  inputObjPrefix: "bt_header_input_obj_",
} as const;

/** The SDK version we claim on the wire (10.5.0 as `major*1e6 + minor*1e3 + patch`); >= 7002000 enables the nonce window. */
export const WIRE_VERSION = 10_005_000;
/** Below this version a Python axon only checks nonce monotonicity (no freshness window). */
export const NONCE_WINDOW_VERSION = 7_002_000;

const TERMINAL_KEYS = Object.keys(TerminalInfoFields) as (keyof TerminalInfo)[];

/** Python str() of a terminal-info value as the SDK writes it into a header. */
function terminalHeaderValue(key: keyof TerminalInfo, v: unknown): string {
  if (key === "process_time") return pyFloatRepr(v as number);
  return String(v);
}

function putTerminal(out: Record<string, string>, prefix: string, info: TerminalInfo | null | undefined): void {
  if (!info) return;
  for (const k of TERMINAL_KEYS) {
    const v = info[k];
    if (v !== null && v !== undefined) out[prefix + k] = terminalHeaderValue(k, v);
  }
}

/**
 * Headers of a synapse (`Synapse.to_headers()`): name, timeout (Python float str), every non-null terminal-info
 * field, a `bt_header_input_obj_*` placeholder per required subnet field, sizes and the body hash.
 */
export function synapseHeaders<V extends Record<string, unknown>>(cls: SynapseClass<V>, s: Synapse<V>, bodyHash: string, bodyBytes = 0): Record<string, string> {
  const out: Record<string, string> = { [HEADER.name]: cls.name, [HEADER.timeout]: pyFloatRepr(s.timeout) };
  putTerminal(out, HEADER.axonPrefix, s.axon);
  putTerminal(out, HEADER.dendritePrefix, s.dendrite);
  for (const f of cls.requiredFields) {
    const spec = cls.fields[f]!;
    const value = (s as Record<string, unknown>)[f];
    if (value === null || value === undefined) continue;
    const t: PyType<unknown> = spec.type.kind === "optional" ? spec.type.inner! : spec.type;
    out[HEADER.inputObjPrefix + f] = Buffer.from(placeholderJson(t)).toString("base64");
  }
  // Python fills these with sys.getsizeof() figures nobody validates; we send byte counts.
  out[HEADER.headerSize] = String(Object.entries(out).reduce((n, [k, v]) => n + k.length + v.length + 4, 0));
  out[HEADER.totalSize] = String(bodyBytes);
  out[HEADER.bodyHash] = bodyHash;
  return out;
}

/** Header values as Node gives them (string, string[] for repeats, or undefined). */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

export function headerValue(h: IncomingHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The part of a request synapse the axon can read before the body: what `Synapse.from_headers` gives. */
export interface HeaderSynapse {
  name: string;
  timeout: number;
  dendrite: TerminalInfo;
  axon: TerminalInfo;
  computed_body_hash: string;
}

/** Reads one side's terminal info from `bt_header_<side>_*` headers, validating each present value. */
export function parseTerminalHeaders(synapseName: string, h: IncomingHeaders, prefix: string): TerminalInfo {
  const info = emptyTerminalInfo() as Record<string, unknown>;
  for (const k of TERMINAL_KEYS) {
    const raw = headerValue(h, prefix + k);
    if (raw === undefined) continue;
    const spec = TerminalInfoFields[k];
    try {
      info[k] = coerce(spec.type as PyType<unknown>, raw, prefix + k);
    } catch (e) {
      if (e instanceof PyValidationError) throw new SynapseParseError(synapseName, `header ${e.message}`, prefix + k);
      throw e;
    }
  }
  return info as TerminalInfo;
}

/** Parses the request headers into a header-only synapse. Throws SynapseParseError on a malformed value. */
export function parseRequestHeaders(synapseName: string, h: IncomingHeaders): HeaderSynapse {
  const rawTimeout = headerValue(h, HEADER.timeout);
  let timeout = 12.0;
  if (rawTimeout !== undefined) {
    try {
      timeout = coerce({ kind: "float" } as PyType<number>, rawTimeout, HEADER.timeout);
    } catch {
      throw new SynapseParseError(synapseName, `header timeout: expected a float, got ${JSON.stringify(rawTimeout.slice(0, 40))}`, HEADER.timeout);
    }
    if (!Number.isFinite(timeout) || timeout < 0) throw new SynapseParseError(synapseName, `header timeout: expected a finite non-negative float`, HEADER.timeout);
  }
  return {
    name: synapseName,
    timeout,
    dendrite: parseTerminalHeaders(synapseName, h, HEADER.dendritePrefix),
    axon: parseTerminalHeaders(synapseName, h, HEADER.axonPrefix),
    computed_body_hash: headerValue(h, HEADER.bodyHash) ?? "",
  };
}
