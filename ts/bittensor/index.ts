// Public API of the bittensor wire layer: synapse declarations, Python str() emulation, body hash, headers,
// signatures. The axon, dendrite, wallet and Epistula live in their own folders.
export { py, field, required, coerce, PyValidationError, type PyType, type FieldSpec, type FieldMap, type ValuesOf, type PyAny } from "./pytypes.js";
export { pyFloatRepr, pyStrRepr, pyRepr, pyStr } from "./pystr.js";
export { computeBodyHash, sha3Hex, EMPTY_BODY_HASH } from "./bodyhash.js";
export { stringifyJson, parseJson, JsonParseError, MAX_JSON_DEPTH } from "./json.js";
export {
  defineSynapse,
  synapseClassByName,
  BaseSynapse,
  SynapseParseError,
  emptyTerminalInfo,
  TerminalInfoFields,
  type Synapse,
  type SynapseBase,
  type SynapseClass,
  type TerminalInfo,
} from "./synapse.js";
export { TextCompressProtocol, Metadata, UtilDataType, TaskDataType, type TextCompressSynapse, type TextCompressValues, type MetadataSynapse } from "./protocols.js";
export { HEADER, WIRE_VERSION, NONCE_WINDOW_VERSION, synapseHeaders, parseRequestHeaders, parseTerminalHeaders, headerValue, type HeaderSynapse, type IncomingHeaders } from "./headers.js";
export {
  cryptoReady,
  requestMessage,
  responseMessage,
  publicKeyOf,
  isSs58,
  parseSignatureHex,
  wasmVerifier,
  schnorrkelVerifier,
  polkadotWasmVerifier,
  wasmSign,
  signatureHex,
  InvalidAddressError,
  type SignatureVerifier,
} from "./signing.js";
export {
  btauthPayload,
  signBtauth,
  verifyBtauth,
  isBtauthRequest,
  BtauthReplayStore,
  BtauthError,
  BTAUTH_HEADER,
  BTAUTH_PROTOCOL,
  BTAUTH_VERSION,
  BTAUTH_DEFAULT_MAX_AGE_S,
  BTAUTH_DEFAULT_SKEW_S,
  type BtauthScheme,
  type WireAuth,
  type BtauthErrorCode,
  type BtauthCaller,
  type BtauthVerifyOptions,
} from "./btauth.js";
