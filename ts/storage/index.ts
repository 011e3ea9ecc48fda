// Object storage for containers: one interface, an S3 implementation and the built-in HTTP store.
export type { ObjectStore, ObjectInfo, PutSource, PutOptions, PutResult, UrlOptions } from "./types.js";
export { StorageError, classifyStorageError, checkKey, type StorageErrorCode } from "./errors.js";
export { S3Store, type S3StoreOptions } from "./s3.js";
export { HttpStore, type HttpStoreOptions } from "./http.js";
export { startSweeper, type SweeperOptions } from "./sweeper.js";
export { STORAGE_OPTIONS, StorageConfigSchema, openStore, withAwsCredentialFallback, type StorageConfig } from "./config.js";
export { startS3Server, type S3Server } from "./local-s3.js";
