// DispatchError (from an included extrinsic) -> ChainError with the pallet error's name.
import type { DispatchError } from "@polkadot/types/interfaces";
import type { Registry } from "@polkadot/types/types";
import { ChainError } from "./errors.js";

export function dispatchErrorToChainError(registry: Registry, err: DispatchError): ChainError {
  if (err.isModule) {
    try {
      const meta = registry.findMetaError(err.asModule);
      return new ChainError("module", meta.name, meta.docs.join(" ").trim() || `${meta.section}.${meta.name}`, {
        section: meta.section,
        index: meta.index,
      });
    } catch {
      return new ChainError("module", "UnknownModuleError", `undecodable module error ${err.asModule.toString()}`);
    }
  }
  // Non-module errors (BadOrigin, Token(..), Arithmetic(..), ...) keep the enum's own name.
  const detail = err.toJSON();
  return new ChainError("module", err.type, typeof detail === "object" ? JSON.stringify(detail) : String(detail));
}
