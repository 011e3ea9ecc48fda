// Python field types of synapse declarations. A synapse on the wire is pydantic-validated JSON, and the body
// hash is computed over the *coerced* Python values, so every field carries its Python type: that type drives
// coercion of incoming JSON (pydantic lax mode), the str()/repr() used for hashing and the
// `bt_header_input_obj_*` placeholder of a required field.

export type PyKind = "str" | "int" | "bigint" | "float" | "bool" | "any" | "list" | "dict" | "optional" | "model";

/** A Python type; `T` is the TypeScript type of a validated value (phantom, never set at run time). */
export interface PyType<T> {
  readonly kind: PyKind;
  /** list item type / dict value type / optional inner type. */
  readonly inner?: PyType<unknown>;
  /** Nested pydantic model: its class name and fields in declaration order. */
  readonly model?: { readonly name: string; readonly fields: FieldMap };
  readonly __t?: T;
}

export interface FieldSpec<T = unknown> {
  readonly type: PyType<T>;
  /** Factory of the default value; absent means pydantic-required (no default). */
  readonly default?: () => T;
}

export type FieldMap = Readonly<Record<string, FieldSpec>>;

/** TS value type of a field map. */
export type ValuesOf<F extends FieldMap> = { -readonly [K in keyof F]: F[K] extends FieldSpec<infer T> ? T : never };

/** JSON-compatible value of Python's `Any` (dict/list/str/int/float/bool/None). */
export type PyAny = string | number | boolean | null | PyAny[] | { [k: string]: PyAny };

export const py = {
  str: (): PyType<string> => ({ kind: "str" }),
  /** Python int held as a JS number (must be a safe integer). */
  int: (): PyType<number> => ({ kind: "int" }),
  /** Python int that may exceed 2^53 (nonces in ns): a JS bigint. */
  bigint: (): PyType<bigint> => ({ kind: "bigint" }),
  float: (): PyType<number> => ({ kind: "float" }),
  bool: (): PyType<boolean> => ({ kind: "bool" }),
  any: (): PyType<PyAny> => ({ kind: "any" }),
  list: <T>(item: PyType<T>): PyType<T[]> => ({ kind: "list", inner: item as PyType<unknown> }),
  dict: <T>(value: PyType<T>): PyType<Record<string, T>> => ({ kind: "dict", inner: value as PyType<unknown> }),
  optional: <T>(inner: PyType<T>): PyType<T | null> => ({ kind: "optional", inner: inner as PyType<unknown> }),
  model: <F extends FieldMap>(name: string, fields: F): PyType<ValuesOf<F>> => ({ kind: "model", model: { name, fields } }),
};

/** A field with a default (pydantic: not required). */
export function field<T>(type: PyType<T>, defaultValue: T | (() => T)): FieldSpec<T> {
  const make = typeof defaultValue === "function" ? (defaultValue as () => T) : () => structuredClone(defaultValue);
  return { type, default: make };
}

/** A field without a default: pydantic-required, so the dendrite sends a `bt_header_input_obj_*` placeholder. */
export function required<T>(type: PyType<T>): FieldSpec<T> {
  return { type };
}

