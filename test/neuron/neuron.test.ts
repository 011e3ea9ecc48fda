// The start-up both roles share (ts/neuron): cleanup stack, periodic tasks, the chain's connection logged
// as it fails, the published address, start-up errors that say what to fix, the operations app.
import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DevChain } from "../../ts/chain/devchain.js";
import { BittensorConfigSchema } from "../../ts/config/schema.js";
import {
  CleanupStack,
  StartupError,
  buildOpsApp,
  connectChain,
  every,
  healthOf,
  isUnpublishable,
  resolveExternalIp,
  startNeuron,
  poolOptionsFor,
} from "../../ts/neuron/index.js";
import { freePort } from "../../ts/util/free-port.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";

function capture() {
  const lines: Array<Record<string, unknown> & { t: number }> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push({ ...JSON.parse(l), t: performance.now() });
      cb();
    },
  });
  return { lines, log: pino({ level: "debug" }, stream) };
}

describe("CleanupStack", () => {
  it("runs steps last-first, once, and a failing step does not stop the others", async () => {
    const { lines, log } = capture();
    const c = new CleanupStack(log);
    const order: string[] = [];
    c.push("a", () => void order.push("a"));
    c.push("b", () => {
      throw new Error("b broke");
    });
    c.push("c", async () => void order.push("c"));
    await Promise.all([c.run(), c.run()]);
    expect(order).toEqual(["c", "a"]);
    expect(lines.some((l) => l["step"] === "b" && l["err"] === "b broke")).toBe(true);
    expect(() => c.push("late", () => undefined)).toThrow(/after the neuron stopped/);
  });
});

describe("every", () => {
  it("never overlaps runs, and runNow waits for the one in progress", async () => {
    const { log } = capture();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const t = every("task", 10, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 40));
      runs++;
      running--;
    }, log);
    await Promise.all([t.runNow(), t.runNow()]);
    await new Promise((r) => setTimeout(r, 120));
    t.stop();
    expect(maxRunning).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
  });
});

describe("the chain", () => {
  it("an unreachable endpoint is logged at the first failed attempt, long before the last retry", async () => {
    const port = await freePort();
    const { lines, log } = capture();
    const t0 = performance.now();
    const err = await connectChain({ network: "local", chain_endpoint: `ws://127.0.0.1:${port}` }, log, { retries: 3, backoffInitialMs: 400, backoffMaxMs: 400, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    const total = performance.now() - t0;
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).key).toBe("subtensor.chain_endpoint");
    const warns = lines.filter((l) => l["msg"] === "chain unreachable; retrying");
    expect(warns.length).toBe(3);
    expect(warns[0]!["endpoint"]).toBe(`ws://127.0.0.1:${port}`);
    // the first warning comes with the first failure, not after the retries ran out
    expect(warns[0]!.t - t0).toBeLessThan(total - 700);
  }, 30_000);

  it("the devnet cannot be dialled, and an unregistered hotkey says how to register", async () => {
    const { log } = capture();
    await expect(connectChain({ network: "dev" }, log)).rejects.toMatchObject({ key: "subtensor.network" });
    await cryptoReady();
    const chain = new DevChain({ allowLoopback: true });
    chain.createSubnet(3);
    const cfg = BittensorConfigSchema.parse({ netuid: 3, subtensor: { network: "dev" }, axon: { ip: "127.0.0.1" }, logging: { level: "silent" } });
    const err = await startNeuron(cfg, { chain, hotkey: Keypair.fromUri("//NeuronNobody"), logger: log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).fix).toContain("btcli subnet register");
  });
});

describe("the published address", () => {
  it("an IP passes as is; a name resolves once; a bad name is a StartupError on axon.external_ip", async () => {
    expect(await resolveExternalIp("203.0.113.5")).toBe("203.0.113.5");
    expect(await resolveExternalIp("::ffff:203.0.113.5")).toBe("203.0.113.5");
    let n = 0;
    expect(await resolveExternalIp("miner.example", { lookup: async () => (n++, { address: "198.51.100.7" }) })).toBe("198.51.100.7");
    expect(n).toBe(1);
    await expect(resolveExternalIp("x.invalid", { lookup: async () => Promise.reject(Object.assign(new Error("nx"), { code: "ENOTFOUND" })) })).rejects.toMatchObject({ key: "axon.external_ip", problem: expect.stringContaining("ENOTFOUND") });
    await expect(resolveExternalIp("slow.example", { lookup: () => new Promise(() => undefined), timeoutMs: 50 })).rejects.toBeInstanceOf(StartupError);
  });
  it("loopback, unspecified and link-local addresses are not publishable", () => {
    for (const ip of ["127.0.0.1", "0.0.0.0", "::1", "::", "169.254.1.1", "::ffff:127.0.0.1"]) expect(isUnpublishable(ip)).toBe(true);
    expect(isUnpublishable("203.0.113.5")).toBe(false);
  });
  it("on finney a host name that resolves to loopback is refused after resolving", async () => {
    const cfg = BittensorConfigSchema.parse({ axon: { external_ip: "sneaky.example" }, logging: { level: "silent" } });
    const err = await startNeuron(cfg, { lookup: async () => ({ address: "127.0.0.1" }), logger: capture().log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).key).toBe("axon.external_ip");
  });
});

describe("worker options", () => {
  it("--threads becomes the pool's threads (each worker's --threads); unset leaves the pool's default share", () => {
    expect(poolOptionsFor({ workers: 2, device: "cpu", threads: 3 }, "tiny:llama")).toEqual({ workers: [{ model: "tiny:llama", device: "cpu", count: 2 }], threads: 3 });
    expect(poolOptionsFor({ workers: 1, device: "cpu" }, "m")).not.toHaveProperty("threads");
  });
});

describe("operations app", () => {
  it("/healthz is 200 with workers ready, 503 with none; unknown routes answer from the error table", async () => {
    let ready = true;
    const w = () => [{ id: "w0", local: true, state: ready ? "ready" : "restarting", pid: 1, inflight: 0, maxInflight: 1, restarts: ready ? 0 : 2, hello: undefined }] as const;
    const extra = async (a: import("fastify").FastifyInstance) => {
      a.get("/boom", async () => {
        throw new Error("/var/lib/secret exploded");
      });
    };
    const app = await buildOpsApp({ registry: new Registry(), health: () => healthOf(w() as never), plugins: [extra] });
    try {
      let r = await app.inject({ url: "/healthz" });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ status: "ok", workers: [{ id: "w0", state: "ready" }] });
      ready = false;
      r = await app.inject({ url: "/healthz" });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ status: "down", workers: [{ state: "restarting", restarts: 2 }] });
      r = await app.inject({ url: "/secret?x=1" });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ error: "not_found", message: "no route GET /secret" });
      // a role's plugin that throws answers from the table, without its message
      r = await app.inject({ url: "/boom" });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({ error: "internal", message: "internal error" });
    } finally {
      await app.close();
    }
  });
});
