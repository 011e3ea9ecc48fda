// Validator challenges: seeded, per-contender procedural tasks drawn by a worker (see challenge.ts).
export { challengeSeed, minerView, requestChallenge } from "./challenge.js";
export type { Challenge, ChallengeParams, ChallengeQuestion, ExistenceChunk } from "./challenge.js";
