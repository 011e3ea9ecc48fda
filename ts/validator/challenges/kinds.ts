// The challenge kinds a validator may name. The procedural ones are drawn by the worker's generator
// (py/condense_worker/tasks/kinds.py: KINDS + WIDENED_KINDS; test/validator/challenges/kinds.test.ts checks the
// two lists agree); corpus QA needs --validator.corpus_dir.
import { CORPUS_QA_KIND } from "./corpus.js";

/** Procedural kinds, in the order calibration tries them. */
export const PROCEDURAL_KINDS = ["needle_single", "single_fact", "kv_retrieval", "variable_tracking", "counting", "needle_decoys", "two_hop", "needle_multikey", "lookalike_keys"] as const;

/** Every kind `--validator.challenge_kinds` accepts. */
export const CHALLENGE_KINDS: readonly string[] = [...PROCEDURAL_KINDS, CORPUS_QA_KIND];
