// Python str()/repr() emulation for the values a synapse field can hold, as they appear after pydantic's
// model_dump() (nested models are dicts). The body hash is sha3-256 over these strings, so every byte must
// match CPython 3.x; there is no library for this, hence hand-written. Pinned by golden vectors from
// scripts/golden/pystr_vectors.py.
import type { PyType } from "./pytypes.js";

/** `repr(float)`: shortest round-trip digits, fixed notation for 1e-4 <= |x| < 1e16, else `1e-05` / `1.5e+16`. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // JS toExponential() without an argument gives the same shortest round-trip digits as Python's repr.
  const [mant, expStr] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const exp = Number(expStr);
  const sign = x < 0 ? "-" : "";
  const decpt = exp + 1; // position of the decimal point relative to the digit string
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
  return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
}

// Characters Python's str.isprintable() rejects: categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs except the
// ASCII space. Node's ICU may know a newer Unicode version than the peer's CPython; unassigned code points
// (Cn) near the edge can differ.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** `repr(str)`: single quotes unless the text has `'` and no `"`; escapes as CPython's unicode_repr. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (let i = 0; i < s.length; i++) {
    const cu = s.charCodeAt(i);
    // Fast path for printable ASCII.
    if (cu >= 0x20 && cu < 0x7f) {
      const ch = s[i]!;
      if (ch === quote || ch === "\\") out += "\\" + ch;
      else out += ch;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const isPair = cp > 0xffff;
    if (isPair) i++;
    if (cp === 0x09) out += "\\t";
    else if (cp === 0x0a) out += "\\n";
    else if (cp === 0x0d) out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp < 0x7f) out += String.fromCodePoint(cp);
    else if (NON_PRINTABLE.test(String.fromCodePoint(cp)) || (cp >= 0xd800 && cp <= 0xdfff)) {
      if (cp <= 0xff) out += "\\x" + hex(cp, 2);
      else if (cp <= 0xffff) out += "\\u" + hex(cp, 4);
      else out += "\\U" + hex(cp, 8);
    } else out += String.fromCodePoint(cp);
  }
  return out + quote;
}

/** `repr(value)` of a value of Python type `type` (model values are dicts, as after model_dump()). */
export function pyRepr(value: unknown, type: PyType<unknown>): string {
  if (value === null || value === undefined) return "None";
  switch (type.kind) {
    case "str":
      return pyStrRepr(String(value));
    case "int":
    case "bigint":
      return typeof value === "bigint" ? value.toString() : intRepr(value as number);
    case "float":
      return pyFloatRepr(value as number);
    case "bool":
      return value ? "True" : "False";
    case "optional":
      return pyRepr(value, type.inner!);
    case "list":
      return `[${(value as unknown[]).map((v) => pyRepr(v, type.inner!)).join(", ")}]`;
    case "dict":
      return `{${Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v, type.inner!)}`)
        .join(", ")}}`;
    case "model": {
      const fields = type.model!.fields;
      const obj = value as Record<string, unknown>;
      return `{${Object.entries(fields)
        .map(([k, spec]) => `${pyStrRepr(k)}: ${pyRepr(obj[k], spec.type)}`)
        .join(", ")}}`;
    }
    case "any":
      return anyRepr(value);
  }
}

/** `str(value)`: like repr except that a top-level str is its raw text. */
export function pyStr(value: unknown, type: PyType<unknown>): string {
  const t = type.kind === "optional" && value !== null && value !== undefined ? type.inner! : type;
  if (t.kind === "str" && typeof value === "string") return value;
  if (t.kind === "any" && typeof value === "string") return value;
  return pyRepr(value, type);
}

function intRepr(n: number): string {
  // Integers beyond 1e21 would print in exponent form in JS; go through BigInt for the exact digits.
  return Math.abs(n) >= 1e21 ? BigInt(n).toString() : String(n);
}

/**
 * repr of an untyped JSON value (Python `Any` after json.loads). JSON numbers lose their int/float
 * distinction in JS: an integral number is taken as int, so a JSON `1.0` under `Any` hashes as `1`,
 * while Python would say `1.0`. Declare a concrete type for fields that are hashed.
 */
function anyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return pyStrRepr(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isInteger(v) ? intRepr(v) : pyFloatRepr(v);
  if (Array.isArray(v)) return `[${v.map(anyRepr).join(", ")}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyStrRepr(k)}: ${anyRepr(x)}`)
    .join(", ")}}`;
}
