// The dendrite: signed synapse calls to axons (spec §1.2-1.5, §1.7). Nonces come from a monotonic ns clock and
// are strictly increasing per dendrite. Because an axon rejects a nonce not newer than the last one seen for
// `hotkey:uuid` *in arrival order*, concurrent calls to one axon each use their own uuid "lane" (a lane carries
// one call at a time), so reordering on the wire can never make the axon reject a call.
// With `auth: "btauth1"` calls are signed with SDK 11's btauth/1 headers instead (ts/bittensor/btauth.ts): the
// same JSON body and route, no lanes needed (its replay set is keyed by (hotkey, nonce)).
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { synapseHeaders, parseTerminalHeaders, HEADER, WIRE_VERSION, type IncomingHeaders } from "../bittensor/headers.js";
import { parseJson, stringifyJson } from "../bittensor/json.js";
import { requestMessage } from "../bittensor/signing.js";
import { signBtauth, type WireAuth } from "../bittensor/btauth.js";
import { synapseClassByName, type Synapse, type SynapseClass, type TerminalInfo } from "../bittensor/synapse.js";
import type { Keypair } from "../wallet/keypair.js";
import { NonceClock } from "./nonce-clock.js";
import { dendriteErrors, type LocalFailure } from "./errors.js";

/** Where to send a call: what the metagraph says about an axon. */
export interface AxonTarget {
  ip: string;
  port: number;
  hotkey: string;
}

export interface DendriteOptions {
  wallet: Keypair | { hotkey: Keypair };
  /** Sent as bt_header_dendrite_ip (the axon overwrites it with the socket peer anyway). */
  externalIp?: string;
  /** Default per-call timeout in seconds (Python: 12). */
  timeoutS?: number;
  /** Responses larger than this fail with 400 (default 64 MiB). */
  maxResponseBytes?: number;
  /** Sockets kept per axon (default 64). */
  maxSocketsPerAxon?: number;
  /** How calls are signed: bittensor 10.x headers (`bt10`, default) or SDK 11's `btauth1`. */
  auth?: WireAuth;
  logger?: Logger;
}

export interface CallOptions {
  timeoutS?: number;
  /** The synapse class; defaults to the declaration registered under `synapse.name`. */
  cls?: SynapseClass<Record<string, unknown>>;
  signal?: AbortSignal;
  /** Overrides the dendrite's `auth` for this call. */
  auth?: WireAuth;
}

export class Dendrite {
  readonly keypair: Keypair;
  readonly #opts: DendriteOptions;
  readonly #clock = new NonceClock();
  readonly #agent: http.Agent;
  readonly #lanes = new Map<string, string[]>();

