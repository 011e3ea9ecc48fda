// Shared helpers for axon/dendrite tests: dev keys and hand-built signed requests (to send what a dendrite
// never would: replays, bad signatures, missing headers).
import { randomUUID } from "node:crypto";
import { cryptoReady, requestMessage, stringifyJson, synapseHeaders, WIRE_VERSION, type Synapse, type SynapseClass } from "../../ts/bittensor/index.js";
import { nowNanos } from "../../ts/axon/index.js";
import { Keypair } from "../../ts/wallet/index.js";

export async function devKeys() {
  await cryptoReady();
  return { alice: Keypair.fromUri("//Alice"), bob: Keypair.fromUri("//Bob"), eve: Keypair.fromUri("//Eve"), charlie: Keypair.fromUri("//Charlie") };
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** A correctly signed request from `from` to the axon of `to`, with overridable pieces. */
export function signedRequest<V extends Record<string, unknown>>(
  cls: SynapseClass<V>,
  values: Partial<V>,
  from: Keypair,
  toHotkey: string,
  o: { nonce?: bigint; uuid?: string; timeoutS?: number; signer?: Keypair; bodyOverride?: string } = {},
): SignedRequest {
  const s = cls.create(values as never) as Synapse<V>;
  s.timeout = o.timeoutS ?? 12;
  const nonce = o.nonce ?? nowNanos();
  const uuid = o.uuid ?? randomUUID();
  s.dendrite = { ...s.dendrite, ip: "127.0.0.1", version: WIRE_VERSION, nonce, uuid, hotkey: from.address };
  s.axon = { ...s.axon, ip: "127.0.0.1", port: 0, hotkey: toHotkey };
  const hash = cls.bodyHash(s);
  s.dendrite.signature = (o.signer ?? from).signHex(requestMessage(nonce, from.address, toHotkey, uuid, hash));
  const body = o.bodyOverride ?? stringifyJson(cls.dump(s));
  return { headers: { ...synapseHeaders(cls, s, hash, body.length), "content-type": "application/json" }, body };
}

export async function post(port: number, route: string, req: SignedRequest): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}/${route}`, { method: "POST", headers: req.headers, body: req.body });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json, headers: res.headers };
}
