// Local failures map to the Python dendrite's status codes; scripted misbehaving servers on loopback.
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoReady, TextCompressProtocol } from "../../ts/bittensor/index.js";
import { Dendrite, NonceClock } from "../../ts/dendrite/index.js";
import { Keypair } from "../../ts/wallet/index.js";

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let behaviour: Behaviour = (_req, res) => res.end();
let server: http.Server;
let port: number;
let dendrite: Dendrite;
const hung: http.ServerResponse[] = [];

beforeAll(async () => {
  await cryptoReady();
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => behaviour(req, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
  dendrite = new Dendrite({ wallet: Keypair.fromUri("//Alice"), maxResponseBytes: 4096 });
});
afterAll(async () => {
  dendrite.close();
  for (const r of hung) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const target = () => ({ ip: "127.0.0.1", port, hotkey: Keypair.fromUri("//Bob").address });
const call = (timeoutS = 5) => dendrite.call(target(), TextCompressProtocol.create({ context: "x" }), { timeoutS });

describe("dendrite failure mapping", () => {
  it("408 when the axon does not answer within the timeout", async () => {
    behaviour = (_req, res) => hung.push(res);
    const r = await call(0.3);
    expect(r.dendrite.status_code).toBe(408);
    expect(r.dendrite.status_message).toBe("Request timeout after 0.3 seconds");
  });

  it("503 when nothing listens", async () => {
    const r = await dendrite.call({ ip: "127.0.0.1", port: 1, hotkey: "x" }, TextCompressProtocol.create());
    expect(r.dendrite.status_code).toBe(503);
    expect(r.dendrite.status_message).toBe("Service unavailable at 127.0.0.1:1/TextCompressProtocol");
  });

  it("503 when the server drops the connection before answering", async () => {
    behaviour = (req) => req.socket.destroy();
    expect((await call()).dendrite.status_code).toBe(503);
  });

  it("400 for a cut-off body or one over maxResponseBytes", async () => {
    behaviour = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"context":');
      setImmediate(() => res.socket?.destroy());
    };
    expect((await call()).dendrite.status_code).toBe(400);
    behaviour = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ context: "y".repeat(10_000) }));
    const big = await call();
    expect(big.dendrite.status_code).toBe(400);
    expect(big.dendrite.status_message).toContain("larger than 4096 bytes");
  });

  it("422 for a 200 that is not JSON or not a valid synapse", async () => {
    behaviour = (_req, res) => res.writeHead(200).end("<html>");
    expect((await call()).dendrite.status_code).toBe(422);
    behaviour = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ context: 42 }));
    const r = await call();
    expect(r.dendrite.status_code).toBe(422);
    expect(r.dendrite.status_message).toMatch(/^Failed to parse response: .*context: expected str/);
  });

  it("a 200 nested 50,000 deep is a 422, and integers above 2^53 keep their digits", async () => {
    const big = new Dendrite({ wallet: Keypair.fromUri("//Alice"), maxResponseBytes: 1 << 20 });
    try {
      const deep = "[".repeat(50_000) + "]".repeat(50_000);
      behaviour = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(`{"context":"x","axon":{"nonce":1},"util_data":${deep}}`);
      const r = await big.call(target(), TextCompressProtocol.create({ context: "x" }), { timeoutS: 5 });
      expect(r.dendrite.status_code).toBe(422);
      behaviour = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"context":"x","axon":{"status_code":200,"nonce":123456789012345678901234567}}');
      const ok = await big.call(target(), TextCompressProtocol.create({ context: "x" }), { timeoutS: 5 });
      expect(ok.dendrite.status_code).toBe(200);
      expect(ok.axon.nonce).toBe(123456789012345678901234567n);
    } finally {
      big.close();
    }
  });

  it("copies an axon's non-200 status and message", async () => {
    behaviour = (_req, res) => res.writeHead(429, { "content-type": "application/json", bt_header_axon_status_code: "429" }).end(JSON.stringify({ message: "slow down" }));
    const r = await call();
    expect(r.axon.status_code).toBe(429);
    expect(r.dendrite.status_code).toBe(429);
    expect(r.dendrite.status_message).toBe("slow down");
  });

  it("merges a 200 response's fields and axon headers", async () => {
    behaviour = (_req, res) =>
      res
        .writeHead(200, { "content-type": "application/json", bt_header_axon_status_code: "200", bt_header_axon_status_message: "Success", bt_header_axon_process_time: "0.25" })
        .end(JSON.stringify({ compressed_kv_url: "http://x/y.npy", axon: { status_code: 200, status_message: "Success" } }));
    const r = await call();
    expect(r.dendrite.status_code).toBe(200);
    expect(r.compressed_kv_url).toBe("http://x/y.npy");
    expect(r.axon.process_time).toBe(0.25);
    expect(r.context).toBe(""); // the server's synapse wins, like the Python dendrite
  });
});

describe("nonces", () => {
  it("are strictly increasing even within one clock tick", () => {
    const c = new NonceClock();
    let last = 0n;
    for (let i = 0; i < 20_000; i++) {
      const n = c.next();
      expect(n > last).toBe(true);
      last = n;
    }
    expect(last > BigInt(Date.now() - 60_000) * 1_000_000n).toBe(true);
  });
});
