// Weight conversion and shaping exactly as the Python SDK does it (bittensor/utils/weight_utils.py), so a
// TS validator emits the same u16 vectors a Python one would. Hand-written because no npm library does this.
import { ChainError } from "./errors.js";

export const U16_MAX = 65535;

/** Python's round(): round half to even. Exact for |x| < 2^52, where x - floor(x) has no rounding error. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function checkUidsWeights(uids: readonly number[], weights: readonly number[]): void {
  if (uids.length !== weights.length) {
    throw new ChainError("input", "WeightVecNotEqualSize", `${uids.length} uids but ${weights.length} weights`);
  }
  for (const u of uids) {
    if (!Number.isInteger(u) || u < 0 || u > U16_MAX) throw new ChainError("input", "InvalidUid", `uid ${u} is not a u16`);
  }
  for (const w of weights) {
    if (!Number.isFinite(w)) throw new ChainError("input", "InvalidWeight", `weight ${w} is not finite`);
    if (w < 0) throw new ChainError("input", "NegativeWeight", `weight ${w} is negative`);
  }
}

/**
 * SDK `convert_and_normalize_weights_and_uids`: cast to float32, divide by the max (in float64 on the float32
 * values), scale to 65535, round half to even, drop zeros with their uids. All-zero input gives empty lists.
 */
export function convertWeightsForEmit(
  uids: readonly number[],
  weights: readonly number[],
): { uids: number[]; values: number[] } {
  checkUidsWeights(uids, weights);
  const f32 = weights.map((w) => Math.fround(w));
  let sum = 0;
  let max = 0;
  for (const w of f32) {
    sum += w;
    if (w > max) max = w;
  }
  if (sum === 0) return { uids: [], values: [] };
  const outUids: number[] = [];
  const values: number[] = [];
  f32.forEach((w, i) => {
    const v = roundHalfEven((w / max) * U16_MAX);
    if (v !== 0) {
      outUids.push(uids[i]!);
      values.push(v);
    }
  });
  return { uids: outUids, values };
}

/**
 * SDK `normalize_max_weight`: normalise to sum 1 while capping every entry at `limit` (iterative cut-off on
 * the sorted values, epsilon 1e-7); uniform when the cap cannot be met (n * limit <= 1) or the sum is 0.
 */
export function normalizeMaxWeight(x: readonly number[], limit = 0.1): number[] {
  const eps = 1e-7;
  const n = x.length;
  if (n === 0) return [];
  const total = x.reduce((a, b) => a + b, 0);
  if (total === 0 || n * limit <= 1) return x.map(() => 1 / n);
  const values = [...x].sort((a, b) => a - b);
  const vsum = values.reduce((a, b) => a + b, 0);
  const estimation = values.map((v) => v / vsum);
  if (Math.max(...estimation) <= limit) return x.map((v) => v / total);
  const cumsum: number[] = [];
  let acc = 0;
  for (const e of estimation) {
    acc += e;
    cumsum.push(acc);
  }
  let nValues = 0;
  for (let i = 0; i < n; i++) {
    const estSum = (n - i - 1) * estimation[i]!;
    if (estimation[i]! / (estSum + cumsum[i]! + eps) < limit) nValues++;
  }
  // numpy indexes cumsum[-1] when nValues is 0; mirror that.
  const cum = nValues === 0 ? cumsum[n - 1]! : cumsum[nValues - 1]!;
  const cutoffScale = (limit * cum - eps) / (1 - limit * (n - nValues));
  const cutoff = cutoffScale * vsum;
  const capped = x.map((v) => (v > cutoff ? cutoff : v));
  const csum = capped.reduce((a, b) => a + b, 0);
  return capped.map((v) => v / csum);
}

/** numpy.quantile with the default 'linear' method (numpy's two-sided lerp). */
export function quantileLinear(sortedAsc: readonly number[], q: number): number {
  const n = sortedAsc.length;
  if (n === 0) throw new ChainError("input", "EmptyQuantile", "quantile of an empty list");
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sortedAsc[lo]!;
  const b = sortedAsc[hi]!;
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

export interface ProcessWeightsParams {
  uids: readonly number[];
  weights: readonly number[];
  /** Metagraph size n. */
  n: number;
  minAllowedWeights: number;
  /** MaxWeightsLimit as stored on chain (u16; divided by 65535 here). */
  maxWeightsLimit: number;
  /** u16 quantile of the lowest non-zero weights to drop (SDK `exclude_quantile`), default 0. */
  excludeQuantile?: number;
}

/**
 * SDK `process_weights_for_netuid` (validator-side shaping before emit). Follows the SDK including its use of
 * array positions as uids in the padding branch (the SDK assumes uids == 0..n-1 there).
 * Computed in float64 on float32-cast inputs.
 */
export function processWeightsForNetuid(p: ProcessWeightsParams): { uids: number[]; weights: number[] } {
  checkUidsWeights(p.uids, p.weights);
  if (!Number.isInteger(p.n) || p.n <= 0) throw new ChainError("input", "InvalidMetagraphSize", `n=${p.n}`);
  const limit = p.maxWeightsLimit / U16_MAX;
  const quantile = (p.excludeQuantile ?? 0) / U16_MAX;
  const w32 = p.weights.map((w) => Math.fround(w));
  const nzIdx: number[] = [];
  w32.forEach((w, i) => {
    if (w > 0) nzIdx.push(i);
  });
  const uniform = () => ({
    uids: Array.from({ length: p.n }, (_, i) => i),
    weights: Array.from({ length: p.n }, () => 1 / p.n),
  });
  if (nzIdx.length === 0 || p.n < p.minAllowedWeights) return uniform();
  if (nzIdx.length < p.minAllowedWeights) {
    const padded = Array.from({ length: p.n }, () => 1e-5);
    for (const i of nzIdx) {
      if (i >= p.n) throw new ChainError("input", "UidVecContainInvalidOne", `position ${i} >= n=${p.n}`);
      padded[i] = padded[i]! + w32[i]!;
    }
    const normalized = normalizeMaxWeight(padded, limit);
    return { uids: normalized.map((_, i) => i), weights: normalized };
  }
  const nzW = nzIdx.map((i) => w32[i]!);
  const nzU = nzIdx.map((i) => p.uids[i]!);
  const maxExclude = Math.max(0, nzW.length - p.minAllowedWeights) / nzW.length;
  const q = Math.min(quantile, maxExclude);
  const lowest = quantileLinear([...nzW].sort((a, b) => a - b), q);
  const keptU: number[] = [];
  const keptW: number[] = [];
  nzW.forEach((w, i) => {
    if (lowest <= w) {
      keptU.push(nzU[i]!);
      keptW.push(w);
    }
  });
  return { uids: keptU, weights: normalizeMaxWeight(keptW, limit) };
}
