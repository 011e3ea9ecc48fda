// The seed tier table (neural-condense-subnet v0.0.2: research / inference_0 / inference_1), used when
// no file is given, plus what the subnet's last release (v0.0.3) asks of the research tier when its
// validators call: contexts to 15000 characters, up to 1536 kept tokens, the Condense-AI model id.
// config/tiers.json holds the same table; a test keeps the two equal.
import type { TierTable } from "./tier-schema.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";

export const SEED_TIERS: TierTable = {
  scoring_period_s: 600,
  tiers: {
    research: {
      incentive_percentage: 1.0,
      requests_per_epoch: 256,
      timeout_s: 32,
      supporting_models: [MISTRAL],
      min_condensed_tokens: 128,
      max_condensed_tokens: 1024,
      min_compress_rate: 0.1,
      max_compress_rate: 1.0,
      max_context_length_in_chars: 10000,
      accelerate_reward_scalar: 0.1,
      legacy: { max_context_length_in_chars: 15000, max_condensed_tokens: 1536 },
    },
    inference_0: {
      incentive_percentage: 0.0,
      requests_per_epoch: 1024,
      timeout_s: 8,
      supporting_models: [MISTRAL],
      min_condensed_tokens: 128,
      max_condensed_tokens: 1024,
      min_compress_rate: 0.1,
      max_compress_rate: 1.0,
      max_context_length_in_chars: 15000,
      accelerate_reward_scalar: 0.1,
    },
    inference_1: {
      incentive_percentage: 0.0,
      requests_per_epoch: 1024,
      timeout_s: 8,
      supporting_models: [MISTRAL],
      min_condensed_tokens: 128,
      max_condensed_tokens: 2048,
      min_compress_rate: 0.1,
      max_compress_rate: 1.0,
      max_context_length_in_chars: 20000,
      accelerate_reward_scalar: 0.1,
    },
  },
  model_aliases: { "Condense-AI/Mistral-7B-Instruct-v0.2": MISTRAL },
};
