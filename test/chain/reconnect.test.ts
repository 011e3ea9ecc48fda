// Reconnect with backoff: the scheduler on its own (fake timers), then SubtensorChain over a real WsProvider
// against a loopback WebSocket JSON-RPC server that we drop and bring back.
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { keepConnected, type ReconnectableProvider } from "../../ts/chain/reconnect.js";
import { SubtensorChain } from "../../ts/chain/subtensor.js";
import { ChainError } from "../../ts/chain/errors.js";
import { FakeSubtensorProvider } from "./fixtures/fake-provider.js";

class FlakyProvider implements ReconnectableProvider {
  private readonly events = new EventEmitter();
  isConnected = false;
  attempts = 0;
  succeedOn = 3;
  async connect(): Promise<void> {
    this.attempts += 1;
    if (this.attempts >= this.succeedOn) {
      this.isConnected = true;
      this.emit("connected");
    } else {
      // A socket that fails to open closes, which the provider reports as 'disconnected'.
      queueMicrotask(() => this.emit("disconnected"));
    }
  }
  on(type: "connected" | "disconnected", cb: () => void): () => void {
    this.events.on(type, cb);
    return () => this.events.off(type, cb);
  }
  emit(type: "connected" | "disconnected"): void {
    this.events.emit(type);
  }
}

describe("keepConnected", () => {
  afterEach(() => vi.useRealTimers());
  it("reconnects with growing delays until connected, then resets", async () => {
    vi.useFakeTimers();
    const p = new FlakyProvider();
    const events: Array<[string, Record<string, unknown>]> = [];
    const keeper = keepConnected(p, { initialMs: 100, maxMs: 1000, random: () => 0.5, onEvent: (e, d) => events.push([e, d]) });
    p.emit("disconnected");
    await vi.advanceTimersByTimeAsync(100);
    expect(p.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(p.attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(p.attempts).toBe(3);
    expect(p.isConnected).toBe(true);
    expect(events.map(([e, d]) => `${e}:${String(d.delayMs ?? d.attempts)}`)).toEqual(["reconnect:100", "reconnect:200", "reconnect:400", "reconnected:3"]);
    keeper.stop();
    p.isConnected = false;
    p.emit("disconnected");
    await vi.advanceTimersByTimeAsync(5000);
    expect(p.attempts).toBe(3);
  });
});

/** A loopback JSON-RPC-over-WebSocket node backed by FakeSubtensorProvider's answers. */
function startNode(port = 0): Promise<{ server: WebSocketServer; port: number; clients: Set<WebSocket> }> {
  const fake = new FakeSubtensorProvider();
  const clients = new Set<WebSocket>();
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  let subId = 100;
  server.on("connection", (ws) => {
    clients.add(ws);
    ws.on("close", () => clients.delete(ws));
    ws.on("message", async (data) => {
      const req = JSON.parse(String(data)) as { id: number; method: string; params: unknown[] };
      const reply = (body: object) => ws.send(JSON.stringify({ jsonrpc: "2.0", id: req.id, ...body }));
      if (/^(chain|state)_subscribeRuntimeVersion$/.test(req.method)) {
        const id = subId++;
        reply({ result: id });
        const method = req.method.startsWith("chain") ? "chain_runtimeVersion" : "state_runtimeVersion";
        const result = await fake.send("state_getRuntimeVersion", []);
        ws.send(JSON.stringify({ jsonrpc: "2.0", method, params: { subscription: id, result } }));
        return;
      }
      if (/unsubscribe/i.test(req.method)) return reply({ result: true });
      try {
        reply({ result: await fake.send(req.method, req.params) });
      } catch (e) {
        reply({ error: { code: -32000, message: (e as Error).message } });
      }
    });
  });
  return new Promise((resolve) => server.on("listening", () => resolve({ server, port: (server.address() as AddressInfo).port, clients })));
}

const stopNode = (server: WebSocketServer) => new Promise<void>((r) => server.close(() => r()));

describe("SubtensorChain over a real WebSocket", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it("survives a dropped connection: reconnects with backoff and the read retries", async () => {
    const node = await startNode();
    cleanups.push(() => stopNode(node.server));
    const events: string[] = [];
    const chain = await SubtensorChain.connect({
      endpoint: `ws://127.0.0.1:${node.port}`,
      backoffInitialMs: 50,
      backoffMaxMs: 200,
      onEvent: (e) => events.push(e),
    });
    cleanups.push(() => chain.close());
    expect(await chain.currentBlock()).toBe(0x1234);
    for (const ws of node.clients) ws.terminate();
    expect(await chain.currentBlock()).toBe(0x1234);
    expect(events).toContain("reconnect");
  });

  it("retries the first connection until the node comes up", async () => {
    const probe = await startNode();
    const port = probe.port;
    await stopNode(probe.server);
    const events: string[] = [];
    const pending = SubtensorChain.connect({
      endpoint: `ws://127.0.0.1:${port}`,
      retries: 8,
      backoffInitialMs: 50,
      backoffMaxMs: 100,
      onEvent: (e) => {
        events.push(e);
        // Bring the node up once the first attempt has failed.
        if (e === "connect-retry" && events.filter((x) => x === "connect-retry").length === 1) {
          void startNode(port).then((n) => cleanups.push(() => stopNode(n.server)));
        }
      },
    });
    const chain = await pending;
    cleanups.push(() => chain.close());
    expect(await chain.currentBlock()).toBe(0x1234);
    expect(events).toContain("connect-retry");
  });

  it("gives up with a typed connection error when no node answers", async () => {
    const probe = await startNode();
    await stopNode(probe.server);
    const err = await SubtensorChain.connect({ endpoint: `ws://127.0.0.1:${probe.port}`, retries: 1, backoffInitialMs: 10, backoffMaxMs: 10 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChainError);
    expect((err as ChainError).kind).toBe("connection");
  });
});
