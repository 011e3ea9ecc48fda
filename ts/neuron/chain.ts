// The neuron's chain: injected (tests, localnet's devnet) or a subtensor connection whose retries and
// reconnects are logged as they happen, so an unreachable endpoint is visible at once, not after the last retry.
import type { Logger } from "pino";
import { ChainError } from "../chain/errors.js";
import type { Chain } from "../chain/types.js";
import { chainEndpoint, type BittensorConfig } from "../config/schema.js";
import { StartupError } from "./errors.js";

export interface ChainConnectOptions {
  /** Retries of the first connection (default the chain's: 5). */
  retries?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  connectTimeoutMs?: number;
}

/** Log lines for the chain's connection events (exported for tests). */
export function logChainEvent(log: Logger, endpoint: string, event: string, details: Record<string, unknown>): void {
  switch (event) {
    case "connect-retry":
      log.warn({ endpoint, ...details }, "chain unreachable; retrying");
      break;
    case "reconnect":
      log.warn({ endpoint, ...details }, "chain connection lost; reconnecting");
      break;
    case "reconnected":
      log.info({ endpoint, ...details }, "chain reconnected");
      break;
    default:
      log.debug({ endpoint, event, ...details }, "chain event");
  }
}

export async function connectChain(subtensor: BittensorConfig["subtensor"], log: Logger, opts: ChainConnectOptions = {}): Promise<Chain> {
  const endpoint = chainEndpoint(subtensor);
  if (endpoint === null)
    throw new StartupError("subtensor.network dev is the in-memory devnet", "run the neuron inside `condense localnet`, or name a chain endpoint", "subtensor.network");
  log.info({ endpoint }, "connecting to the chain");
  const { SubtensorChain } = await import("../chain/subtensor.js");
  try {
    return await SubtensorChain.connect({ endpoint, ...opts, onEvent: (event, details) => logChainEvent(log, endpoint, event, details) });
  } catch (e) {
    if (e instanceof ChainError)
      throw new StartupError(`cannot reach the chain at ${endpoint}: ${e.message}`, "check --subtensor.network / --subtensor.chain_endpoint and the network", "subtensor.chain_endpoint", { cause: e });
    throw e;
  }
}

/** The neuron's uid on `netuid`, or a StartupError saying how to register. */
export async function requireRegistered(chain: Chain, netuid: number, hotkey: string, wallet: { name: string; hotkey: string }): Promise<number> {
  const uid = await chain.uidOf(netuid, hotkey);
  if (uid === null)
    throw new StartupError(
      `hotkey ${hotkey} (wallet ${wallet.name}/${wallet.hotkey}) is not registered on netuid ${netuid}`,
      "register it first (btcli subnet register)",
      "wallet.hotkey",
    );
  return uid;
}