/** Raised when a value does not validate against its Python type; `path` names the field. */
export class PyValidationError extends Error {
  override readonly name = "PyValidationError";
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${path}: expected ${expected}, got ${describe(got)}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v)}`;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `${typeof v} ${String(v)}`;
  return typeof v;
}

const INT_RE = /^\s*[-+]?\d+(_\d+)*\s*$/;
const FLOAT_RE = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(inf|infinity|nan)\s*$/i;
const TRUE_STR = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_STR = new Set(["0", "off", "f", "false", "n", "no"]);

/**
 * Validates and coerces a JSON value to `type` the way pydantic v2 does in lax mode for the types we use
 * (numeric strings to numbers, integral floats to int, "true"/"1" to bool, missing model fields to defaults,
 * extra model fields dropped). Throws PyValidationError.
 */
export function coerce<T>(type: PyType<T>, value: unknown, path: string): T {
  return coerceAny(type as PyType<unknown>, value, path) as T;
}

function coerceAny(type: PyType<unknown>, v: unknown, path: string): unknown {
  switch (type.kind) {
    case "str":
      if (typeof v === "string") return v;
      throw new PyValidationError(path, "str", v);
    case "int": {
      const n = toInteger(v, path);
      if (typeof n === "bigint") {
        if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw new PyValidationError(path, "int within 2^53", v);
        return Number(n);
      }
      return n;
    }
    case "bigint": {
      const n = toInteger(v, path);
      return typeof n === "bigint" ? n : BigInt(n);
    }
    case "float":
      if (typeof v === "number") return v;
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "bigint") return Number(v);
      if (typeof v === "string" && FLOAT_RE.test(v)) return parsePyFloat(v);
      throw new PyValidationError(path, "float", v);
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === 0 || v === 1) return v === 1;
      if (typeof v === "string") {
        const s = v.trim().toLowerCase();
        if (TRUE_STR.has(s)) return true;
        if (FALSE_STR.has(s)) return false;
      }
      throw new PyValidationError(path, "bool", v);
    case "any":
      return checkJsonValue(v, path);
    case "list":
      if (!Array.isArray(v)) throw new PyValidationError(path, "list", v);
      return v.map((item, i) => coerceAny(type.inner!, item, `${path}[${i}]`));
    case "dict": {
      if (!isPlainObject(v)) throw new PyValidationError(path, "dict", v);
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v)) out[k] = coerceAny(type.inner!, val, `${path}.${k}`);
      return out;
    }
    case "optional":
      return v === null || v === undefined ? null : coerceAny(type.inner!, v, path);
    case "model": {
      if (!isPlainObject(v)) throw new PyValidationError(path, type.model!.name, v);
      return coerceFields(type.model!.fields, v, path);
    }
  }
}

/** Coerces an object to a field map: declared order, defaults for missing fields, extra keys ignored. */
export function coerceFields(fields: FieldMap, obj: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    const p = path ? `${path}.${name}` : name;
    if (!Object.prototype.hasOwnProperty.call(obj, name) || obj[name] === undefined) {
      if (!spec.default) throw new PyValidationError(p, "a value (field required)", undefined);
      out[name] = spec.default();
      continue;
    }
    out[name] = coerceAny(spec.type, obj[name], p);
  }
  return out;
}

function toInteger(v: unknown, path: string): number | bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") {
    if (Number.isInteger(v)) return v;
    throw new PyValidationError(path, "int", v);
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && INT_RE.test(v)) {
    const b = BigInt(v.trim().replace(/_/g, "").replace(/^\+/, ""));
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }
  throw new PyValidationError(path, "int", v);
}

function parsePyFloat(s: string): number {
  const t = s.trim().toLowerCase();
  if (/^[-+]?(inf|infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[-+]?nan$/.test(t)) return NaN;
  return Number(t);
}

function checkJsonValue(v: unknown, path: string): unknown {
  // bigint: an integer literal beyond 2^53 (parseJson keeps it exact, as Python's json does)
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (Array.isArray(v)) return v.map((x, i) => checkJsonValue(x, `${path}[${i}]`));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = checkJsonValue(val, `${path}.${k}`);
    return out;
  }
  throw new PyValidationError(path, "a JSON value", v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * JSON text of `json.dumps(type(value)())` for a required field: the placeholder the Python dendrite sends in
 * `bt_header_input_obj_<field>` so the Python axon can build a header-only synapse. Only builtin types have
 * one; the Python SDK itself fails on required model fields, so declarations reject them.
 */
export function placeholderJson(type: PyType<unknown>): string {
  switch (type.kind) {
    case "str":
      return '""';
    case "int":
    case "bigint":
      return "0";
    case "float":
      return "0.0";
    case "bool":
      return "false";
    case "list":
      return "[]";
    case "dict":
      return "{}";
    default:
      throw new TypeError(`a required field of Python type ${type.kind} has no header placeholder (the Python SDK cannot send it either)`);
  }
}
