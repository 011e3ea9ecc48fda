// The axon: a fastify server speaking the bittensor 10.x axon protocol (spec §1.6). Pipeline per request, in the
// Python axon's order where it has one: route (404) -> body size/content type (413/415, by fastify before any
// handler code) -> header parse (400) -> blacklist (403, or 429 when the hook says so) -> verify: nonce rules,
// then the sr25519 signature, always required (401) -> body parse (400) -> body-hash check (500) -> admit (the
// hook's status) -> priority (408 when a forward slot is not free within the timeout) -> forward (500 on a
// throw; an AxonRequestError keeps its status) -> 200 with the full synapse.
// btauth/1 (SDK 11's signed HTTP, ts/bittensor/btauth.ts) is accepted beside the 10.x headers on the same routes:
// a request with `X-Bittensor-Version` is verified by its rules instead (the signed sha256 of the raw body then
// stands in for the body hash) and goes through the same blacklist, admit, priority and forward.
// Cheap checks run first; the signature (the expensive one) runs only for well-formed, non-blacklisted requests.
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { BaseSynapse, emptyTerminalInfo, SynapseParseError, type Synapse, type SynapseClass, type TerminalInfo } from "../bittensor/synapse.js";
import { headerValue, parseRequestHeaders, synapseHeaders, WIRE_VERSION, type HeaderSynapse, type IncomingHeaders } from "../bittensor/headers.js";
import { JsonParseError, MAX_JSON_DEPTH, parseJson, stringifyJson } from "../bittensor/json.js";
import { BtauthError, BtauthReplayStore, BTAUTH_HEADER, isBtauthRequest, verifyBtauth, type WireAuth } from "../bittensor/btauth.js";
import { cryptoReady, InvalidAddressError, parseSignatureHex, publicKeyOf, requestMessage, responseMessage, signatureHex, wasmVerifier, type SignatureVerifier } from "../bittensor/signing.js";
import type { Keypair } from "../wallet/keypair.js";
import { AxonRequestError, axonErrors } from "./errors.js";
import { NonceStore, nowNanos } from "./nonces.js";
import { PriorityGate, PriorityTimeoutError, QueueFullError, WaitAbortedError } from "./priority.js";
import { AxonMetrics } from "./metrics.js";
import type { Registry } from "prom-client";

/** What every hook learns about the caller. `hotkey` is only proven in `forward` (after verify). */
export interface RequestInfo {
  synapse: string;
  /** The header-only synapse (terminal infos, timeout, body hash), as Python's `Synapse.from_headers`. */
  headers: HeaderSynapse;
  hotkey: string | null;
  ip: string;
  port: number;
}

export interface BlacklistResult {
  blocked: boolean;
  reason?: string;
  /** 403 (default, the Python axon's answer) or 429 for rate limits ("too many requests", not a ban). */
  status?: 403 | 429;
}

export interface ForwardContext extends RequestInfo {
  hotkey: string;
  /** Aborted when the client disconnects or the synapse timeout passes. */
  signal: AbortSignal;
  /** Absolute deadline (epoch ms): the request's arrival plus its synapse timeout, queue wait included. */
  deadline: number;
}

export interface SynapseHandlers<V extends Record<string, unknown>> {
  /**
   * Returns the response synapse (or just the fields to set on the request synapse). Throwing an
   * AxonRequestError answers with its status and message (e.g. 429, 503); any other throw is a 500.
   */
  forward: (synapse: Synapse<V>, ctx: ForwardContext) => Promise<Synapse<V> | Partial<V> | void> | Synapse<V> | Partial<V> | void;
  /**
   * Runs after the signature, body parse and body-hash check, before the priority gate / forward-slot wait:
   * the place for refusals that must not queue (budget, model, tier, context). Throwing an AxonRequestError
   * answers at once with its status; any other throw is a 500.
   */
  admit?: (synapse: Synapse<V>, info: RequestInfo & { hotkey: string }) => Promise<void> | void;
  /** Runs before signature verification on the header-only synapse: keep it cheap. */
  blacklist?: (info: RequestInfo) => Promise<BlacklistResult> | BlacklistResult;
  /** Higher runs first when `maxConcurrentForwards` is reached. */
  priority?: (info: RequestInfo) => Promise<number> | number;
  /** Per-route body limit in bytes (default: the axon's maxBodyBytes). */
  maxBodyBytes?: number;
}

