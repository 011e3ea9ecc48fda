// The SDK's set_weights decision for either Chain (both implement Chain.submitWeights with this): plain
// set_weights when the subnet has commit-reveal off; with it on, a timelocked commit (what SDK 10.5 and 11 send)
// when the chain's CommitRevealWeightsVersion is 3 or more, else a hash commit whose reveal the caller retries
// until its window opens. The chain's own answers (RevealTooEarly, ExpiredWeightCommit, ...) drive the reveal
// loop, so no epoch arithmetic is duplicated here.
import { ChainError } from "./errors.js";
import type { Chain, ChainSigner, SetWeightsParams, TxResult, WeightCommit, WeightSubmission } from "./types.js";

export type { WeightSubmission } from "./types.js";

/** Lowest CommitRevealWeightsVersion at which the chain takes timelocked commits (CRv3). */
export const FIRST_TIMELOCKED_VERSION = 3;

export async function submitWeights(chain: Chain, hotkey: ChainSigner, p: SetWeightsParams): Promise<WeightSubmission> {
  const hp = await chain.hyperparameters(p.netuid);
  if (!hp.commitRevealEnabled) return { mode: "set", tx: await chain.setWeights(hotkey, p) };
  if (hp.commitRevealVersion >= FIRST_TIMELOCKED_VERSION) {
    return { mode: "timelocked", commit: await chain.commitTimelockedWeights(hotkey, p) };
  }
  return { mode: "commit", commit: await chain.commitWeights(hotkey, p) };
}

/** Errors after which a commit can never be revealed. */
const DEAD = new Set(["ExpiredWeightCommit", "NoWeightsCommitFound", "InvalidRevealCommitHashNotMatch", "CommitRevealDisabled"]);

export interface RevealOutcome {
  revealed: Array<{ commit: WeightCommit; tx: TxResult }>;
  /** Not yet in their reveal window (or a transient failure): try again later. */
  pending: WeightCommit[];
  dropped: Array<{ commit: WeightCommit; code: string }>;
}

/** Try to reveal each pending commit, oldest first. */
export async function revealPending(chain: Chain, hotkey: ChainSigner, commits: readonly WeightCommit[]): Promise<RevealOutcome> {
  const out: RevealOutcome = { revealed: [], pending: [], dropped: [] };
  for (const commit of [...commits].sort((a, b) => a.block - b.block)) {
    try {
      out.revealed.push({ commit, tx: await chain.revealWeights(hotkey, commit) });
    } catch (e) {
      if (!(e instanceof ChainError)) throw e;
      if (DEAD.has(e.code)) out.dropped.push({ commit, code: e.code });
      else if (e.code === "RevealTooEarly" || e.kind === "connection") out.pending.push(commit);
      else out.dropped.push({ commit, code: e.code });
    }
  }
  return out;
}
