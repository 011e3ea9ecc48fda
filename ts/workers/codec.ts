// Header + raw frames codec: ToWorker out, FromWorker in, with every tensor's size checked against its description.
import { open, unlink } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  FromWorkerSchema,
  ProtocolVersion,
  TensorSchema,
  ToWorkerSchema,
  type FromWorker,
  type Tensor as WireTensor,
} from "../gen/condense/v1/worker_pb.js";
import { MalformedError } from "./errors.js";
import { checkSize, dtypeFromProto, dtypeToProto, shapeFromWire, viewOf, type ReceivedTensor, type Tensor } from "./tensor.js";

export interface OutgoingMessage {
  requestId: string;
  deadlineUnixMs?: number;
  body: MessageInitShape<typeof ToWorkerSchema>["body"];
  tensors?: Tensor[];
  transport?: "frames" | "file";
  /** Needed for the "file" transport. */
  fileDir?: string;
  /** Only protocol tests override this. */
  protocolVersion?: number;
}

export interface EncodedMessage {
  /** [header, ...tensor frames]; tensor Buffers are sent as they are (no copy). */
  frames: Buffer[];
  /** Files written for the "file" transport; the sender removes leftovers once the reply is in. */
  files: string[];
}

export async function encodeToWorker(msg: OutgoingMessage): Promise<EncodedMessage> {
  const frames: Buffer[] = [];
  const files: string[] = [];
  const wire: WireTensor[] = [];
  for (const t of msg.tensors ?? []) {
    checkSize(t, t.data.length);
    const base = { name: t.name, dtype: dtypeToProto(t.dtype), shape: t.shape.map((s) => BigInt(s)) };
    if (msg.transport === "file") {
      if (!msg.fileDir) throw new MalformedError("file transport needs a fileDir");
      const file = path.join(msg.fileDir, `${msg.requestId}-${wire.length}-${randomUUID().slice(0, 8)}.bin`);
      files.push(file);
      await writeWhole(file, t.data);
      wire.push(create(TensorSchema, { ...base, location: { case: "file", value: { path: file, offset: 0n, length: BigInt(t.data.length) } } }));
    } else {
      wire.push(create(TensorSchema, { ...base, location: { case: "frame", value: frames.length } }));
      frames.push(t.data);
    }
  }
  const header = create(ToWorkerSchema, {
    protocolVersion: msg.protocolVersion ?? ProtocolVersion.CURRENT,
    requestId: msg.requestId,
    deadlineUnixMs: BigInt(Math.max(0, Math.floor(msg.deadlineUnixMs ?? 0))),
    tensors: wire,
    body: msg.body,
  });
  return { frames: [Buffer.from(toBinary(ToWorkerSchema, header)), ...frames], files };
}

export function decodeHeader(frame: Buffer | undefined): FromWorker {
  if (!frame) throw new MalformedError("message has no header frame");
  try {
    return fromBinary(FromWorkerSchema, frame);
  } catch (e) {
    throw new MalformedError(`undecodable FromWorker header (${frame.length} bytes): ${(e as Error).message}`);
  }
}

export interface DecodeOptions {
  /** FileRefs must point inside one of these directories (a worker must not make us read or delete other files). */
  fileDirs: string[];
}

/** Resolves every tensor of a decoded header against its frames or files; throws MalformedError on any mismatch. */
export async function decodeTensors(header: FromWorker, frames: Buffer[], opts: DecodeOptions): Promise<ReceivedTensor[]> {
  // Several FileRefs may name one file (a sender may pack all tensors into one): delete each once, at the end.
  const owned = new Set<string>();
  try {
    return await decodeAll(header, frames, opts, owned);
  } finally {
    for (const f of owned) await unlink(f).catch(() => undefined);
  }
}

async function decodeAll(header: FromWorker, frames: Buffer[], opts: DecodeOptions, owned: Set<string>): Promise<ReceivedTensor[]> {
  const out: ReceivedTensor[] = [];
  const used = new Set<number>();
  for (const wt of header.tensors) {
    const where = `tensor "${wt.name}"`;
    const dtype = dtypeFromProto(wt.dtype, where);
    const shape = shapeFromWire(wt.shape, where);
    let data: Buffer;
    if (wt.location.case === "frame") {
      const idx = wt.location.value;
      const f = frames[idx];
      if (!f) throw new MalformedError(`${where}: frame ${idx} missing (message has ${frames.length} tensor frames)`);
      if (used.has(idx)) throw new MalformedError(`${where}: frame ${idx} is claimed by two tensors`);
      used.add(idx);
      data = f;
    } else if (wt.location.case === "file") {
      const ref = wt.location.value;
      if (!insideAllowed(ref.path, opts.fileDirs)) throw new MalformedError(`${where}: file ${ref.path} is outside the shared directories`);
      if (!ref.keep) owned.add(ref.path);
      data = await readFileRef(ref, where);
    } else {
      throw new MalformedError(`${where}: neither a frame nor a file`);
    }
    checkSize({ name: wt.name, dtype, shape }, data.length);
    out.push({ name: wt.name, dtype, shape, data, view: viewOf(dtype, data) });
  }
  if (used.size !== frames.length) {
    throw new MalformedError(`message has ${frames.length} tensor frames but its header describes ${used.size}`);
  }
  return out;
}

function insideAllowed(file: string, dirs: string[]): boolean {
  const abs = path.resolve(file);
  return dirs.some((d) => {
    const rel = path.relative(path.resolve(d), abs);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  });
}

async function readFileRef(ref: { path: string; offset: bigint; length: bigint }, where: string): Promise<Buffer> {
  if (ref.length > BigInt(Number.MAX_SAFE_INTEGER) || ref.offset > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MalformedError(`${where}: file range too large`);
  }
  const length = Number(ref.length);
  const offset = Number(ref.offset);
  let fh;
  try {
    fh = await open(ref.path, "r");
  } catch (e) {
    throw new MalformedError(`${where}: cannot open ${ref.path}: ${(e as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    if (offset + length > size) throw new MalformedError(`${where}: range ${offset}+${length} exceeds file size ${size}`);
    // One copy, kernel to our buffer; allocUnsafe is fine because every byte is overwritten below.
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, Math.min(length - done, 1 << 30), offset + done);
      if (bytesRead === 0) throw new MalformedError(`${where}: ${ref.path} ended after ${done} of ${length} bytes`);
      done += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

async function writeWhole(file: string, data: Buffer): Promise<void> {
  const fh = await open(file, "w", 0o600);
  try {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, Math.min(data.length - done, 1 << 30));
      done += bytesWritten;
    }
  } finally {
    await fh.close();
  }
}
