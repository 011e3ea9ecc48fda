// Organic routing: picks contenders with capacity left and good scores and falls back in order on 429, 5xx,
// timeouts and invalid answers. Unlike SN19's query node (which meant "top 75%" but sorted by hotkey), the
// cut is by score; within it the order is a score-weighted shuffle so load spreads over the good miners.
import { OrganicError } from "./errors.js";

export interface OrganicCandidate {
  uid: number;
  hotkey: string;
  ip: string;
  port: number;
  /** The contender's current score in its tier (0 = unscored or bad). */
  score: number;
  /** Declared capacity left this period (requests). */
  capacityLeft: number;
}

export interface OrganicRequest {
  context: string;
  tier: string;
  targetModel: string;
  minerUid?: number;
  topFraction?: number;
}

export type FailureKind = "rate_limited" | "server_error" | "timeout" | "invalid";
export type ForwardOutcome =
  | { kind: "ok"; url: string; keptTokens: number; originalTokens: number; expiresAt: number | null; latencyMs: number }
  | { kind: FailureKind; status?: number; message: string; latencyMs: number };
export type OkOutcome = Extract<ForwardOutcome, { kind: "ok" }>;

export interface RouterOptions {
  /** Contenders of a tier serving the model (the validator's state, read per request). */
  candidates: (tier: string, targetModel: string) => OrganicCandidate[] | Promise<OrganicCandidate[]>;
  /** One call to a miner; never throws for the miner's failures (they come back as an outcome). */
  forward: (c: OrganicCandidate, req: OrganicRequest, signal: AbortSignal) => Promise<ForwardOutcome>;
  /**
   * Every attempt, success or not: the same counters synthetic traffic feeds (consumed, 429s, failures).
   * `sampled` marks the share of successes chosen to be verified and scored like synthetic results.
   */
  record?: (c: OrganicCandidate, req: OrganicRequest, outcome: ForwardOutcome, sampled: boolean) => void;
  /** Share of organic successes verified and scored (default 0.1). */
  verifyShare?: number;
  /** Miners tried per request before answering upstream_failed (default 3). */
  maxAttempts?: number;
  /** Share of the tier's scored contenders, best first, that may be routed to (default 0.75). */
  defaultTopFraction?: number;
  random?: () => number;
}

export interface RouteResult {
  candidate: OrganicCandidate;
  outcome: OkOutcome;
  attempts: Array<{ miner_uid: number; outcome: string }>;
  sampled: boolean;
}

/**
 * The order in which to try contenders. With `minerUid` only that contender (if it has capacity). Otherwise the
 * scored contenders with capacity left, cut to the best `topFraction` (at least one), in a score-weighted random
 * order (Efraimidis-Spirakis keys u^(1/score)); when none is scored yet, every contender with capacity, shuffled.
 */
export function orderCandidates(all: OrganicCandidate[], opts: { minerUid?: number; topFraction: number; random: () => number }): OrganicCandidate[] {
  const open = all.filter((c) => c.capacityLeft > 0);
  if (opts.minerUid !== undefined) return open.filter((c) => c.uid === opts.minerUid);
  const scored = open.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.uid - b.uid);
  const pool = scored.length ? scored.slice(0, Math.max(1, Math.ceil(scored.length * opts.topFraction))) : open;
  return pool
    .map((c) => ({ c, key: Math.pow(opts.random(), 1 / Math.max(c.score, 1e-9)) }))
    .sort((a, b) => b.key - a.key)
    .map((x) => x.c);
}

export class OrganicRouter {
  readonly #o: Required<Omit<RouterOptions, "record">> & Pick<RouterOptions, "record">;

  constructor(opts: RouterOptions) {
    this.#o = { verifyShare: 0.1, maxAttempts: 3, defaultTopFraction: 0.75, random: Math.random, ...opts };
  }

  async route(req: OrganicRequest, signal: AbortSignal): Promise<RouteResult> {
    const all = await this.#o.candidates(req.tier, req.targetModel);
    if (req.minerUid !== undefined && !all.some((c) => c.uid === req.minerUid))
      throw new OrganicError("miner_not_found", `miner ${req.minerUid} is not a contender of tier ${req.tier} for ${req.targetModel}`);
    const order = orderCandidates(all, { ...(req.minerUid !== undefined ? { minerUid: req.minerUid } : {}), topFraction: req.topFraction ?? this.#o.defaultTopFraction, random: this.#o.random });
    if (!order.length) throw new OrganicError("no_miner_available", `no contender of tier ${req.tier} has capacity left`);
    const attempts: RouteResult["attempts"] = [];
    for (const c of order.slice(0, this.#o.maxAttempts)) {
      if (signal.aborted) break;
      const outcome = await this.#o.forward(c, req, signal);
      const sampled = outcome.kind === "ok" && this.#o.random() < this.#o.verifyShare;
      this.#o.record?.(c, req, outcome, sampled);
      attempts.push({ miner_uid: c.uid, outcome: outcome.kind === "ok" ? "ok" : `${outcome.kind}${outcome.status ? ` ${outcome.status}` : ""}` });
      if (outcome.kind === "ok") return { candidate: c, outcome, attempts, sampled };
    }
    throw new OrganicError("upstream_failed", `${attempts.length} miner(s) tried, none answered`, attempts);
  }
}
