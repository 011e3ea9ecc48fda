// Header + frames codec and tensor helpers, without any process.
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { FromWorkerSchema, ToWorkerSchema, DType, ProtocolVersion, ErrorCode } from "../../ts/gen/condense/v1/worker_pb.js";
import { decodeHeader, decodeTensors, encodeToWorker } from "../../ts/workers/codec.js";
import {
  ERROR_CODES,
  MalformedError,
  checkSize,
  tensorFrom,
  viewOf,
  type DTypeName,
  type Tensor,
} from "../../ts/workers/index.js";
import { fromWireError, DeadlineExceededError, WorkerError } from "../../ts/workers/errors.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "codec-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Encodes tensors as the orchestrator would, then reads them back as if a worker had echoed them. */
async function echoThroughCodec(tensors: Tensor[], transport: "frames" | "file" = "frames") {
  const enc = await encodeToWorker({ requestId: "r1", body: { case: "echo", value: {} }, tensors, transport, fileDir: dir });
  const req = fromBinary(ToWorkerSchema, enc.frames[0]!);
  const reply = create(FromWorkerSchema, { protocolVersion: ProtocolVersion.CURRENT, requestId: "r1", tensors: req.tensors, body: { case: "echo", value: {} } });
  const header = decodeHeader(Buffer.from(toBinary(FromWorkerSchema, reply)));
  return { req, decoded: await decodeTensors(header, enc.frames.slice(1), { fileDirs: [dir] }) };
}

