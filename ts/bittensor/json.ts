// JSON text for synapses. Python ints can exceed 2^53 (nonces are ns since the epoch), which JSON.stringify
// cannot write; bigints are written as bare integer digits, the way Python's json.dumps writes ints.

/** JSON.stringify that writes bigint values as JSON numbers. */
export function stringifyJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join("");
}

function write(v: unknown, out: string[]): void {
  if (v === null || v === undefined) {
    out.push("null");
  } else if (typeof v === "bigint") {
    out.push(v.toString());
  } else if (typeof v === "number") {
    // Python's json.dumps writes NaN/Infinity literals; JSON parsers in JS reject them, so we send null.
    out.push(Number.isFinite(v) ? JSON.stringify(v) : "null");
  } else if (typeof v === "string" || typeof v === "boolean") {
    out.push(JSON.stringify(v));
  } else if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i) out.push(",");
      write(v[i], out);
    }
    out.push("]");
  } else if (typeof v === "object") {
    out.push("{");
    let first = true;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(k), ":");
      write(x, out);
    }
    out.push("}");
  } else {
    throw new TypeError(`cannot write a ${typeof v} as JSON`);
  }
}

/** Why a JSON text was refused: not JSON at all, or nested deeper than allowed. */
export class JsonParseError extends Error {
  override readonly name = "JsonParseError";
  constructor(
    readonly code: "malformed" | "too_deep",
    message: string,
  ) {
    super(message);
  }
}

/** Default nesting bound of parseJson (pydantic-core stops at 200; no synapse needs more than a few levels). */
export const MAX_JSON_DEPTH = 128;

const STRING_BODY = /[^"\\]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * JSON.parse that (1) refuses nesting deeper than `maxDepth` before anything recurses, so a hostile body cannot
 * overflow the stack of the parser, the validators or the hashers behind it, and (2) keeps integer literals
 * beyond 2^53 exact as bigint, as Python's json.loads does (their digits feed the body hash). One linear scan
 * decides; texts without big integers (nearly all) go to the native JSON.parse.
 */
export function parseJson(text: string, opts: { maxDepth?: number } = {}): unknown {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  let depth = 0;
  let big = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, escapes included
      i++;
      for (;;) {
        STRING_BODY.lastIndex = i;
        STRING_BODY.exec(text);
        i = STRING_BODY.lastIndex;
        if (i >= text.length) throw new JsonParseError("malformed", "unterminated string");
        if (text.charCodeAt(i) === 0x5c) i += 2;
        else break;
      }
      i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) throw new JsonParseError("too_deep", `JSON nested deeper than ${maxDepth} levels`);
      i++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
      i++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) throw new JsonParseError("malformed", `bad number at offset ${i}`);
      if (!m[1] && !m[2] && m[0].length > 15 && !big) {
        const b = BigInt(m[0]);
        if (b > MAX_SAFE || b < -MAX_SAFE) big = true;
      }
      i = NUMBER.lastIndex;
    } else i++;
  }
  try {
    return big ? new BigIntJsonParser(text).parse() : JSON.parse(text);
  } catch (e) {
    if (e instanceof JsonParseError) throw e;
    throw new JsonParseError("malformed", (e as Error).message);
  }
}

// Recursive descent, used only for texts with big integers; the scan above bounded its depth. Strings and
// small numbers go through JSON.parse so escapes and float rounding are exactly the native ones.
class BigIntJsonParser {
  #i = 0;
  constructor(readonly text: string) {}

  parse(): unknown {
    const v = this.#value();
    this.#ws();
    if (this.#i !== this.text.length) this.#fail("trailing characters");
    return v;
  }

  #fail(what: string): never {
    throw new JsonParseError("malformed", `${what} at offset ${this.#i}`);
  }

  #ws(): void {
    const t = this.text;
    while (this.#i < t.length) {
      const c = t.charCodeAt(this.#i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.#i++;
      else break;
    }
  }

  #value(): unknown {
    this.#ws();
    const t = this.text;
    const c = t[this.#i];
    if (c === "{") {
      this.#i++;
      const out: Record<string, unknown> = {};
      this.#ws();
      if (t[this.#i] === "}") return this.#i++, out;
      for (;;) {
        this.#ws();
        if (t[this.#i] !== '"') this.#fail("expected a key");
        const k = this.#string();
        this.#ws();
        if (t[this.#i++] !== ":") this.#fail("expected ':'");
        const v = this.#value();
        // own property even for "__proto__", as JSON.parse does
        Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
        this.#ws();
        const sep = t[this.#i++];
        if (sep === "}") return out;
        if (sep !== ",") this.#fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      this.#i++;
      const out: unknown[] = [];
      this.#ws();
      if (t[this.#i] === "]") return this.#i++, out;
      for (;;) {
        out.push(this.#value());
        this.#ws();
        const sep = t[this.#i++];
        if (sep === "]") return out;
        if (sep !== ",") this.#fail("expected ',' or ']'");
      }
    }
    if (c === '"') return this.#string();
    if (t.startsWith("true", this.#i)) return (this.#i += 4), true;
    if (t.startsWith("false", this.#i)) return (this.#i += 5), false;
    if (t.startsWith("null", this.#i)) return (this.#i += 4), null;
    NUMBER.lastIndex = this.#i;
    const m = NUMBER.exec(t);
    if (!m) this.#fail("unexpected character");
    this.#i = NUMBER.lastIndex;
    if (!m[1] && !m[2]) {
      const b = BigInt(m[0]);
      if (b > MAX_SAFE || b < -MAX_SAFE) return b;
    }
    return Number(m[0]);
  }

  #string(): string {
    const t = this.text;
    const start = this.#i++;
    for (;;) {
      STRING_BODY.lastIndex = this.#i;
      STRING_BODY.exec(t);
      this.#i = STRING_BODY.lastIndex;
      if (this.#i >= t.length) this.#fail("unterminated string");
      if (t.charCodeAt(this.#i) === 0x5c) this.#i += 2;
      else break;
    }
    this.#i++;
    return JSON.parse(t.slice(start, this.#i)) as string;
  }
}
