// From the state to the chain: every contender's EMA quality, decayed period reliability, capacity and speed
// into computeWeights, shaped as the SDK's process_weights_for_netuid does, submitted the way the subnet's
// hyperparameters say (plain, hash commit or timelocked commit) within the weights rate limit. Hash commits
// are persisted before they are sent and revealed later, after a restart too.
import type { Logger } from "pino";
import { ChainError } from "../../chain/errors.js";
import { revealPending } from "../../chain/weight-setter.js";
import { processWeightsForNetuid } from "../../chain/weights.js";
import type { Chain, ChainSigner, WeightCommit } from "../../chain/types.js";
import { computeWeights, DEFAULT_WEIGHTS_CONFIG, type WeightsConfig, type WeightsResult } from "../score/index.js";
import { contenderScoresFromState, DEFAULT_WEIGHT_INPUTS_CONFIG, type ValidatorState, type WeightInputsConfig } from "../state/index.js";

export interface WeightsDeps {
  state: ValidatorState;
  chain: Chain;
  signer: ChainSigner;
  hotkey: string;
  netuid: number;
  tiers: Readonly<Record<string, { incentive_percentage: number }>>;
  weights?: WeightsConfig;
  inputs?: WeightInputsConfig;
  log: Logger;
}

export type WeightsOutcome =
  | { status: "submitted"; mode: "set" | "commit" | "timelocked"; block: number | null; result: WeightsResult }
  | { status: "skipped"; reason: "rate_limited" | "nothing_to_set"; result: WeightsResult; blocksLeft?: number }
  | { status: "failed"; code: string; result: WeightsResult };

/** Computes and submits weights for a closed period. Never throws for the chain's refusals (recorded instead). */
export async function setPeriodWeights(d: WeightsDeps, periodId: number): Promise<WeightsOutcome> {
  const tierWeights = Object.fromEntries(Object.entries(d.tiers).map(([t, c]) => [t, { incentive: c.incentive_percentage }]));
  const result = computeWeights(contenderScoresFromState(d.state, d.inputs ?? DEFAULT_WEIGHT_INPUTS_CONFIG), tierWeights, d.weights ?? DEFAULT_WEIGHTS_CONFIG);
  const uids = [...result.weights.keys()];
  const values = [...result.weights.values()];
  if (!uids.length) {
    d.state.recordWeights({ periodId, mode: "set", status: "computed", uids, weights: values, detail: "nothing earned" });
    return { status: "skipped", reason: "nothing_to_set", result };
  }
  const [hp, mg, block] = await Promise.all([d.chain.hyperparameters(d.netuid), d.chain.metagraph(d.netuid), d.chain.currentBlock()]);
  // The chain's rule: a hotkey that never set weights (last update 0) may; otherwise rate_limit blocks must pass.
  const self = mg.hotkeys.indexOf(d.hotkey);
  const last = self >= 0 ? (mg.lastUpdate[self] ?? 0) : 0;
  const since = block - last;
  if (last !== 0 && since < hp.weightsRateLimit) {
    d.state.recordWeights({ periodId, block, mode: "set", status: "computed", uids, weights: values, detail: `rate limited: ${hp.weightsRateLimit - since} blocks left` });
    return { status: "skipped", reason: "rate_limited", result, blocksLeft: hp.weightsRateLimit - since };
  }
  const shaped = processWeightsForNetuid({ uids, weights: values, n: mg.n, minAllowedWeights: hp.minAllowedWeights, maxWeightsLimit: hp.maxWeightsLimit });
  const versionKey = await d.chain.versionKey(d.netuid);
  try {
    const sub = await d.chain.submitWeights(d.signer, { netuid: d.netuid, uids: shaped.uids, weights: shaped.weights, versionKey });
    if (sub.mode === "commit") persistCommit(d, sub.commit);
    const at = sub.mode === "set" ? sub.tx.block : block;
    d.state.recordWeights({ periodId, block: at, mode: sub.mode === "set" ? "set" : "commit", status: "submitted", uids: shaped.uids, weights: shaped.weights, detail: sub.mode });
    d.log.info({ periodId, mode: sub.mode, uids: shaped.uids.length, block: at }, "weights submitted");
    return { status: "submitted", mode: sub.mode, block: at, result };
  } catch (e) {
    if (!(e instanceof ChainError)) throw e;
    d.state.recordWeights({ periodId, block, mode: "set", status: "failed", uids: shaped.uids, weights: shaped.weights, detail: `${e.code}: ${e.message}` });
    d.log.warn({ periodId, code: e.code, err: e.message }, "weights refused by the chain");
    return { status: "failed", code: e.code, result };
  }
}

function persistCommit(d: WeightsDeps, c: WeightCommit): void {
  d.state.addPendingCommit({ commitHash: c.hash, kind: "hash", netuid: c.netuid, uids: c.uids, weights: c.values, salt: c.salt, versionKey: c.versionKey, commitBlock: c.block, revealAfter: c.block });
}

/** Reveals what is pending (after a restart too) and marks what the chain took or can never take. */
export async function revealPendingCommits(d: Pick<WeightsDeps, "state" | "chain" | "signer" | "hotkey" | "log">): Promise<{ revealed: number; pending: number; dropped: number }> {
  const pending = d.state.pendingCommits().filter((p) => p.kind === "hash");
  if (!pending.length) return { revealed: 0, pending: 0, dropped: 0 };
  const commits: WeightCommit[] = pending.map((p) => ({ netuid: p.netuid, mecid: 0, hotkey: d.hotkey, uids: p.uids, values: p.weights, salt: p.salt, versionKey: p.versionKey, hash: p.commitHash, block: p.commitBlock }) as WeightCommit);
  const out = await revealPending(d.chain, d.signer, commits);
  for (const r of out.revealed) d.state.markRevealed(r.commit.hash, r.tx.block);
  for (const x of out.dropped) {
    d.state.markRevealed(x.commit.hash, null);
    d.log.warn({ hash: x.commit.hash, code: x.code }, "weight commit can never be revealed; dropped");
  }
  return { revealed: out.revealed.length, pending: out.pending.length, dropped: out.dropped.length };
}
