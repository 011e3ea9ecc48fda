// Raw tensors as they cross the worker boundary: a dtype name, a shape and little-endian bytes.
import { DType } from "../gen/condense/v1/worker_pb.js";
import { MalformedError } from "./errors.js";

export type DTypeName = "f32" | "f16" | "bf16" | "i8" | "i32" | "i64" | "u8";

/** bf16 and f16 have no JS typed array: both are exposed as their raw 16-bit patterns. */
export interface TypedArrayOf {
  f32: Float32Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  i8: Int8Array;
  i32: Int32Array;
  i64: BigInt64Array;
  u8: Uint8Array;
}
export type AnyTypedArray = TypedArrayOf[DTypeName];

export interface Tensor {
  name: string;
  dtype: DTypeName;
  shape: number[];
  /** Little-endian bytes, exactly product(shape) * itemsize long. */
  data: Buffer;
}

/** A received tensor: `view` is a typed array over `data` (no copy unless the frame was misaligned). */
export interface ReceivedTensor extends Tensor {
  view: AnyTypedArray;
}

interface DTypeInfo {
  proto: DType;
  itemsize: number;
  make: (buf: ArrayBufferLike, byteOffset: number, length: number) => AnyTypedArray;
}

export const DTYPES: Readonly<Record<DTypeName, DTypeInfo>> = {
  f32: { proto: DType.DTYPE_F32, itemsize: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  f16: { proto: DType.DTYPE_F16, itemsize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  bf16: { proto: DType.DTYPE_BF16, itemsize: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  i8: { proto: DType.DTYPE_I8, itemsize: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  i32: { proto: DType.DTYPE_I32, itemsize: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  i64: { proto: DType.DTYPE_I64, itemsize: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  u8: { proto: DType.DTYPE_U8, itemsize: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

const BY_PROTO = new Map<DType, DTypeName>(Object.entries(DTYPES).map(([k, v]) => [v.proto, k as DTypeName]));

export function dtypeFromProto(d: DType, where = "tensor"): DTypeName {
  const name = BY_PROTO.get(d);
  if (!name) throw new MalformedError(`${where}: unknown or unspecified dtype ${d}`);
  return name;
}

export function dtypeToProto(d: DTypeName): DType {
  const info = DTYPES[d];
  if (!info) throw new MalformedError(`unknown dtype name "${String(d)}"`);
  return info.proto;
}

export function itemsize(d: DTypeName): number {
  return DTYPES[d].itemsize;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Converts a wire shape (uint64) to numbers, refusing values JS cannot hold exactly. */
export function shapeFromWire(shape: readonly bigint[], where = "tensor"): number[] {
  return shape.map((s) => {
    if (s > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedError(`${where}: dimension ${s} is too large`);
    return Number(s);
  });
}

export function expectedBytes(dtype: DTypeName, shape: readonly number[]): number {
  return numel(shape) * itemsize(dtype);
}

/** Throws MalformedError unless `data.length == product(shape) * itemsize(dtype)`. */
export function checkSize(t: Pick<Tensor, "name" | "dtype" | "shape">, length: number): void {
  for (const s of t.shape) {
    if (!Number.isInteger(s) || s < 0) throw new MalformedError(`tensor "${t.name}": bad dimension ${s} in shape [${t.shape.join(", ")}]`);
  }
  const want = expectedBytes(t.dtype, t.shape);
  if (want !== length) {
    throw new MalformedError(
      `tensor "${t.name}": ${t.dtype}[${t.shape.join(", ")}] needs ${want} bytes but its frame has ${length}`,
    );
  }
}

/**
 * A typed-array view over the bytes. Typed arrays need byteOffset % itemsize == 0; ZeroMQ frames are
 * malloc-aligned in practice, and only a misaligned one (tiny inline messages) is copied.
 */
export function viewOf(dtype: DTypeName, data: Buffer): AnyTypedArray {
  const info = DTYPES[dtype];
  const n = data.length / info.itemsize;
  if (data.byteOffset % info.itemsize === 0) return info.make(data.buffer, data.byteOffset, n);
  const copy = Buffer.alloc(data.length);
  data.copy(copy);
  return info.make(copy.buffer, copy.byteOffset, n);
}

/** Builds a Tensor from a typed array without copying (its bytes are shared). */
export function tensorFrom(name: string, dtype: DTypeName, shape: number[], values: ArrayBufferView): Tensor {
  const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  checkSize({ name, dtype, shape }, data.length);
  return { name, dtype, shape, data };
}

export function received(t: Tensor): ReceivedTensor {
  checkSize(t, t.data.length);
  return { ...t, view: viewOf(t.dtype, t.data) };
}
