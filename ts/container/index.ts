// Public API of the KV container (spec: proto/container/README.md, guide: docs/container.md).
//
// readContainerHeader checks everything a header can prove without reading tensor bytes; the
// worker's Python reader then checks values (NaN/Inf) and verifyContainerData the data hash.
export { ContainerError, CONTAINER_ERRORS, CONTAINER_ERROR_CODES, isContainerError } from "./errors.js";
export type { ContainerErrorCode } from "./errors.js";
export * from "./types.js";
export { DEFAULT_CONTAINER_LIMITS, resolveLimits } from "./limits.js";
export { parseContainerHeader, readContainerHeader } from "./header.js";
export { signingMessage, tensorLayoutSha256 } from "./message.js";
export { signContainer, verifyContainerSignature } from "./signature.js";
export { verifyContainerData } from "./data.js";
export { contextSha256 } from "./hash.js";
