// The Neural Condense subnet's synapses (spec neural-condense-subnet.md §2) plus our additive fields. Every field
// has a default, as in the subnet, so no `bt_header_input_obj_*` placeholders are sent, and no field is hashed
// (the subnet declares no required_hash_fields; a hash over fields would make legacy Python peers reject us).
// Extra fields are ignored by legacy pydantic peers, so adding fields stays wire-compatible.
import { defineSynapse, type Synapse } from "./synapse.js";
import { field, py, type ValuesOf } from "./pytypes.js";

/** Validator-local bookkeeping of the subnet (never sent to miners in practice). */
export const UtilDataType = py.model("UtilData", {
  compressed_kv_b64: field(py.str(), ""),
  compressed_length: field(py.int(), 0),
  download_time: field(py.float(), 0.0),
  bonus_compress_size: field(py.float(), 0.0),
  bonus_time: field(py.float(), 0.0),
  local_filename: field(py.str(), ""),
});

/** Validator-local ground truth of the subnet (never sent to miners). */
export const TaskDataType = py.model("TaskData", {
  formatted_context: field(py.str(), ""),
  original_context: field(py.str(), ""),
  challenge_questions: field(py.list(py.str()), []),
  challenge_answers: field(py.list(py.str()), []),
  formatted_questions: field(py.list(py.str()), []),
  negative_chunks: field(py.list(py.str()), []),
  positive_chunks: field(py.list(py.str()), []),
});

const textCompressFields = {
  // --- subnet v0.0.3 fields ---
  context: field(py.str(), ""),
  target_model: field(py.str(), ""),
  tier: field(py.str(), ""),
  compressed_kv_url: field(py.str(), ""),
  compressed_context: field(py.str(), ""),
  util_data: field(UtilDataType, () => ({
    compressed_kv_b64: "",
    compressed_length: 0,
    download_time: 0,
    bonus_compress_size: 0,
    bonus_time: 0,
    local_filename: "",
  })),
  task_data: field(TaskDataType, () => ({
    formatted_context: "",
    original_context: "",
    challenge_questions: [],
    challenge_answers: [],
    formatted_questions: [],
    negative_chunks: [],
    positive_chunks: [],
  })),
  // --- condense fields (ignored by legacy peers) ---
  /** Container format at compressed_kv_url: "safetensors" (ours) or "npy" (legacy). Empty = legacy npy. */
  compressed_kv_format: field(py.str(), ""),
  /** Kept token count T of the container. */
  compressed_length: field(py.int(), 0),
  /** Compression algorithm the miner used (informational). */
  algorithm: field(py.str(), ""),
  /** Token count of the uncompressed context (positions of a question continue from it). */
  original_length: field(py.int(), 0),
  /** When the URL stops working, unix seconds (0 = the store does not say). */
  expires_at: field(py.float(), 0.0),
} as const;

export const TextCompressProtocol = defineSynapse({ name: "TextCompressProtocol", fields: textCompressFields });
export type TextCompressValues = ValuesOf<typeof textCompressFields>;
export type TextCompressSynapse = Synapse<TextCompressValues>;

const metadataFields = {
  /** Subnet: `{"tier": "<tier>"}`. Ours adds `tiers` with a declared capacity per tier (ts/subnet MinerMetadata). */
  metadata: field(py.dict(py.any()), {}),
} as const;

export const Metadata = defineSynapse({ name: "Metadata", fields: metadataFields });
export type MetadataSynapse = Synapse<ValuesOf<typeof metadataFields>>;
