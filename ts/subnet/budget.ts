// The validator budget rule both roles obey (the subnet's build_rate_limit): each admitted validator may
// send max(int(RPE * S_v / sum S), floor) requests per scoring period to a miner, capped by the capacity
// the miner declares for the tier. The miner enforces it; the validator plans its requests by it.

export interface TierBudgetPolicy {
  requestsPerEpoch: number;
  /** Declared capacity of this tier per scoring period (what the Metadata synapse announces). */
  capacity: number;
  /** Minimum budget of any admitted validator (the subnet uses 10). */
  floor: number;
}

/** max(int(RPE * S_v / sum S), floor), bounded by capacity. */
export function validatorBudget(stake: number, totalStake: number, p: TierBudgetPolicy): number {
  const share = totalStake > 0 ? Math.floor((p.requestsPerEpoch * stake) / totalStake) : 0;
  return Math.min(Math.max(share, p.floor), p.capacity);
}

/** Every admitted validator's budget for one tier, from their stakes. */
export function validatorBudgets(stakes: ReadonlyMap<string, number>, p: TierBudgetPolicy): Map<string, number> {
  let total = 0;
  for (const s of stakes.values()) total += s;
  const out = new Map<string, number>();
  for (const [hk, s] of stakes) out.set(hk, validatorBudget(s, total, p));
  return out;
}