export interface AxonOptions {
  /** The hotkey the axon answers as (dendrites sign for it). A Wallet-like `{ hotkey }` is accepted too. */
  wallet: Keypair | { hotkey: Keypair };
  port?: number;
  /** Bind address (default "0.0.0.0"). */
  ip?: string;
  /** Address published on chain; informational here. */
  externalIp?: string;
  externalPort?: number;
  /** Default per-route body limit (1 MiB). */
  maxBodyBytes?: number;
  verifier?: SignatureVerifier;
  logger?: Logger;
  /**
   * Runs for EVERY route (the built-in `Synapse` ping and `Metadata` included) before signature verification,
   * ahead of a route's own blacklist. Unverified identity, header-only synapse: keep it cheap.
   */
  blacklist?: (info: RequestInfo) => Promise<BlacklistResult> | BlacklistResult;
  /** At most this many forwards run at once (default unlimited); see PriorityGate. */
  maxConcurrentForwards?: number;
  /** At most this many requests wait for a forward slot; more are refused at once with 503 (default 4 x slots, >= 16). */
  maxQueuedForwards?: number;
  /** Refuse nonces more than this far ahead of our clock (default 5 s). */
  maxFutureSkewS?: number;
  /** Most `hotkey:uuid` nonce entries kept (default 50,000). */
  maxNonceEntries?: number;
  /** Bodies nested deeper are refused with 400 (default 128). */
  maxJsonDepth?: number;
  /** Signed-request schemes accepted (default both: `bt10` headers and SDK 11's `btauth1`). */
  acceptAuth?: readonly WireAuth[];
  /** btauth/1 freshness window (SDK defaults: 10 s back, 2 s ahead). */
  btauthMaxAgeS?: number;
  btauthSkewS?: number;
  /** prom-client registry for the axon's metrics (default: a private one, see `axon.metrics`). */
  registry?: Registry;
  /** Caps the client timeout that widens the first-seen nonce window (default 300 s). */
  maxNonceTimeoutS?: number;
  /**
   * Sign 200 responses with `bt_header_axon_signature` as Python does. Default false: no peer checks it (the
   * Python dendrite ignores it) and it costs one sr25519 signature per request.
   */
  signResponses?: boolean;
}

interface Route {
  cls: SynapseClass<Record<string, unknown>>;
  handlers: SynapseHandlers<Record<string, unknown>>;
}

export class Axon {
  readonly hotkey: Keypair;
  readonly uuid = randomUUID();
  readonly nonces: NonceStore;
  readonly metrics: AxonMetrics;
  /** (hotkey, nonce) pairs of accepted btauth/1 requests, bounded like the nonce table. */
  readonly btauthReplay: BtauthReplayStore;
  readonly #accept: ReadonlySet<WireAuth>;
  readonly #opts: AxonOptions;
  readonly #routes = new Map<string, Route>();
  readonly #verifier: SignatureVerifier;
  readonly #gate: PriorityGate | null;
  #app: FastifyInstance | null = null;
  #sweep: NodeJS.Timeout | null = null;
  #closing = false;

  constructor(opts: AxonOptions) {
    this.#opts = opts;
    this.hotkey = "hotkey" in opts.wallet && !("address" in opts.wallet) ? opts.wallet.hotkey : (opts.wallet as Keypair);
    this.#verifier = opts.verifier ?? wasmVerifier;
    this.nonces = new NonceStore({
      ...(opts.maxNonceTimeoutS !== undefined ? { maxTimeoutS: opts.maxNonceTimeoutS } : {}),
      ...(opts.maxFutureSkewS !== undefined ? { maxFutureSkewS: opts.maxFutureSkewS } : {}),
      ...(opts.maxNonceEntries !== undefined ? { maxEntries: opts.maxNonceEntries } : {}),
    });
    this.#gate = opts.maxConcurrentForwards ? new PriorityGate(opts.maxConcurrentForwards, opts.maxQueuedForwards) : null;
    this.metrics = new AxonMetrics(opts.registry);
    this.#accept = new Set(opts.acceptAuth ?? ["bt10", "btauth1"]);
    this.btauthReplay = new BtauthReplayStore(((opts.btauthMaxAgeS ?? 10) + (opts.btauthSkewS ?? 2)) * 1000 + 1000, opts.maxNonceEntries ?? 50_000);
    // Every Python axon answers the base class as a ping.
    this.attach(BaseSynapse, { forward: () => undefined });
  }