  constructor(opts: DendriteOptions) {
    this.#opts = opts;
    this.keypair = "hotkey" in opts.wallet && !("address" in opts.wallet) ? opts.wallet.hotkey : (opts.wallet as Keypair);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSocketsPerAxon ?? 64, keepAliveMsecs: 30_000 });
  }

  get hotkey(): string {
    return this.keypair.address;
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }

  /**
   * Sends one synapse and returns a copy filled from the response. Never throws for network or protocol
   * failures: they land in `dendrite.status_code` / `status_message` with the Python dendrite's codes
   * (503 unreachable, 408 timeout, 400 payload, 422 unparsable response, 500 other), and an axon's non-200
   * answer in `axon.status_code` / `axon.status_message` (copied to `dendrite.*`).
   */
  async call<V extends Record<string, unknown>>(target: AxonTarget, synapse: Synapse<V>, opts: CallOptions = {}): Promise<Synapse<V>> {
    const cls = (opts.cls ?? synapseClassByName(synapse.name)) as SynapseClass<V> | undefined;
    if (!cls) throw new TypeError(`no synapse class declared for '${synapse.name}'; pass { cls }`);
    const timeoutS = opts.timeoutS ?? this.#opts.timeoutS ?? synapse.timeout ?? 12;
    const laneKey = `${target.ip}:${target.port}:${target.hotkey}`;
    const uuid = this.#takeLane(laneKey);
    const s = cls.parse(cls.dump(synapse)) as Synapse<V>; // a validated copy
    const start = performance.now();
    try {
      s.timeout = timeoutS;
      s.dendrite = {
        ...emptyInfo(),
        ip: this.#opts.externalIp ?? "127.0.0.1",
        version: WIRE_VERSION,
        nonce: this.#clock.next(),
        uuid,
        hotkey: this.keypair.address,
      };
      s.axon = { ...emptyInfo(), ip: target.ip, port: target.port, hotkey: target.hotkey };
      const bodyHash = cls.bodyHash(s);
      let body: string;
      let headers: Record<string, string>;
      if ((opts.auth ?? this.#opts.auth ?? "bt10") === "btauth1") {
        s.dendrite.uuid = null;
        body = stringifyJson(cls.dump(s));
        headers = {
          [HEADER.name]: cls.name,
          [HEADER.timeout]: synapseHeaders(cls, s, bodyHash)[HEADER.timeout]!,
          ...signBtauth(this.keypair, { method: "POST", path: `/${cls.name}`, body, receiver: target.hotkey, nonce: s.dendrite.nonce! }),
        };
      } else {
        s.dendrite.signature = this.keypair.signHex(requestMessage(s.dendrite.nonce!, s.dendrite.hotkey!, target.hotkey, uuid, bodyHash));
        body = stringifyJson(cls.dump(s));
        headers = synapseHeaders(cls, s, bodyHash, Buffer.byteLength(body));
      }
      const res = await this.#post(target, cls.name, headers, body, timeoutS, opts.signal);
      this.#applyResponse(cls, s, res);
    } catch (e) {
      const f: LocalFailure = dendriteErrors.classify(e, { target, name: cls.name, timeoutS });
      s.dendrite.status_code = f.status;
      s.dendrite.status_message = f.message;
      this.#opts.logger?.debug({ axon: laneKey, status: f.status }, f.message);
    } finally {
      this.#returnLane(laneKey, uuid);
    }
    s.dendrite.process_time = (performance.now() - start) / 1000;
    return s;
  }

  /** Calls many axons with the same synapse, at most `concurrency` at once; results keep the input order. */
  async forward<V extends Record<string, unknown>>(targets: AxonTarget[], synapse: Synapse<V>, opts: CallOptions & { concurrency?: number } = {}): Promise<Synapse<V>[]> {
    const out: Synapse<V>[] = new Array(targets.length);
    const limit = Math.max(1, Math.min(opts.concurrency ?? 64, targets.length || 1));
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        out[i] = await this.call(targets[i]!, synapse, opts);
      }
    };
    await Promise.all(Array.from({ length: limit }, worker));
    return out;
  }

  #takeLane(key: string): string {
    const free = this.#lanes.get(key);
    return free?.pop() ?? randomUUID();
  }

  #returnLane(key: string, uuid: string): void {
    let free = this.#lanes.get(key);
    if (!free) this.#lanes.set(key, (free = []));
    if (free.length < 256) free.push(uuid);
  }

  #post(target: AxonTarget, name: string, headers: Record<string, string>, body: string, timeoutS: number, signal?: AbortSignal): Promise<RawResponse> {
    const maxBytes = this.#opts.maxResponseBytes ?? 64 << 20;
    return new Promise((resolve, reject) => {
      let phase: "connect" | "response" | "body" = "connect";
      let settled = false;
      const req = http.request({
        host: target.ip,
        port: target.port,
        path: `/${name}`,
        method: "POST",
        agent: this.#agent,
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      });
      // Every exit goes through here once: the timer and abort reject directly, so a stalled socket
      // can never leave the call pending.
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(dendriteErrors.withPhase(e, phase));
        req.destroy();
      };
      // Node fires delays above 2^31-1 ms at once; clamp.
      const timer = setTimeout(() => fail(dendriteErrors.timeout()), Math.max(1, Math.min(timeoutS * 1000, 2 ** 31 - 1)));
      const onAbort = () => fail(dendriteErrors.aborted());
      signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      req.on("socket", (sock) => {
        if (!sock.connecting) phase = "response";
        else sock.once("connect", () => (phase = "response"));
      });
      req.on("error", fail);
      req.on("response", (res) => {
        phase = "body";
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) fail(dendriteErrors.payload(`response larger than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on("error", (e) => fail(dendriteErrors.payload(e.message)));
        res.on("close", () => {
          if (!res.complete) fail(dendriteErrors.payload("response body was cut off"));
        });
        res.on("end", () => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve({ status: res.statusCode ?? 0, headers: res.headers as IncomingHeaders, body: Buffer.concat(chunks) });
        });
      });
      req.end(body);
    });
  }

  #applyResponse<V extends Record<string, unknown>>(cls: SynapseClass<V>, s: Synapse<V>, res: RawResponse): void {
    let json: unknown;
    try {
      // bounded nesting, exact big integers (as Python's json.loads)
      json = parseJson(res.body.toString("utf8"));
    } catch {
      throw dendriteErrors.unparsable(`response body is not JSON (HTTP ${res.status})`);
    }
    if (res.status === 200) {
      let server: Synapse<V>;
      try {
        server = cls.parse(json);
      } catch (e) {
        throw dendriteErrors.unparsable((e as Error).message);
      }
      // Copy every field back except the frozen body hash and our own dendrite info (as Python does).
      for (const k of Object.keys(cls.dump(s))) {
        if (k === "computed_body_hash" || k === "dendrite" || k === "name") continue;
        if (k === "timeout") continue; // keep the timeout we called with
        (s as Record<string, unknown>)[k] = (server as Record<string, unknown>)[k];
      }
    } else {
      const msg = json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>)["message"] : undefined;
      s.axon.status_code = res.status;
      s.axon.status_message = typeof msg === "string" ? msg : null;
    }
    // Merge the terminal infos the server put in its headers over ours (non-null values win).
    let hAxon: TerminalInfo, hDendrite: TerminalInfo;
    try {
      hAxon = parseTerminalHeaders(cls.name, res.headers, HEADER.axonPrefix);
      hDendrite = parseTerminalHeaders(cls.name, res.headers, HEADER.dendritePrefix);
    } catch (e) {
      throw dendriteErrors.unparsable((e as Error).message);
    }
    const status = s.axon.status_code;
    const message = s.axon.status_message;
    s.axon = mergeInfo(s.axon, hAxon);
    s.dendrite = mergeInfo(s.dendrite, hDendrite, ["signature", "nonce", "uuid", "hotkey"]);
    if (res.status !== 200) {
      s.axon.status_code = status;
      s.axon.status_message = message;
    }
    s.dendrite.status_code = s.axon.status_code;
    s.dendrite.status_message = s.axon.status_message;
  }
}

interface RawResponse {
  status: number;
  headers: IncomingHeaders;
  body: Buffer;
}

function emptyInfo(): TerminalInfo {
  return { status_code: null, status_message: null, process_time: null, ip: null, port: null, version: null, nonce: null, uuid: null, hotkey: null, signature: null };
}

function mergeInfo(local: TerminalInfo, server: TerminalInfo, keep: (keyof TerminalInfo)[] = []): TerminalInfo {
  const out = { ...local } as Record<string, unknown>;
  for (const [k, v] of Object.entries(server)) if (v !== null && !keep.includes(k as keyof TerminalInfo)) out[k] = v;
  return out as TerminalInfo;
}

/** `is_success` etc. of the Python dendrite. */
export const status = {
  isSuccess: (s: { dendrite: TerminalInfo }) => s.dendrite.status_code === 200,
  isTimeout: (s: { dendrite: TerminalInfo }) => s.dendrite.status_code === 408,
  isBlacklist: (s: { dendrite: TerminalInfo }) => s.dendrite.status_code === 403,
  failedVerification: (s: { dendrite: TerminalInfo }) => s.dendrite.status_code === 401,
};
