// Synapse declarations: the Python class name (the HTTP route), the subnet fields with their Python types and
// defaults, and `required_hash_fields`. The base fields (name, timeout, sizes, terminal infos, body hash) are
// those of bittensor 10.x `Synapse`.
import { computeBodyHash } from "./bodyhash.js";
import { coerce, coerceFields, field, isPlainObject, py, PyValidationError, type FieldMap, type ValuesOf } from "./pytypes.js";

/** `TerminalInfo`: what each side knows about the dendrite and the axon of one call. All nullable. */
export const TerminalInfoFields = {
  status_code: field(py.optional(py.int()), null),
  status_message: field(py.optional(py.str()), null),
  process_time: field(py.optional(py.float()), null),
  ip: field(py.optional(py.str()), null),
  port: field(py.optional(py.int()), null),
  version: field(py.optional(py.int()), null),
  nonce: field(py.optional(py.bigint()), null),
  uuid: field(py.optional(py.str()), null),
  hotkey: field(py.optional(py.str()), null),
  signature: field(py.optional(py.str()), null),
} as const;
export type TerminalInfo = ValuesOf<typeof TerminalInfoFields>;
export const TerminalInfoType = py.model("TerminalInfo", TerminalInfoFields);

export function emptyTerminalInfo(): TerminalInfo {
  return coerceFields(TerminalInfoFields, {}, "") as TerminalInfo;
}

/** Base `Synapse` fields, in declaration order. */
export const BaseSynapseFields = {
  name: field(py.optional(py.str()), null),
  timeout: field(py.optional(py.float()), 12.0),
  total_size: field(py.optional(py.int()), 0),
  header_size: field(py.optional(py.int()), 0),
  dendrite: field(py.optional(TerminalInfoType), () => emptyTerminalInfo()),
  axon: field(py.optional(TerminalInfoType), () => emptyTerminalInfo()),
  computed_body_hash: field(py.optional(py.str()), ""),
} as const;

export interface SynapseBase {
  name: string;
  timeout: number;
  total_size: number;
  header_size: number;
  dendrite: TerminalInfo;
  axon: TerminalInfo;
  computed_body_hash: string;
}

/** A synapse value: the base fields plus the subnet fields `V`. */
export type Synapse<V = Record<string, unknown>> = SynapseBase & V;

/** Raised for a body or header set that does not validate against the synapse declaration. */
export class SynapseParseError extends Error {
  override readonly name = "SynapseParseError";
  constructor(
    readonly synapse: string,
    message: string,
    readonly path?: string,
  ) {
    super(`${synapse}: ${message}`);
  }
}

export interface SynapseClass<V extends Record<string, unknown> = Record<string, unknown>> {
  /** Python class name; also the route `POST /{name}`. */
  readonly name: string;
  /** Subnet fields (without the base fields), in declaration order. */
  readonly fields: FieldMap;
  readonly requiredHashFields: readonly string[];
  /** Subnet fields without a default (placeholders in `bt_header_input_obj_*`). */
  readonly requiredFields: readonly string[];
  /** A new synapse with defaults, overridden by `values`. Values are validated. */
  create(values?: Partial<V> & Partial<SynapseBase>): Synapse<V>;
  /** Validates a parsed JSON body (pydantic lax coercion, extra keys ignored). Throws SynapseParseError. */
  parse(json: unknown): Synapse<V>;
  /** Body hash of the synapse's current values. */
  bodyHash(synapse: Synapse<V>): string;
  /** Plain object in `model_dump()` order (base fields first, then subnet fields). */
  dump(synapse: Synapse<V>): Record<string, unknown>;
}

export interface SynapseDeclaration<F extends FieldMap> {
  name: string;
  fields: F;
  requiredHashFields?: readonly (keyof F & string)[];
}