  /** Registers a synapse route. Must be called before start(). */
  attach<V extends Record<string, unknown>>(cls: SynapseClass<V>, handlers: SynapseHandlers<V>): this {
    if (this.#app) throw new Error("attach() after start()");
    this.#routes.set(cls.name, { cls: cls as unknown as SynapseClass<Record<string, unknown>>, handlers: handlers as unknown as SynapseHandlers<Record<string, unknown>> });
    return this;
  }

  /** Requests waiting for a forward slot (0 without maxConcurrentForwards). */
  get gateWaiting(): number {
    return this.#gate?.waiting ?? 0;
  }

  get port(): number {
    const addr = this.#app?.server.address();
    return addr && typeof addr === "object" ? addr.port : (this.#opts.port ?? 8091);
  }

  get info(): { ip: string; port: number; hotkey: string } {
    return { ip: this.#opts.externalIp ?? this.#opts.ip ?? "127.0.0.1", port: this.#opts.externalPort ?? this.port, hotkey: this.hotkey.address };
  }

  /** Builds the fastify app (exposed for `inject()` tests) without listening. */
  async build(): Promise<FastifyInstance> {
    if (this.#app) return this.#app;
    await cryptoReady();
    const defaultLimit = this.#opts.maxBodyBytes ?? 1 << 20;
    const app = Fastify({ logger: false, bodyLimit: defaultLimit, return503OnClosing: true, keepAliveTimeout: 75_000, clientErrorHandler: clientError });
    app.removeAllContentTypeParsers();
    // Keep the raw bytes: JSON is parsed only after the signature verified.
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err: FastifyError, req, reply) => this.#onFastifyError(err, req, reply));
    app.setNotFoundHandler((req, reply) => {
      const name = req.url.split("?")[0]!.split("/")[1] ?? "";
      this.#sendError(reply, axonErrors.unknownSynapse(name, [...this.#routes.keys()]), null);
    });
    for (const [name, route] of this.#routes) {
      const limit = route.handlers.maxBodyBytes ?? defaultLimit;
      app.route({
        method: ["POST", "GET"],
        url: `/${name}`,
        bodyLimit: limit,
        handler: (req, reply) => this.#handle(route, req, reply),
      });
    }
    this.#app = app;
    return app;
  }

  async start(): Promise<{ ip: string; port: number }> {
    const app = await this.build();
    await app.listen({ port: this.#opts.port ?? 8091, host: this.#opts.ip ?? "0.0.0.0" });
    this.#sweep = setInterval(() => this.nonces.sweep(), 60_000);
    this.#sweep.unref();
    this.#opts.logger?.info({ port: this.port, hotkey: this.hotkey.address, synapses: [...this.#routes.keys()] }, "axon listening");
    return { ip: this.#opts.ip ?? "0.0.0.0", port: this.port };
  }

  /** Stops accepting (new requests get 503), lets in-flight ones finish, closes. */
  async stop(): Promise<void> {
    this.#closing = true;
    if (this.#sweep) clearInterval(this.#sweep);
    if (this.#app) await this.#app.close();
  }

  #onFastifyError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
    const route = req.url.split("?")[0]!;
    let e: AxonRequestError;
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE" || err.statusCode === 413) e = axonErrors.tooLarge(req.routeOptions.bodyLimit ?? 0, route);
    else if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || err.statusCode === 415) e = axonErrors.badContentType(req.headers["content-type"]);
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) e = axonErrors.badBody(err.message);
    else e = axonErrors.internal(err.message);
    this.#sendError(reply, e, null);
  }

  async #handle(route: Route, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const start = performance.now();
    const { cls, handlers } = route;
    let hs: HeaderSynapse | null = null;
    // Aborted when the client goes away, from the first await on: a queued request leaves the queue and a
    // running forward is told to stop computing.
    const ac = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) ac.abort(new Error("client disconnected"));
    };
    reply.raw.once("close", onClose);
    // a client gone before the handler ran (its close event already fired)
    if (req.raw.socket?.destroyed) ac.abort(new Error("client disconnected"));
    try {
      if (this.#closing) throw axonErrors.closing();
      // 1. header-only synapse
      try {
        hs = parseRequestHeaders(cls.name, req.headers as IncomingHeaders);
      } catch (e) {
        throw axonErrors.badHeaders(e instanceof SynapseParseError ? e.message : String(e));
      }
      // One deadline from arrival: the wait for a forward slot comes out of the caller's timeout, not on top of it.
      const deadline = Date.now() + timerMs(hs.timeout);
      const btauth = isBtauthRequest(req.headers);
      if (!this.#accept.has(btauth ? "btauth1" : "bt10")) throw axonErrors.notVerified(`${btauth ? "btauth/1" : "bittensor 10.x"} signed requests are not accepted here`);
      if (btauth) {
        // The blacklist sees the claimed identity, as with 10.x headers; verify proves it.
        const h = (n: string) => headerValue(req.headers as IncomingHeaders, n.toLowerCase());
        hs.dendrite = { ...hs.dendrite, hotkey: h(BTAUTH_HEADER.hotkey) ?? null, uuid: null, signature: null, nonce: null };
      }
      hs.dendrite.ip = req.socket.remoteAddress ?? null;
      hs.dendrite.port = req.socket.remotePort ?? null;
      const info: RequestInfo = { synapse: cls.name, headers: hs, hotkey: hs.dendrite.hotkey, ip: hs.dendrite.ip ?? "", port: hs.dendrite.port ?? 0 };

      // 2. blacklist (unverified identity, like Python): the axon's for every route, then the route's own
      for (const hook of [this.#opts.blacklist, handlers.blacklist]) {
        if (!hook) continue;
        const r = await hook(info);
        if (r.blocked) throw r.status === 429 ? axonErrors.rateLimited(r.reason ?? "rate limited") : axonErrors.blacklisted(r.reason ?? "blacklisted");
      }

      // 3. verify
      const hotkey = btauth ? this.#verifyBtauth(req, hs) : this.#verify(hs);

      // 4. body (btauth/1 allows an empty one, e.g. a GET: the synapse's defaults)
      const raw = btauth && (!Buffer.isBuffer(req.body) || req.body.length === 0) ? Buffer.from("{}") : req.body;
      const synapse = parseBody(cls, raw, this.#opts.maxJsonDepth ?? MAX_JSON_DEPTH);
      // 5. body hash (10.x only: btauth/1 signed the sha256 of the raw bytes)
      if (!btauth) {
        const parsedHash = cls.bodyHash(synapse);
        if (parsedHash !== hs.computed_body_hash) throw axonErrors.bodyHashMismatch(hs.computed_body_hash, parsedHash);
      }
      // Trust the header-verified identity, not what the body claims.
      synapse.dendrite = { ...hs.dendrite };
      synapse.timeout = hs.timeout;
      const proven = { ...info, hotkey };

      // 6. admit: refusals that must not wait for a forward slot
      if (handlers.admit) {
        try {
          await handlers.admit(synapse, proven);
        } catch (e) {
          if (e instanceof AxonRequestError) throw e;
          throw axonErrors.internal(e instanceof Error ? `admit: ${e.name}: ${e.message}` : String(e));
        }
      }

      // 7. priority / admission
      let release: (() => void) | null = null;
      if (this.#gate) {
        const p = handlers.priority ? await handlers.priority(info) : 0;
        try {
          release = await this.#gate.acquire(p, Math.max(0, deadline - Date.now()), ac.signal);
        } catch (e) {
          if (e instanceof PriorityTimeoutError) throw axonErrors.priorityTimeout(hs.timeout);
          if (e instanceof QueueFullError) throw axonErrors.queueFull(this.#gate.waiting);
          if (e instanceof WaitAbortedError) throw axonErrors.clientGone();
          throw e;
        }
      } else if (handlers.priority) {
        await handlers.priority(info);
      }
      try {
        // 8. forward
        if (ac.signal.aborted) throw axonErrors.clientGone();
        const timer = setTimeout(() => ac.abort(new Error("synapse timeout")), Math.max(0, deadline - Date.now()));
        timer.unref();
        let result: unknown;
        try {
          result = await handlers.forward(synapse, { ...proven, signal: ac.signal, deadline });
        } catch (e) {
          // A handler may answer with a chosen status (400 bad input, 429 budget, 503 unavailable).
          if (e instanceof AxonRequestError) throw e;
          throw axonErrors.internal(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
        } finally {
          clearTimeout(timer);
        }
        let response: Synapse<Record<string, unknown>>;
        try {
          response = result && typeof result === "object" ? cls.parse({ ...cls.dump(synapse), ...(result as object), dendrite: synapse.dendrite, axon: synapse.axon }) : synapse;
        } catch (e) {
          throw axonErrors.internal(`forward returned an invalid ${cls.name}: ${(e as Error).message}`);
        }
        response.dendrite = { ...hs.dendrite };
        response.timeout = hs.timeout;
        this.#sendSuccess(reply, cls, response, hs, start);
      } finally {
        release?.();
      }
    } catch (e) {
      const err = e instanceof AxonRequestError ? e : axonErrors.internal(e instanceof Error ? e.message : String(e));
      if (err.status === 500) this.#opts.logger?.warn({ synapse: cls.name, hotkey: hs?.dendrite.hotkey, requestId: err.requestId, code: err.code, detail: err.detail ?? err.message }, "axon request failed");
      this.#sendError(reply, err, hs, start, cls);
    } finally {
      reply.raw.off("close", onClose);
    }
  }

  /** btauth/1 in the SDK's order (spec §1.8); returns the proven hotkey or throws 401 (503 when the replay table is full). */
  #verifyBtauth(req: FastifyRequest, hs: HeaderSynapse): string {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const c = verifyBtauth(req.headers, body, {
        method: req.method,
        path: req.raw.url ?? req.url,
        self: this.hotkey.address,
        replay: this.btauthReplay,
        verifier: this.#verifier,
        ...(this.#opts.btauthMaxAgeS !== undefined ? { maxAgeS: this.#opts.btauthMaxAgeS } : {}),
        ...(this.#opts.btauthSkewS !== undefined ? { skewS: this.#opts.btauthSkewS } : {}),
      });
      hs.dendrite.nonce = c.nonce;
      hs.dendrite.signature = c.signature;
      return c.hotkey;
    } catch (e) {
      if (e instanceof BtauthError) throw e.code === "replay_table_full" ? axonErrors.nonceTableFull() : axonErrors.notVerified(`btauth/1 ${e.code}: ${e.message}`);
      throw e;
    }
  }

  /** Nonce rules then the signature (spec §1.5); returns the proven hotkey or throws 401. */
  #verify(hs: HeaderSynapse): string {
    const d = hs.dendrite;
    if (!d.hotkey) throw axonErrors.notVerified("Missing dendrite hotkey");
    let pk: Uint8Array;
    try {
      pk = publicKeyOf(d.hotkey);
    } catch (e) {
      throw axonErrors.notVerified(e instanceof InvalidAddressError ? `Invalid dendrite hotkey: ${e.message}` : String(e));
    }
    if (d.nonce === null) throw axonErrors.notVerified("Missing Nonce");
    if (!d.uuid) throw axonErrors.notVerified("Missing dendrite uuid");
    // Bounds the nonce table's per-entry size (a uuid1/uuid4 string is 36 characters).
    if (d.uuid.length > MAX_UUID_CHARS) throw axonErrors.notVerified(`Invalid dendrite uuid: longer than ${MAX_UUID_CHARS} characters`);
    const key = `${d.hotkey}:${d.uuid}`;
    // Python applies the freshness window only when version >= 7.2.0; we always apply it (stricter, and every
    // live dendrite sends a newer version).
    const nc = this.nonces.check(key, d.nonce, hs.timeout);
    if (!nc.ok) throw nc.code === "nonce_table_full" ? axonErrors.nonceTableFull() : axonErrors.notVerified(nc.reason);
    if (!d.signature) throw axonErrors.notVerified("Missing Signature");
    const sig = parseSignatureHex(d.signature);
    const message = requestMessage(d.nonce, d.hotkey, this.hotkey.address, d.uuid, hs.computed_body_hash);
    if (!sig || !this.#verifier(Buffer.from(message, "utf8"), sig, pk)) throw axonErrors.notVerified(`Signature mismatch with ${message} and ${d.signature}`);
    this.nonces.record(key, d.nonce);
    return d.hotkey;
  }

  #axonInfo(hs: HeaderSynapse | null, status: number, message: string, start: number | undefined, sign: boolean): TerminalInfo {
    const nonce = nowNanos();
    const axonHotkey = hs?.axon.hotkey ?? this.hotkey.address;
    const info: TerminalInfo = {
      ...(hs?.axon ?? { ip: null, port: null }),
      status_code: status,
      status_message: message,
      process_time: start === undefined ? null : (performance.now() - start) / 1000,
      version: WIRE_VERSION,
      nonce,
      uuid: this.uuid,
      hotkey: axonHotkey,
      signature: null,
    } as TerminalInfo;
    if (sign && (this.#opts.signResponses ?? false)) {
      info.signature = signatureHex(this.hotkey.sign(responseMessage(nonce, hs?.dendrite.hotkey ?? "None", axonHotkey, this.uuid)));
    }
    return info;
  }

  #sendSuccess(reply: FastifyReply, cls: SynapseClass<Record<string, unknown>>, response: Synapse<Record<string, unknown>>, hs: HeaderSynapse, start: number): void {
    response.axon = this.#axonInfo(hs, 200, "Success", start, true);
    const body = stringifyJson(cls.dump(response));
    const headers = synapseHeaders(cls, response, cls.bodyHash(response), Buffer.byteLength(body));
    for (const [k, v] of Object.entries(headers)) headers[k] = safeHeaderValue(v);
    reply.code(200).headers(headers).type("application/json").send(body);
    this.metrics.observe(cls.name, 200, start);
  }

  #sendError(reply: FastifyReply, err: AxonRequestError, hs: HeaderSynapse | null, start?: number, cls?: SynapseClass<Record<string, unknown>>): void {
    const message = err.publicMessage;
    const axon = this.#axonInfo(hs, err.status, message, start, false);
    const s = {
      name: cls?.name ?? "Synapse",
      timeout: hs?.timeout ?? 12.0,
      total_size: 0,
      header_size: 0,
      dendrite: hs?.dendrite ?? emptyTerminalInfo(),
      axon,
      computed_body_hash: hs?.computed_body_hash ?? "",
    } as Synapse<Record<string, unknown>>;
    const body = JSON.stringify({ message });
    // Header values must be single-line latin1; messages may echo client input.
    const headers = synapseHeaders(cls ?? (BaseSynapse as unknown as SynapseClass<Record<string, unknown>>), s, s.computed_body_hash, Buffer.byteLength(body));
    for (const [k, v] of Object.entries(headers)) headers[k] = safeHeaderValue(v);
    reply.code(err.status).headers(headers).type("application/json").send(body);
    this.metrics.observe(cls?.name ?? "unknown", err.status, start);
  }
}

/** The request body as a synapse (400 for anything that is not a valid one). */
function parseBody(cls: SynapseClass<Record<string, unknown>>, raw: unknown, maxDepth: number): Synapse<Record<string, unknown>> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw axonErrors.badBody("empty body; expected the synapse as JSON");
  let json: unknown;
  try {
    json = parseJson(raw.toString("utf8"), { maxDepth });
  } catch (e) {
    if (e instanceof JsonParseError) throw axonErrors.badBody(e.code === "too_deep" ? `JSON nested deeper than ${maxDepth} levels` : `malformed JSON (${e.message})`);
    throw e;
  }
  try {
    return cls.parse(json);
  } catch (e) {
    if (e instanceof SynapseParseError) throw axonErrors.badBody(e.message);
    throw e;
  }
}

const MAX_UUID_CHARS = 64;

/** A client-chosen timeout as a timer delay: Node fires delays above 2^31-1 ms at once, so clamp. */
function timerMs(timeoutS: number): number {
  return Math.max(0, Math.min(timeoutS * 1000, 2 ** 31 - 1));
}

/** Requests Node cannot even parse (garbage, oversized headers) still get a JSON `{"message"}` answer. */
function clientError(err: NodeJS.ErrnoException, socket: import("node:net").Socket): void {
  if (!socket.writable) return;
  const [status, text] = err.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large"] : [400, "Bad Request"];
  const body = JSON.stringify({ message: `${text}: malformed HTTP request (${err.code ?? "parse error"})` });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function safeHeaderValue(v: string): string {
  return /^[\x20-\x7e\t]*$/.test(v) ? v : v.replace(/[^\x20-\x7e\t]/g, "?");
}
