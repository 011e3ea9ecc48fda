// The period runner on a DevChain with fake miners: who becomes a contender, that plans stay within the
// budget the miner reports, and that running a period again (a restart) sends nothing twice.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { cryptoReady } from "../../../ts/bittensor/signing.js";
import { DevChain } from "../../../ts/chain/devchain.js";
import { loadTierTable } from "../../../ts/subnet/index.js";
import { runPeriod, type PeriodDeps } from "../../../ts/validator/schedule/period.js";
import { challengeId, type QueryContender } from "../../../ts/validator/schedule/query.js";
import { openValidatorState, type ValidatorState } from "../../../ts/validator/state/index.js";
import { Keypair } from "../../../ts/wallet/keypair.js";

const NETUID = 5;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function setup() {
  await cryptoReady();
  const chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID);
  const cold = Keypair.fromUri("//PCold").address;
  const v = Keypair.fromUri("//PValidator");
  chain.registerHotkey(NETUID, v.address, cold);
  chain.addStake(NETUID, v.address, 10_000n * 1_000_000_000n);
  const miners: Record<string, Keypair> = {};
  for (const [i, name] of ["good", "busy", "legacy", "garbage", "silent", "unserved"].entries()) {
    miners[name] = Keypair.fromUri(`//PMiner/${name}`);
    chain.registerHotkey(NETUID, miners[name]!.address, cold);
    if (name !== "unserved") await chain.serveAxon(miners[name]!.toKeyringPair(), { netuid: NETUID, ip: "127.0.0.1", port: 9000 + i, protocol: 4 });
  }
  chain.runEpoch(NETUID);
  const dir = mkdtempSync(path.join(os.tmpdir(), "period-test-"));
  dirs.push(dir);
  const state = openValidatorState(path.join(dir, "s.db"));
  const meta: Record<number, unknown> = {
    9000: { tier: "research", tiers: { research: { capacity: 100, budget: 100, used: 0 } } },
    9001: { tier: "research", tiers: { research: { capacity: 100, budget: 100, used: 99 } } },
    9002: { tier: "research" },
    9003: { tiers: { research: { capacity: -5 } } },
    9004: null,
  };
  const sent: string[] = [];
  const deps = (overrides: Partial<PeriodDeps> = {}): PeriodDeps => ({
    state,
    chain,
    netuid: NETUID,
    hotkey: v.address,
    tiers: loadTierTable(),
    periodMs: 60_000,
    secret: Buffer.alloc(32, 7),
    dialPolicy: { allowPrivate: true },
    queryMetadata: async (t) => meta[t.port] ?? null,
    runQuery: async (c: QueryContender, index: number, at: number) => {
      const id = challengeId(c, index);
      sent.push(id);
      state.logChallenge({ id, periodId: c.periodId, hotkey: c.hotkey, tier: c.tier, uid: c.uid, origin: "synthetic", kind: "needle_single", seed: "1", params: {}, groundTruth: null, contextSha256: "0".repeat(64), fullAccuracy: 1, scheduledAt: at });
      state.recordResult({ challengeId: id, outcome: "ok", score: 0.5, accuracy: 0.5 });
    },
    concurrency: 2,
    maxQueriesPerContender: 3,
    log: pino({ level: "silent" }),
    sleep: async () => undefined,
    ...overrides,
  });
  return { chain, state, miners, deps, sent, v };
}

describe("runPeriod", () => {
  it("makes contenders only of miners that answer Metadata with a valid capacity, within what they report left", async () => {
    const { state, miners, deps, sent } = await setup();
    const skipped: Array<{ hotkey: string; reason: string }> = [];
    const out = await runPeriod(deps({ onContenders: (_p, _c, s) => skipped.push(...s), now: () => 1_000 * 60_000 + 5 }), 1_000, new AbortController().signal);
    expect(out.closed).toBe(true);
    const cs = state.contenders(1_000);
    expect(cs.map((c) => c.hotkey).sort()).toEqual([miners.good!.address, miners.busy!.address].sort());
    const busy = cs.find((c) => c.hotkey === miners.busy!.address)!;
    expect(busy.capacity).toBe(1); // budget 100, 99 used
    expect(busy.planned).toBeLessThanOrEqual(1);
    for (const c of cs) expect(c.planned).toBeLessThanOrEqual(Math.min(c.capacity, 3));
    expect(sent.length).toBe(cs.reduce((a, c) => a + c.planned, 0));
    const reasons = Object.fromEntries(skipped.map((s) => [Object.entries(miners).find(([, k]) => k.address === s.hotkey)![0], s.reason]));
    expect(reasons).toEqual({ legacy: "NO_CAPACITY_DECLARED", garbage: "METADATA_INVALID", silent: "METADATA_UNREACHABLE" });
    expect(state.period(1_000)!.closedAt).not.toBeNull();
  });

  it("refuses to dial private addresses unless allowed", async () => {
    const { state, deps } = await setup();
    const skipped: string[] = [];
    await runPeriod(deps({ dialPolicy: { allowPrivate: false }, onContenders: (_p, _c, s) => skipped.push(...s.map((x) => x.reason)), now: () => 2_000 * 60_000 }), 2_000, new AbortController().signal);
    expect(state.contenders(2_000)).toEqual([]);
    expect(skipped.length).toBe(5);
    expect(new Set(skipped)).toEqual(new Set(["AXON_ADDRESS_REFUSED"]));
  });

  it("run again after an interruption, sends only what was not recorded, and closes once", async () => {
    const { state, deps, sent } = await setup();
    const stop = new AbortController();
    let n = 0;
    const first = deps({
      now: () => 3_000 * 60_000,
      runQuery: async (c, index, at) => {
        if (++n === 2) stop.abort(); // the validator dies after its second query
        return deps().runQuery(c, index, at);
      },
    });
    const a = await runPeriod(first, 3_000, stop.signal);
    expect(a.closed).toBe(false);
    const done = new Set(sent);
    const b = await runPeriod(deps({ now: () => 3_000 * 60_000 + 1 }), 3_000, new AbortController().signal);
    expect(b.closed).toBe(true);
    expect(b.alreadyDone).toBe(done.size);
    expect(new Set(sent).size).toBe(sent.length); // no challenge sent twice
    const planned = state.contenders(3_000).reduce((s, c) => s + c.planned, 0);
    expect(done.size).toBeLessThan(planned); // the first run did stop part-way
    expect(sent.length).toBe(planned);
    expect(state.resultCounts(3_000).ok).toBe(planned);
    const again = await runPeriod(deps({ now: () => 3_000 * 60_000 + 2 }), 3_000, new AbortController().signal);
    expect(again).toMatchObject({ closed: false, queries: 0 });
  });
});
