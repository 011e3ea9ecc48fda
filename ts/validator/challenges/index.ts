// Validator challenges: seeded, per-contender procedural tasks and corpus QA drawn by a worker (see challenge.ts, corpus.ts).
export { challengeSeed, minerView, requestChallenge } from "./challenge.js";
export type { Challenge, ChallengeParams, ChallengeQuestion, ExistenceChunk } from "./challenge.js";
export { CORPUS_QA_KIND, offerCorpusQa } from "./corpus.js";
export type { CorpusFlags, CorpusSource } from "./corpus.js";