const BASE_NAMES = new Set(Object.keys(BaseSynapseFields));
const ROUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Declares a synapse class. Field names must not shadow the base fields. */
export function defineSynapse<F extends FieldMap>(decl: SynapseDeclaration<F>): SynapseClass<ValuesOf<F>> {
  const { name, fields } = decl;
  const hashFields = [...(decl.requiredHashFields ?? [])];
  if (!ROUTE_NAME.test(name)) throw new TypeError(`synapse name '${name}' is not a Python class name`);
  for (const f of Object.keys(fields)) if (BASE_NAMES.has(f)) throw new TypeError(`${name}.${f} shadows a base Synapse field`);
  for (const f of hashFields) if (!(f in fields)) throw new TypeError(`${name}.required_hash_fields names unknown field '${f}'`);
  const requiredFields = Object.entries(fields)
    .filter(([, spec]) => !spec.default)
    .map(([k]) => k);
  const allFields: FieldMap = { ...BaseSynapseFields, ...fields };
  type V = ValuesOf<F>;

  function parse(json: unknown): Synapse<V> {
    if (!isPlainObject(json)) throw new SynapseParseError(name, "body must be a JSON object");
    try {
      const out = coerceFields(allFields, json, "") as Record<string, unknown>;
      out["name"] = name; // pydantic's set_name_type validator forces the class name
      if (out["timeout"] === null) out["timeout"] = 12.0;
      if (out["dendrite"] === null) out["dendrite"] = emptyTerminalInfo();
      if (out["axon"] === null) out["axon"] = emptyTerminalInfo();
      if (out["computed_body_hash"] === null) out["computed_body_hash"] = "";
      if (out["total_size"] === null) out["total_size"] = 0;
      if (out["header_size"] === null) out["header_size"] = 0;
      return out as Synapse<V>;
    } catch (e) {
      if (e instanceof PyValidationError) throw new SynapseParseError(name, e.message, e.path);
      throw e;
    }
  }

  const cls: SynapseClass<V> = {
    name,
    fields,
    requiredHashFields: hashFields,
    requiredFields,
    create(values = {}) {
      const base = parse({ ...defaultsForRequired(fields), ...(values as Record<string, unknown>) });
      return base;
    },
    parse,
    bodyHash(s) {
      return computeBodyHash(fields, hashFields, s as Record<string, unknown>);
    },
    dump(s) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(allFields)) out[k] = (s as Record<string, unknown>)[k];
      return out;
    },
  };
  registry.set(name, cls as unknown as SynapseClass<Record<string, unknown>>);
  return cls;
}

const registry = new Map<string, SynapseClass<Record<string, unknown>>>();

/** The declaration registered last under a Python class name (the dendrite uses it to find a synapse's class). */
export function synapseClassByName(name: string): SynapseClass<Record<string, unknown>> | undefined {
  return registry.get(name);
}

// create() fills required fields with their empty value unless given, like the header-only synapse
// the Python axon builds from placeholders.
function defaultsForRequired(fields: FieldMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(fields)) if (!spec.default) out[k] = emptyOf(spec.type.kind);
  return out;
}

export function emptyOf(kind: string): unknown {
  switch (kind) {
    case "str":
      return "";
    case "int":
    case "float":
      return 0;
    case "bigint":
      return 0n;
    case "bool":
      return false;
    case "list":
      return [];
    case "dict":
      return {};
    default:
      return null;
  }
}

/** Validates one value against a declared field type (for hooks that build synapses by hand). */
export function validateField<V extends Record<string, unknown>>(cls: SynapseClass<V>, fieldName: string, value: unknown): unknown {
  const spec = cls.fields[fieldName];
  if (!spec) throw new SynapseParseError(cls.name, `unknown field '${fieldName}'`, fieldName);
  try {
    return coerce(spec.type, value, fieldName);
  } catch (e) {
    if (e instanceof PyValidationError) throw new SynapseParseError(cls.name, e.message, e.path);
    throw e;
  }
}

/** The base `Synapse` class itself: the echo ("ping") route every Python axon serves. */
export const BaseSynapse = defineSynapse({ name: "Synapse", fields: {} });
