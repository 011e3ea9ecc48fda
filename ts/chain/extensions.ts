// Guard against signing with a wrong extension layout: @polkadot/types encodes extensions from a built-in
// table (not from metadata) and silently treats unknown identifiers as zero-sized. If the live metadata lists
// an unknown extension that does carry bytes, every signature we produce would be invalid, so we refuse.
import type { Metadata, PortableRegistry } from "@polkadot/types";
import { allExtensions } from "@polkadot/types/extrinsic/signedExtensions";
import type { ExtDef } from "@polkadot/types/extrinsic/signedExtensions/types";
import { SUBTENSOR_SIGNED_EXTENSIONS } from "./scale.js";

export interface ExtensionReport {
  identifiers: string[];
  /** Extensions neither @polkadot/types nor we know, that encode bytes: signing must be refused. */
  unknownNonEmpty: string[];
  /** Extensions neither side knows but that encode nothing (safe, reported for logs). */
  unknownEmpty: string[];
  /** Our subtensor definitions that disagree with the metadata's types. */
  mismatched: string[];
}

/** True when values of the type encode to zero bytes. */
export function isZeroSized(lookup: PortableRegistry, id: number, depth = 0): boolean {
  if (depth > 32) return false;
  const def = lookup.getSiType(id).def;
  if (def.isComposite) return def.asComposite.fields.every((f) => isZeroSized(lookup, f.type.toNumber(), depth + 1));
  if (def.isTuple) return def.asTuple.every((t) => isZeroSized(lookup, t.toNumber(), depth + 1));
  if (def.isArray) {
    return def.asArray.len.toNumber() === 0 || isZeroSized(lookup, def.asArray.type.toNumber(), depth + 1);
  }
  return false;
}

/** True when the type encodes as exactly one Compact integer (possibly wrapped in one-field structs). */
export function isSingleCompact(lookup: PortableRegistry, id: number, depth = 0): boolean {
  if (depth > 32) return false;
  const def = lookup.getSiType(id).def;
  if (def.isCompact) return true;
  const inner = def.isComposite
    ? def.asComposite.fields.map((f) => f.type.toNumber())
    : def.isTuple
      ? def.asTuple.map((t) => t.toNumber())
      : null;
  if (!inner) return false;
  const nonEmpty = inner.filter((t) => !isZeroSized(lookup, t, depth + 1));
  return nonEmpty.length === 1 && isSingleCompact(lookup, nonEmpty[0]!, depth + 1);
}

interface RawExtension {
  identifier: string;
  type: number;
  /** additionalSigned (v14/v15) or implicit (v16): the bytes signed but not sent. */
  implicit: number;
}

/**
 * Reads the extension list from the metadata version the node served. Not from `asLatest`: @polkadot/types
 * 16.5 drops additionalSigned when upgrading v15 to v16 (it writes the key as "implict"), so every implicit
 * type would read as type 0.
 */
function rawExtensions(metadata: Metadata): { lookup: PortableRegistry; list: RawExtension[] } {
  const v = metadata.version;
  if (v === 14 || v === 15) {
    const m = v === 14 ? metadata.asV14 : metadata.asV15;
    return {
      lookup: m.lookup,
      list: m.extrinsic.signedExtensions.map((e) => ({
        identifier: e.identifier.toString(),
        type: e.type.toNumber(),
        implicit: e.additionalSigned.toNumber(),
      })),
    };
  }
  const m = metadata.asLatest;
  return {
    lookup: m.lookup,
    list: m.extrinsic.transactionExtensions.map((e) => ({
      identifier: e.identifier.toString(),
      type: e.type.toNumber(),
      implicit: e.implicit.toNumber(),
    })),
  };
}

export function inspectExtensions(metadata: Metadata, ours: ExtDef = SUBTENSOR_SIGNED_EXTENSIONS): ExtensionReport {
  const { lookup, list } = rawExtensions(metadata);
  const report: ExtensionReport = { identifiers: [], unknownNonEmpty: [], unknownEmpty: [], mismatched: [] };
  for (const ext of list) {
    const id = ext.identifier;
    report.identifiers.push(id);
    const typeId = ext.type;
    const implicitId = ext.implicit;
    const mine = ours[id];
    if (mine) {
      const wantsTip = "tip" in mine.extrinsic;
      const extrinsicOk = wantsTip ? isSingleCompact(lookup, typeId) : isZeroSized(lookup, typeId);
      const payloadOk = Object.keys(mine.payload).length > 0 || isZeroSized(lookup, implicitId);
      if (!extrinsicOk || !payloadOk) report.mismatched.push(id);
      continue;
    }
    if (id in allExtensions) continue;
    if (isZeroSized(lookup, typeId) && isZeroSized(lookup, implicitId)) report.unknownEmpty.push(id);
    else report.unknownNonEmpty.push(id);
  }
  return report;
}

/** Problems that make signing unsafe, as one message; null when signing is safe. */
export function signingRefusal(report: ExtensionReport): string | null {
  const parts: string[] = [];
  if (report.unknownNonEmpty.length) parts.push(`unknown non-empty extensions: ${report.unknownNonEmpty.join(", ")}`);
  if (report.mismatched.length) parts.push(`extensions whose metadata type changed: ${report.mismatched.join(", ")}`);
  return parts.length ? parts.join("; ") : null;
}