describe("tensor codec", () => {
  const cases: Array<[DTypeName, number[], ArrayBufferView]> = [
    ["f32", [2, 2], new Float32Array([1, -2.5, 3e-8, Number.POSITIVE_INFINITY])],
    ["f16", [3], new Uint16Array([0x3c00, 0xc000, 0x7e00])],
    ["bf16", [1, 3], new Uint16Array([0x3f80, 0xbf80, 0x7fc0])],
    ["i8", [4], new Int8Array([-128, -1, 0, 127])],
    ["i32", [2, 1], new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
    ["i64", [2], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
    ["u8", [0], new Uint8Array([])],
  ];

  it.each(cases)("round-trips %s%j through header + frames with a typed view", async (dtype, shape, values) => {
    const { req, decoded } = await echoThroughCodec([tensorFrom("t", dtype, shape, values)]);
    expect(req.tensors[0]!.location).toEqual({ case: "frame", value: 0 });
    const t = decoded[0]!;
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual(shape);
    expect(t.view.constructor).toBe(values.constructor);
    expect(Array.from(t.view as ArrayLike<number | bigint>)).toEqual(Array.from(values as unknown as ArrayLike<number | bigint>));
  });

  it("shares the frame's memory instead of copying it", async () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const { decoded } = await echoThroughCodec([tensorFrom("t", "f32", [4], data)]);
    expect(decoded[0]!.view.buffer).toBe(data.buffer);
  });

  it("copies only a misaligned frame, keeping its values", () => {
    const backing = Buffer.alloc(9);
    const misaligned = backing.subarray(1);
    misaligned.writeFloatLE(6.5, 0);
    const v = viewOf("f32", misaligned) as Float32Array;
    expect(v[0]).toBe(6.5);
    expect(v.buffer).not.toBe(backing.buffer);
  });

  it("round-trips several tensors and shape edge cases (scalar, zero-size, 5-D) through files", async () => {
    const scalar = tensorFrom("scalar", "f32", [], new Float32Array([42]));
    const empty = tensorFrom("empty", "i32", [3, 0, 2], new Int32Array([]));
    const five = tensorFrom("five", "i8", [1, 2, 1, 2, 1], new Int8Array([1, 2, 3, 4]));
    const { req, decoded } = await echoThroughCodec([scalar, empty, five], "file");
    expect(req.tensors.every((t) => t.location.case === "file")).toBe(true);
    expect(decoded.map((t) => [t.name, t.shape, t.data.length])).toEqual([
      ["scalar", [], 4],
      ["empty", [3, 0, 2], 0],
      ["five", [1, 2, 1, 2, 1], 4],
    ]);
    expect((decoded[0]!.view as Float32Array)[0]).toBe(42);
    // Received files are owned (and removed) by the receiver.
    for (const t of req.tensors) if (t.location.case === "file") expect(existsSync(t.location.value.path)).toBe(false);
  });

  it("checks product(shape) * itemsize against the frame length", () => {
    expect(() => checkSize({ name: "k", dtype: "bf16", shape: [1, 2, 3] }, 12)).not.toThrow();
    expect(() => checkSize({ name: "k", dtype: "bf16", shape: [1, 2, 3] }, 11)).toThrow(MalformedError);
    expect(() => checkSize({ name: "k", dtype: "f32", shape: [-1] }, 4)).toThrow(/bad dimension/);
    expect(() => tensorFrom("k", "i64", [3], new BigInt64Array(2))).toThrow(/needs 24 bytes but its frame has 16/);
  });

  function replyWith(tensors: Array<{ name: string; dtype: DType; shape: bigint[]; location: { case: "frame"; value: number } | { case: "file"; value: { path: string; offset: bigint; length: bigint; keep: boolean } } }>) {
    const m = create(FromWorkerSchema, { protocolVersion: ProtocolVersion.CURRENT, requestId: "r", tensors, body: { case: "echo", value: {} } });
    return decodeHeader(Buffer.from(toBinary(FromWorkerSchema, m)));
  }

  it("rejects a frame that does not match its description, a missing frame, an extra frame and an unknown dtype", async () => {
    const h = replyWith([{ name: "a", dtype: DType.DTYPE_F32, shape: [2n], location: { case: "frame", value: 0 } }]);
    await expect(decodeTensors(h, [Buffer.alloc(7)], { fileDirs: [dir] })).rejects.toThrow(/needs 8 bytes but its frame has 7/);
    await expect(decodeTensors(h, [], { fileDirs: [dir] })).rejects.toThrow(/frame 0 missing/);
    await expect(decodeTensors(h, [Buffer.alloc(8), Buffer.alloc(1)], { fileDirs: [dir] })).rejects.toThrow(/2 tensor frames but its header describes 1/);
    const u = replyWith([{ name: "a", dtype: DType.DTYPE_UNSPECIFIED, shape: [1n], location: { case: "frame", value: 0 } }]);
    await expect(decodeTensors(u, [Buffer.alloc(1)], { fileDirs: [dir] })).rejects.toThrow(/unknown or unspecified dtype/);
    expect(() => decodeHeader(Buffer.from([0xff, 0xff, 0xff]))).toThrow(MalformedError);
  });

  it("refuses a FileRef outside the shared directories and one past the end of its file", async () => {
    const outside = replyWith([{ name: "a", dtype: DType.DTYPE_U8, shape: [1n], location: { case: "file", value: { path: "/etc/hostname", offset: 0n, length: 1n, keep: true } } }]);
    await expect(decodeTensors(outside, [], { fileDirs: [dir] })).rejects.toThrow(/outside the shared directories/);
    const f = path.join(dir, "short.bin");
    writeFileSync(f, Buffer.alloc(4));
    const long = replyWith([{ name: "a", dtype: DType.DTYPE_U8, shape: [8n], location: { case: "file", value: { path: f, offset: 0n, length: 8n, keep: true } } }]);
    await expect(decodeTensors(long, [], { fileDirs: [dir] })).rejects.toThrow(/exceeds file size 4/);
  });
});

describe("error table", () => {
  it("maps every protocol error code to a name and an HTTP status", () => {
    const codes = Object.values(ErrorCode).filter((v): v is ErrorCode => typeof v === "number");
    for (const c of codes) {
      expect(ERROR_CODES[c].name).toMatch(/^[a-z_]+$/);
      expect(ERROR_CODES[c].httpStatus).toBeGreaterThanOrEqual(400);
    }
    expect(ERROR_CODES[ErrorCode.OVERLOADED]).toEqual({ name: "overloaded", httpStatus: 429, retryable: true });
  });

  it("turns a worker's Error reply into the matching typed error", () => {
    const d = fromWireError({ code: ErrorCode.DEADLINE_EXCEEDED, message: "too slow", retryable: true }, "r9", "w1");
    expect(d).toBeInstanceOf(DeadlineExceededError);
    expect(d.message).toMatch(/r9.*too slow/);
    const n = fromWireError({ code: ErrorCode.NOT_FOUND, message: "no such checkpoint", retryable: false }, "r9", "w1");
    expect(n).toBeInstanceOf(WorkerError);
    expect([n.codeName, n.httpStatus, n.workerId, n.requestId]).toEqual(["not_found", 404, "w1", "r9"]);
  });
});
