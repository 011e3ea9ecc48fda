// Which target models this miner serves and which worker model computes them. A real deployment runs
// the target itself; tests and the local network may run a small stand-in (e.g. tiny:llama) that
// answers for the target, which is allowed only when asked for explicitly and never on mainnet.

export interface ServedModel {
  /** Target model id the validator asks for (tier supporting_models). */
  target: string;
  /** Worker model spec (`--model`) that computes it. */
  workerModel: string;
  /** True when workerModel is not the target itself. */
  standIn: boolean;
}

export class ModelMapError extends Error {
  override readonly name = "ModelMapError";
  constructor(
    /** The config key at fault. */
    readonly key: "model" | "miner.targets",
    readonly detail: string,
  ) {
    super(`${key}: ${detail}`);
  }
}

export interface ModelMapInput {
  /** Target ids to serve; empty = every supporting model of the served tiers. */
  targets: readonly string[];
  /** Supporting models of the served tiers, the only targets that may be served. */
  tierModels: readonly string[];
  /** `--model`; absent = the target id itself (loaded by the worker). */
  workerModel?: string;
  allowStandIn: boolean;
  network: string;
}

export function resolveServedModels(i: ModelMapInput): ServedModel[] {
  const targets = i.targets.length ? [...new Set(i.targets)] : [...new Set(i.tierModels)];
  const out: ServedModel[] = [];
  for (const target of targets) {
    if (!i.tierModels.includes(target))
      throw new ModelMapError("miner.targets", `'${target}' is not a supporting model of any served tier (${[...new Set(i.tierModels)].join(", ")})`);
    const workerModel = i.workerModel ?? target;
    const standIn = workerModel !== target;
    if (standIn && !i.allowStandIn)
      throw new ModelMapError(
        "model",
        `'${workerModel}' is not the target '${target}'; pass --miner.allow_stand_in to serve it as a stand-in (tests and local networks only)`,
      );
    if (standIn && i.network === "finney") throw new ModelMapError("model", `a stand-in model ('${workerModel}' for '${target}') is refused on finney`);
    out.push({ target, workerModel, standIn });
  }
  if (out.length > 1 && new Set(out.map((o) => o.workerModel)).size > 1) throw new ModelMapError("model", "one worker model serves every target");
  return out;
}
