// The miner's ledger of per-validator budgets per scoring period (the rule is ts/subnet's validatorBudget);
// the sum served in a period never exceeds the tier's declared capacity either.
import { validatorBudgets, type TierBudgetPolicy } from "../subnet/budget.js";

export type { TierBudgetPolicy };

export type Consumed = { ok: true; used: number; budget: number; /** The period it was taken from (for refund). */ window: number } | { ok: false; code: "rate_limited" | "capacity_exhausted"; reason: string };

/** Counts requests per (tier, validator) in fixed windows of `periodMs` aligned to the clock. */
export class BudgetLedger {
  private window = -1;
  private readonly used = new Map<string, number>();
  private readonly usedByTier = new Map<string, number>();
  private budgets = new Map<string, Map<string, number>>();

  constructor(
    private readonly periodMs: number,
    private readonly policies: ReadonlyMap<string, TierBudgetPolicy>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Recomputes every validator's budget from admitted stakes (after a metagraph sync). Counts are kept. */
  rebuild(stakes: ReadonlyMap<string, number>): void {
    const next = new Map<string, Map<string, number>>();
    for (const [tier, p] of this.policies) next.set(tier, validatorBudgets(stakes, p));
    this.budgets = next;
  }

  private roll(): void {
    const w = Math.floor(this.now() / this.periodMs);
    if (w !== this.window) {
      this.window = w;
      this.used.clear();
      this.usedByTier.clear();
    }
  }

  budgetOf(tier: string, hotkey: string): number {
    return this.budgets.get(tier)?.get(hotkey) ?? 0;
  }

  usedBy(tier: string, hotkey: string): number {
    this.roll();
    return this.used.get(`${tier}\u0000${hotkey}`) ?? 0;
  }

  /** Milliseconds until the current window ends (for Retry-After style messages). */
  msToReset(): number {
    return this.periodMs - (this.now() % this.periodMs);
  }

  /** Takes one request from the validator's budget, or says why not. */
  consume(tier: string, hotkey: string): Consumed {
    this.roll();
    const policy = this.policies.get(tier);
    const budget = this.budgetOf(tier, hotkey);
    const k = `${tier}\u0000${hotkey}`;
    const used = this.used.get(k) ?? 0;
    const resetS = Math.ceil(this.msToReset() / 1000);
    if (used >= budget) return { ok: false, code: "rate_limited", reason: `budget of ${budget} requests per period for tier ${tier} used up; resets in ${resetS} s` };
    const tierUsed = this.usedByTier.get(tier) ?? 0;
    if (policy && tierUsed >= policy.capacity)
      return { ok: false, code: "capacity_exhausted", reason: `declared capacity of ${policy.capacity} requests per period for tier ${tier} used up; resets in ${resetS} s` };
    this.used.set(k, used + 1);
    this.usedByTier.set(tier, tierUsed + 1);
    return { ok: true, used: used + 1, budget, window: this.window };
  }

  /** Gives a request back when the miner did no work for it; a request from an earlier period is not refunded. */
  refund(tier: string, hotkey: string, window?: number): void {
    this.roll();
    if (window !== undefined && window !== this.window) return;
    const k = `${tier}\u0000${hotkey}`;
    const used = this.used.get(k) ?? 0;
    if (used > 0) this.used.set(k, used - 1);
    const t = this.usedByTier.get(tier) ?? 0;
    if (t > 0) this.usedByTier.set(tier, t - 1);
  }
}
