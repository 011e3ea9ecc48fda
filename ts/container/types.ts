// Types of the KV container (spec: proto/container/README.md).

/** Format version this code writes and reads (metadata `format_version`). */
export const CONTAINER_FORMAT_VERSION = "1";

export type ContainerKind = "kv" | "soft_tokens";
/** Storage dtype named in metadata `dtype`; int8 means int8 values plus f32 per-channel scales. */
export type ContainerDtype = "bf16" | "f16" | "f32" | "int8";
/** safetensors dtype strings that may appear in a container. */
export type TensorDtype = "BF16" | "F16" | "F32" | "I8";

/** The metadata fields, typed (all are strings on disk). */
export interface ContainerMeta {
  formatVersion: string;
  kind: ContainerKind;
  targetModel: string;
  originalTokens: number;
  keptTokens: number;
  algorithm: string;
  /** The `params` JSON string exactly as stored (it is what gets signed). */
  paramsJson: string;
  params: Record<string, unknown>;
  contextSha256: string;
  dataSha256: string;
  dtype: ContainerDtype;
  /** ss58 address, or "" for an anonymous container that cannot be signed. */
  minerHotkey: string;
  /** 128 lowercase hex chars; all zeros while unsigned. */
  signature: string;
}

export interface TensorEntry {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  /** Byte range inside the data section (relative to dataOffset). */
  begin: number;
  end: number;
}

/** Model geometry the shapes are checked against. */
export interface ModelShape {
  numLayers: number;
  kvHeads: number;
  headDim: number;
  /** Needed to check soft-token containers. */
  hiddenSize?: number;
}

export interface ContainerLimits {
  /** Cap on the JSON header length (the u64 prefix). */
  maxHeaderBytes: number;
  maxTensors: number;
  /** Cap on the whole file. */
  maxFileBytes: number;
  minKeptTokens: number;
  maxKeptTokens: number;
  /** Metadata dtypes accepted; default all four. */
  allowedDtypes: readonly ContainerDtype[];
  allowedKinds: readonly ContainerKind[];
}

/** What the validator expects this container to be bound to; each field checked when given. */
export interface ContainerExpectations {
  targetModel?: string;
  /** sha256 hex of the challenge context (UTF-8 bytes). */
  contextSha256?: string;
  /** ss58 of the miner that must have signed it. */
  minerHotkey?: string;
  /** Verify the sr25519 signature (default true when minerHotkey is given). */
  verifySignature?: boolean;
}

export interface ReadContainerOptions {
  limits?: Partial<ContainerLimits>;
  model?: ModelShape;
  expect?: ContainerExpectations;
}

export interface ContainerHeader {
  fileBytes: number;
  /** The u64 header length N (padding included). */
  headerBytes: number;
  /** Absolute offset of the data section: 8 + N. */
  dataOffset: number;
  meta: ContainerMeta;
  /** Sorted by offset; they tile [0, fileBytes - dataOffset) exactly. */
  tensors: TensorEntry[];
  numLayers: number;
  /** Absolute file offset of the 128 signature hex chars (what signContainer overwrites). */
  signatureOffset: number;
  /** Absolute file offset of the 64 data_sha256 hex chars (what the writer patches after streaming). */
  dataSha256Offset: number;
  signed: boolean;
  /** True when the signature was checked here and verified. */
  signatureVerified: boolean;
}

/** What signContainer needs of a key: a @polkadot/keyring sr25519 KeyringPair satisfies it. */
export interface ContainerSigner {
  address: string;
  type?: string;
  sign(message: Uint8Array): Uint8Array;
}
