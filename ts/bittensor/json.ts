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
