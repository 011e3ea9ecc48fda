// Which running miner --against scores: HOST:PORT with its hotkey, or a uid looked up on a chain's metagraph.
import { decodeAddress } from "@polkadot/util-crypto";
import ipaddr from "ipaddr.js";
import type { Chain } from "../chain/types.js";

export type AgainstSpec = { kind: "address"; ip: string; port: number } | { kind: "uid"; uid: number };

/** "HOST:PORT", "[V6]:PORT", "uid:N" or "N". */
export function parseAgainst(value: string): AgainstSpec {
  const v = value.trim();
  const uid = /^(?:uid:)?(\d{1,5})$/.exec(v);
  if (uid) return { kind: "uid", uid: Number(uid[1]) };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v);
  if (!m) throw new Error(`--against ${JSON.stringify(value)}: expected HOST:PORT (e.g. 127.0.0.1:8091), [IPv6]:PORT, or a uid (uid:3)`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`--against ${value}: port ${port} is not in 1..65535`);
  return { kind: "address", ip: m[1] ?? m[2]!, port };
}

function checkHotkey(hotkey: string): string {
  try {
    decodeAddress(hotkey);
  } catch {
    throw new Error(`--hotkey ${JSON.stringify(hotkey.slice(0, 64))} is not an ss58 address`);
  }
  return hotkey;
}

/** Loopback, private, link-local and other non-public addresses: an operator naming one means to reach it. */
export function isPrivateAddress(ip: string): boolean {
  if (ip === "localhost") return true;
  if (!ipaddr.isValid(ip)) return false;
  const a = ipaddr.process(ip);
  return a.range() !== "unicast";
}

export async function resolveTarget(spec: AgainstSpec, o: { hotkey?: string; chain?: () => Promise<Chain>; netuid: number }): Promise<{ ip: string; port: number; hotkey: string; uid: number | null }> {
  if (spec.kind === "address") {
    if (!o.hotkey) throw new Error("--against HOST:PORT needs the miner's hotkey: add --hotkey SS58 (the container must be bound to it)");
    return { ip: spec.ip, port: spec.port, hotkey: checkHotkey(o.hotkey), uid: null };
  }
  if (!o.chain) throw new Error("--against uid:N needs a chain to look the uid up: --subtensor.network / --subtensor.chain_endpoint and --netuid");
  const mg = await (await o.chain()).metagraph(o.netuid);
  if (spec.uid >= mg.n) throw new Error(`uid ${spec.uid} does not exist on netuid ${o.netuid} (${mg.n} neurons)`);
  const axon = mg.axons[spec.uid]!;
  if (!axon.isServing) throw new Error(`uid ${spec.uid} on netuid ${o.netuid} serves no axon`);
  const hotkey = mg.hotkeys[spec.uid]!;
  if (o.hotkey && o.hotkey !== hotkey) throw new Error(`--hotkey ${o.hotkey} is not uid ${spec.uid}'s hotkey (${hotkey})`);
  return { ip: axon.ip, port: axon.port, hotkey, uid: spec.uid };
}
