// Synapse declarations, pydantic-style coercion, headers and placeholders.
import { describe, expect, it } from "vitest";
import {
  BaseSynapse,
  coerce,
  defineSynapse,
  EMPTY_BODY_HASH,
  field,
  Metadata,
  parseRequestHeaders,
  py,
  pyFloatRepr,
  PyValidationError,
  required,
  stringifyJson,
  SynapseParseError,
  synapseHeaders,
  TextCompressProtocol,
} from "../../ts/bittensor/index.js";

describe("synapse declarations", () => {
  it("TextCompressProtocol carries the subnet fields with defaults, no hashed fields, no required fields", () => {
    const s = TextCompressProtocol.create({ context: "c" });
    expect(s.name).toBe("TextCompressProtocol");
    expect(s.timeout).toBe(12);
    expect(s.target_model).toBe("");
    expect(s.util_data.compressed_length).toBe(0);
    expect(s.task_data.challenge_questions).toEqual([]);
    expect(TextCompressProtocol.requiredFields).toEqual([]);
    expect(TextCompressProtocol.bodyHash(s)).toBe(EMPTY_BODY_HASH);
    expect(Object.keys(TextCompressProtocol.dump(s)).slice(0, 8)).toEqual(["name", "timeout", "total_size", "header_size", "dendrite", "axon", "computed_body_hash", "context"]);
  });

  it("parses like pydantic: lax coercion, defaults for missing fields, extra keys dropped, name forced", () => {
    const s = TextCompressProtocol.parse({ name: "Other", context: "x", timeout: "3", compressed_length: 7.0, extra: 1, util_data: { download_time: 2 } });
    expect(s.name).toBe("TextCompressProtocol");
    expect(s.timeout).toBe(3);
    expect(s.compressed_length).toBe(7);
    expect(s.util_data.download_time).toBe(2);
    expect("extra" in s).toBe(false);
    expect(() => TextCompressProtocol.parse({ context: 5 })).toThrow(SynapseParseError);
    expect(() => TextCompressProtocol.parse({ compressed_length: 1.5 })).toThrow(/compressed_length: expected int/);
    expect(() => TextCompressProtocol.parse({ task_data: { challenge_questions: ["a", 2] } })).toThrow(/task_data\.challenge_questions\[1\]: expected str/);
    expect(() => TextCompressProtocol.parse("x")).toThrow(/JSON object/);
  });

  it("Metadata holds an untyped dict", () => {
    const m = Metadata.parse({ metadata: { tier: "research", n: [1, 2] } });
    expect(m.metadata).toEqual({ tier: "research", n: [1, 2] });
    expect(() => Metadata.parse({ metadata: [1] })).toThrow(/expected dict/);
  });

  it("rejects declarations Python could not serve", () => {
    expect(() => defineSynapse({ name: "Bad-Name", fields: {} })).toThrow(/Python class name/);
    expect(() => defineSynapse({ name: "Shadow", fields: { timeout: field(py.float(), 1) } })).toThrow(/shadows/);
    expect(() => defineSynapse({ name: "H", fields: { a: field(py.str(), "") }, requiredHashFields: ["b" as "a"] })).toThrow(/unknown field/);
  });
});

describe("coercion rules", () => {
  it("numbers and bools", () => {
    expect(coerce(py.float(), "1e-3", "f")).toBe(0.001);
    expect(coerce(py.float(), "inf", "f")).toBe(Infinity);
    expect(coerce(py.int(), "1_000", "i")).toBe(1000);
    expect(coerce(py.bigint(), "1763769123456789012", "n")).toBe(1763769123456789012n);
    expect(coerce(py.bool(), "yes", "b")).toBe(true);
    expect(coerce(py.bool(), 0, "b")).toBe(false);
    expect(() => coerce(py.int(), "12abc", "i")).toThrow(PyValidationError);
    expect(() => coerce(py.int(), "99999999999999999999", "i")).toThrow(/within 2\^53/);
    expect(() => coerce(py.bool(), "maybe", "b")).toThrow(PyValidationError);
    expect(() => coerce(py.str(), 1, "s")).toThrow(/expected str, got number 1/);
  });
});

describe("headers", () => {
  const Req = defineSynapse({
    name: "WithRequired",
    fields: { text: required(py.str()), n: required(py.float()), items: required(py.list(py.int())), flag: required(py.bool()), opt: field(py.str(), "") },
  });

  it("sends a base64 json.dumps placeholder per required field, as the Python dendrite does", () => {
    const s = Req.create({ text: "secret", n: 2, items: [1], flag: true });
    const h = synapseHeaders(Req, s, Req.bodyHash(s));
    expect(h["bt_header_input_obj_text"]).toBe("IiI=");
    expect(h["bt_header_input_obj_n"]).toBe("MC4w");
    expect(h["bt_header_input_obj_items"]).toBe("W10=");
    expect(h["bt_header_input_obj_flag"]).toBe("ZmFsc2U=");
    expect(h["bt_header_input_obj_opt"]).toBeUndefined();
    expect(h["timeout"]).toBe("12.0");
    expect(h["name"]).toBe("WithRequired");
    expect(h["computed_body_hash"]).toBe(EMPTY_BODY_HASH);
  });

  it("writes only non-null terminal-info values, floats as Python str()", () => {
    const s = BaseSynapse.create({ timeout: 0.5 });
    s.dendrite = { ...s.dendrite, nonce: 1763769123456789012n, hotkey: "5Grw", version: 10005000 };
    s.axon = { ...s.axon, process_time: 1e-5, status_code: 200 };
    const h = synapseHeaders(BaseSynapse, s, "ab");
    expect(h["timeout"]).toBe("0.5");
    expect(h["bt_header_dendrite_nonce"]).toBe("1763769123456789012");
    expect(h["bt_header_axon_process_time"]).toBe("1e-05");
    expect(h["bt_header_axon_status_code"]).toBe("200");
    expect(h["bt_header_dendrite_signature"]).toBeUndefined();
    const parsed = parseRequestHeaders("Synapse", h);
    expect(parsed.dendrite.nonce).toBe(1763769123456789012n);
    expect(parsed.axon.process_time).toBe(1e-5);
    expect(parsed.timeout).toBe(0.5);
    expect(parsed.computed_body_hash).toBe("ab");
  });

  it("rejects malformed header values with the header's name", () => {
    expect(() => parseRequestHeaders("X", { timeout: "-1" })).toThrow(/timeout/);
    expect(() => parseRequestHeaders("X", { bt_header_dendrite_port: "http" })).toThrow(/bt_header_dendrite_port/);
  });

  it("stringifyJson writes bigints as exact integers", () => {
    expect(stringifyJson({ a: 1763769123456789012n, b: [1.5, "x"], c: null, d: undefined })).toBe('{"a":1763769123456789012,"b":[1.5,"x"],"c":null}');
  });

  it("pyFloatRepr boundary cases", () => {
    expect([1e16, 1e15, 1e-4, 1e-5, 12, -0.0, 5e-324].map(pyFloatRepr)).toEqual(["1e+16", "1000000000000000.0", "0.0001", "1e-05", "12.0", "-0.0", "5e-324"]);
  });
});
