// Public API of the worker layer: start a pool of Python workers, send typed requests, get raw tensors back.
export { WORKER_KEY_ENV, WorkerPool } from "./pool.js";
export { workerEnv } from "./spawn.js";
export type {
  LocalWorkerSpec,
  PoolOptions,
  PoolReply,
  PoolRequest,
  RequestBody,
  RequestKind,
  RestartPolicy,
  WorkerCommand,
  WorkerInfo,
  WorkerState,
} from "./types.js";
export {
  DTYPES,
  checkSize,
  dtypeFromProto,
  dtypeToProto,
  expectedBytes,
  itemsize,
  numel,
  tensorFrom,
  viewOf,
} from "./tensor.js";
export type { AnyTypedArray, DTypeName, ReceivedTensor, Tensor, TypedArrayOf } from "./tensor.js";
export {
  CancelledError,
  DeadlineExceededError,
  ERROR_CODES,
  MalformedError,
  NoWorkerError,
  OverloadedError,
  PoolClosedError,
  ProtocolMismatchError,
  WorkerDeadError,
  WorkerError,
  WorkerStartError,
  errorInfo,
  isWorkerError,
} from "./errors.js";
export type { ErrorCodeInfo, StartPhase, WorkerErrorName } from "./errors.js";
export { ErrorCode, DType, ProtocolVersion } from "../gen/condense/v1/worker_pb.js";
