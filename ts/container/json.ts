// Strict JSON for container headers and `params` (proto/container/README.md, "One rule each"):
// JSON.parse keeps the last of duplicate keys, reads 1.0 and 4.8e1 as integers, and accepts lone
// surrogate escapes, so Python (json + hooks) and TypeScript would disagree. One pass, depth-bounded
// recursion, linear in the input.

/** Deepest nesting of objects and arrays allowed (the outermost object is depth 1); headers need 3. */
export const MAX_JSON_DEPTH = 32;
/** Longest integer literal in a header: 2^53 - 1 has 16 digits; a sign makes 17. */
const MAX_INT_CHARS = 17;

/** "header": every number is an integer literal within +-(2^53 - 1). "params": any finite double. */
export type JsonMode = "header" | "params";

export class StrictJsonError extends Error {
  override readonly name = "StrictJsonError";
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
// without the u flag these match code units: a high surrogate not followed by a low one, or a low one alone
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

class Parser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly mode: JsonMode,
  ) {}

  private err(what: string): never {
    throw new StrictJsonError(`${what} at character ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  parse(): unknown {
    this.ws();
    const v = this.value(1);
    this.ws();
    if (this.i !== this.s.length) this.err("unexpected text after the JSON value");
    return v;
  }

  private value(depth: number): unknown {
    const c = this.s[this.i];
    if (c === "{" || c === "[") {
      if (depth > MAX_JSON_DEPTH) this.err(`nested deeper than ${MAX_JSON_DEPTH}`);
      return c === "{" ? this.object(depth) : this.array(depth);
    }
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.err(c === undefined ? "unexpected end" : "unexpected character (NaN and Infinity are not JSON)");
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.s[this.i] !== '"') this.err("expected a string key");
      const key = this.string();
      if (Object.hasOwn(out, key)) this.err(`duplicate key ${JSON.stringify(key.slice(0, 64))}`);
      this.ws();
      if (this.s[this.i] !== ":") this.err("expected ':'");
      this.i++;
      this.ws();
      // defineProperty: a "__proto__" key stays an own data property, as JSON.parse makes it
      Object.defineProperty(out, key, { value: this.value(depth + 1), writable: true, enumerable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return out;
      if (c !== ",") this.err("expected ',' or '}'");
      this.ws();
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") this.err("expected ',' or ']'");
      this.ws();
    }
  }

  private string(): string {
    const s = this.s;
    this.i++;
    const parts: string[] = [];
    for (;;) {
      PLAIN.lastIndex = this.i;
      PLAIN.test(s);
      if (PLAIN.lastIndex > this.i) parts.push(s.slice(this.i, PLAIN.lastIndex));
      this.i = PLAIN.lastIndex;
      const c = s[this.i];
      if (c === '"') {
        this.i++;
        break;
      }
      if (c !== "\\") this.err(c === undefined ? "unterminated string" : "control character in a string");
      const e = s[this.i + 1];
      if (e === "u") {
        const hex = s.slice(this.i + 2, this.i + 6);
        if (!HEX4.test(hex)) this.err("bad \\u escape");
        parts.push(String.fromCharCode(parseInt(hex, 16)));
        this.i += 6;
      } else {
        const ch = e === undefined ? undefined : ESCAPES[e];
        if (ch === undefined) this.err("bad escape");
        parts.push(ch);
        this.i += 2;
      }
    }
    const out = parts.join("");
    // only \u escapes can make these: the text itself came from strict UTF-8
    if (LONE_SURROGATE.test(out)) this.err("lone surrogate in a string");
    return out;
  }

  private number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.err("bad number");
    const text = m[0];
    this.i = NUMBER.lastIndex;
    if (this.mode === "header") {
      if (m[1] !== undefined || m[2] !== undefined) this.err(`${text.slice(0, 32)} is not an integer literal`);
      const v = text.length <= MAX_INT_CHARS ? Number(text) : Number.POSITIVE_INFINITY;
      if (!(Math.abs(v) <= Number.MAX_SAFE_INTEGER)) this.err(`integer ${text.slice(0, 32)} beyond 2^53 - 1`);
      return v === 0 ? 0 : v; // -0 reads as 0, as in Python
    }
    const v = Number(text);
    if (!Number.isFinite(v)) this.err(`number ${text.slice(0, 32)} is not a finite double`);
    return v;
  }
}

/** Parses `text` under the container's JSON rules; throws StrictJsonError saying what and where. */
export function parseStrictJson(text: string, mode: JsonMode): unknown {
  return new Parser(text, mode).parse();
}
