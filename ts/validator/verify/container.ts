// Container checks before any tensor byte reaches Python: ts/container's header reader with the tier's
// bounds, the target model's shape, and the binding to this challenge (context hash) and this miner
// (hotkey + sr25519 signature). Every failure becomes a refusal code from reasons.ts.
import { isContainerError, readContainerHeader, type ContainerDtype, type ContainerHeader, type ModelShape } from "../../container/index.js";
import { maxContainerBytes, maxHeaderBytes } from "./limits.js";
import { VerifyError, refusalOfContainerCode } from "./reasons.js";

export interface ContainerExpectation {
  targetModel: string;
  model: ModelShape;
  /** The tier's min/max condensed tokens. */
  minKeptTokens: number;
  maxKeptTokens: number;
  /** Dtypes the tier accepts. Default bf16, f16, f32, int8. */
  allowedDtypes?: readonly ContainerDtype[];
  /** sha256 hex of this challenge's context. */
  contextSha256: string;
  /** ss58 of the miner that was asked; the container must name it and carry its signature. */
  minerHotkey: string;
}

export const DEFAULT_ALLOWED_DTYPES: readonly ContainerDtype[] = Object.freeze(["bf16", "f16", "f32", "int8"]);

/** Reads and checks the header at `file`; returns it, or throws a VerifyError. */
export async function checkContainer(file: string, e: ContainerExpectation): Promise<ContainerHeader> {
  const allowedDtypes = e.allowedDtypes ?? DEFAULT_ALLOWED_DTYPES;
  try {
    return await readContainerHeader(file, {
      model: e.model,
      limits: {
        // headers are bounded by the model's shape too, which refuses a bloated header before JSON parsing
        maxHeaderBytes: maxHeaderBytes(e.model),
        maxFileBytes: maxContainerBytes({ model: e.model, maxKeptTokens: e.maxKeptTokens, allowedDtypes }),
        minKeptTokens: e.minKeptTokens,
        maxKeptTokens: e.maxKeptTokens,
        allowedDtypes,
        allowedKinds: ["kv"],
      },
      expect: { targetModel: e.targetModel, contextSha256: e.contextSha256, minerHotkey: e.minerHotkey, verifySignature: true },
    });
  } catch (err) {
    if (isContainerError(err)) throw new VerifyError(refusalOfContainerCode(err.code), err.message);
    throw err;
  }
}
