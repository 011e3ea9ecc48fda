// The neuron's chain connection over a real WebSocket (a loopback JSON-RPC node answering like subtensor):
// a dropped connection is logged when it drops and again when it comes back, each time.
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { connectChain } from "../../ts/neuron/index.js";
import { FakeSubtensorProvider } from "../chain/fixtures/fake-provider.js";

function startNode(): Promise<{ server: WebSocketServer; port: number; clients: Set<WebSocket> }> {
  const fake = new FakeSubtensorProvider();
  const clients = new Set<WebSocket>();
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
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
        ws.send(JSON.stringify({ jsonrpc: "2.0", method, params: { subscription: id, result: await fake.send("state_getRuntimeVersion", []) } }));
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

describe("connectChain", () => {
  it("logs every lost connection and every reconnect", async () => {
    const node = await startNode();
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (String(c).split("\n").filter(Boolean).forEach((l) => lines.push(JSON.parse(l))), cb()) }));
    const chain = await connectChain({ network: "local", chain_endpoint: `ws://127.0.0.1:${node.port}` }, log, { backoffInitialMs: 50, backoffMaxMs: 200 });
    try {
      for (let round = 1; round <= 2; round++) {
        for (const ws of node.clients) ws.terminate();
        expect(await chain.currentBlock()).toBe(0x1234);
        for (let i = 0; i < 100 && lines.filter((l) => l["msg"] === "chain reconnected").length < round; i++) await new Promise((r) => setTimeout(r, 20));
        expect(lines.filter((l) => l["msg"] === "chain connection lost; reconnecting").length).toBeGreaterThanOrEqual(round);
        expect(lines.filter((l) => l["msg"] === "chain reconnected").length).toBe(round);
      }
      expect(lines.find((l) => l["msg"] === "chain connection lost; reconnecting")!["endpoint"]).toBe(`ws://127.0.0.1:${node.port}`);
    } finally {
      await chain.close();
      await new Promise<void>((r) => node.server.close(() => r()));
    }
  }, 30_000);
});
