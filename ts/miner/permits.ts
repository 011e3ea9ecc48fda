// Who may call the miner: the blacklist decision (403 with a reason) and the priority (stake), both
// read from the last metagraph snapshot so a check costs a map lookup.
import type { Metagraph } from "../chain/types.js";

export interface CallerPolicy {
  /** Minimum stake (tokens) a validator needs; the subnet's MIN_STAKE is 10000 on mainnet. */
  minStake: number;
  /** Require a validator permit (true for real deployments). */
  requirePermit: boolean;
  /** Hotkeys always admitted (testing), like the subnet's --whitelist_uids. */
  whitelist: readonly string[];
}

export interface Caller {
  hotkey: string;
  uid: number;
  stake: number;
}

export type Admission = { ok: true; caller: Caller } | { ok: false; code: "unknown_hotkey" | "no_validator_permit" | "stake_too_low"; reason: string };

export class CallerRegistry {
  private readonly byHotkey = new Map<string, { uid: number; stake: number; permit: boolean }>();

  constructor(
    metagraph: Metagraph,
    readonly policy: CallerPolicy,
  ) {
    for (let i = 0; i < metagraph.n; i++) {
      const hk = metagraph.hotkeys[i];
      if (hk === undefined) continue;
      this.byHotkey.set(hk, { uid: metagraph.uids[i] ?? i, stake: metagraph.stakes[i] ?? 0, permit: metagraph.validatorPermits[i] ?? false });
    }
  }

  admit(hotkey: string): Admission {
    const n = this.byHotkey.get(hotkey);
    if (!n) return { ok: false, code: "unknown_hotkey", reason: `hotkey ${hotkey} is not registered on this subnet` };
    const caller = { hotkey, uid: n.uid, stake: n.stake };
    if (this.policy.whitelist.includes(hotkey)) return { ok: true, caller };
    if (this.policy.requirePermit && !n.permit) return { ok: false, code: "no_validator_permit", reason: `uid ${n.uid} has no validator permit` };
    if (n.stake < this.policy.minStake) return { ok: false, code: "stake_too_low", reason: `stake ${n.stake} of uid ${n.uid} is under the minimum ${this.policy.minStake}` };
    return { ok: true, caller };
  }

  registered(hotkey: string): boolean {
    return this.byHotkey.has(hotkey);
  }

  /** Priority by stake: higher stake is served first when requests queue. Unknown callers get 0. */
  priority(hotkey: string): number {
    return this.byHotkey.get(hotkey)?.stake ?? 0;
  }

  /** Stakes of the callers that pass admission: the set the budget is split over. */
  admittedStakes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const hk of this.byHotkey.keys()) {
      const a = this.admit(hk);
      if (a.ok) out.set(hk, a.caller.stake);
    }
    return out;
  }
}
