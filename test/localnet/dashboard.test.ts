// The localnet dashboard over a real validator state: periods, contenders, challenges and results written
// through ts/validator/state, weights computed and set on a DevChain by the validator's own setPeriodWeights.
// One miner is hostile: its name and its refusal detail carry <script> and <img onerror> markup, which must
// show as text and never run.
// - The HTTP surface (no browser): GET only (405 for the rest, before any body is read), loopback host names
//   only, bound to 127.0.0.1 alone.
// - The page in Debian's chromium driven by playwright-core (never a downloaded browser): the tables, the
//   weights chart (a point per miner per period, at the chain's shares), refusals with their reasons, the
//   hostile strings escaped; a screenshot is saved to test-results/dashboard.png.
//   Without /usr/bin/chromium (or $CONDENSE_CHROMIUM) the browser test skips loudly, unless CI is set: then it fails.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { startDashboard, type RunningDashboard } from "../../ts/localnet/dashboard/index.js";
import { openValidatorState, type ValidatorState } from "../../ts/validator/state/index.js";
import { REFUSAL_REASONS } from "../../ts/validator/verify/index.js";
import { DEFAULT_WEIGHTS_CONFIG } from "../../ts/validator/score/index.js";
import { setPeriodWeights } from "../../ts/validator/weights/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
// Debian's chromium (scripts/setup.d/40-chromium.sh); CONDENSE_CHROMIUM names another installed one.
const CHROMIUM = process.env.CONDENSE_CHROMIUM || "/usr/bin/chromium";
const IN_CI = !!process.env.CI && !["0", "false"].includes(process.env.CI.toLowerCase());
const NETUID = 3;
const TIER = "research";
const PERIODS = [7001, 7002, 7003];
const HOSTILE_NAME = `<img src=x onerror="window.__pwned='name-img'">evil<script>window.__pwned='name-script'</script>`;
// What a decoder "answered" comes from a miner's cache: hostile too.
const HOSTILE_ANSWER = `<img src=x onerror="window.__pwned='answer-img'">7`;
const HOSTILE_DETAIL = `miner said: <script>window.__pwned='detail-script'</script><img src=x onerror="window.__pwned='detail-img'"> & "quotes"`;

interface World {
  dir: string;
  chain: DevChain;
  state: ValidatorState;
  validatorUid: number;
  miners: Array<{ uid: number; hotkey: string; name: string; algorithm: string }>;
  dashboard: RunningDashboard;
  file: string;
  /** Writes one more period (the accuracy plan's index pi) and sets its weights. */
  addPeriod: (period: number, pi: number) => Promise<void>;
  /** The validator's weight row on chain right after each period's weights, as shares. */
  chainShares: Array<Map<number, number>>;
}

function sharesOnChain(chain: DevChain, validatorUid: number): Map<number, number> {
  const row = chain.weightsOf(NETUID, validatorUid);
  const sum = row.reduce((a, [, x]) => a + x, 0);
  return new Map(row.map(([u, x]) => [u, x / sum]));
}

/** Three miners over three closed periods: a good one, a weaker one, and the hostile one whose every container is refused. */
async function world(): Promise<World> {
  await cryptoReady();
  const dir = mkdtempSync(path.join(os.tmpdir(), "dashboard-test-"));
  const chain = new DevChain();
  chain.createSubnet(NETUID, { commitRevealEnabled: false, weightsRateLimit: 0 });
  const cold = Keypair.fromUri("//DashCold").address;
  const v = Keypair.fromUri("//DashValidator");
  const validatorUid = chain.registerHotkey(NETUID, v.address, cold);
  const plan = [
    // Accuracy of each of the two challenges, per period: the weaker miner gets better, so weights move.
    { name: "good kvzip", algorithm: "kvzip", accuracy: [[1, 0.5], [1, 0.5], [1, 0.5]] },
    { name: "weaker knorm", algorithm: "knorm", accuracy: [[0, 0], [0.5, 0.5], [1, 1]] },
    { name: HOSTILE_NAME, algorithm: "streaming_llm", accuracy: null },
  ];
  const miners = plan.map((p, i) => {
    const hotkey = Keypair.fromUri(`//DashMiner/${i}`).address;
    return { uid: chain.registerHotkey(NETUID, hotkey, cold), hotkey, name: p.name, algorithm: p.algorithm };
  });
  chain.addStake(NETUID, v.address, 1000n * 1_000_000_000n);
  chain.runEpoch(NETUID);

  const file = path.join(dir, "validator.db");
  const state = openValidatorState(file);
  // The localnet's weights settings: every contender with a score shares (top fraction 1).
  const deps = { state, chain, signer: v.toKeyringPair(), hotkey: v.address, netuid: NETUID, tiers: { [TIER]: { incentive_percentage: 1 } }, weights: { ...DEFAULT_WEIGHTS_CONFIG, topFraction: 1 }, log: pino({ level: "silent" }) };
  const chainShares: Array<Map<number, number>> = [];
  const t0 = Date.UTC(2025, 0, 1);
  /** One period as the validator runs it: plan, challenges logged then answered or refused, close, weights. */
  const addPeriod = async (period: number, pi: number) => {
    const start = t0 + pi * 60_000;
    state.openPeriod(period, start, start + 60_000);
    state.upsertContenders(period, miners.map((m) => ({ hotkey: m.hotkey, tier: TIER, uid: m.uid, declaredCapacity: 32, budget: 24, capacity: 24, testShare: 0.1, planned: 2 })));
    for (const [mi, m] of miners.entries())
      for (let k = 0; k < 2; k++) {
        const id = `c-${period}-${mi}-${k}`;
        state.logChallenge({
          id,
          periodId: period,
          hotkey: m.hotkey,
          tier: TIER,
          uid: m.uid,
          origin: "synthetic",
          kind: "needle_single",
          seed: String(period * 10 + k),
          params: { k },
          groundTruth: { answers: [[`answer-${period}-${mi}-${k}`], ["42", "forty-two"]], chunks: [] },
          contextSha256: "0".repeat(64),
          fullAccuracy: 1,
          scheduledAt: start + 1000 * k,
        });
        const acc = plan[mi]!.accuracy?.[pi]?.[k];
        if (acc !== undefined) state.recordResult({ challengeId: id, outcome: "ok", accuracy: acc, score: acc, keptTokens: 64, originalTokens: 128, seconds: 1.5, decoded: { answers: [`answer-${period}-${mi}-${k}`, HOSTILE_ANSWER], verdicts: [true, false] } });
        else state.recordResult({ challengeId: id, outcome: "refused", refusalCode: "BINDING_MISMATCH", detail: HOSTILE_DETAIL, score: 0 });
      }
    state.closePeriod(period);
    const w = await setPeriodWeights(deps, period);
    if (w.status !== "submitted") throw new Error(`weights for period ${period} were not submitted: ${JSON.stringify(w)}`);
    chainShares.push(sharesOnChain(chain, validatorUid));
  };
  for (const [pi, period] of PERIODS.entries()) await addPeriod(period, pi);
  const dashboard = await startDashboard({ statePath: file, chain, netuid: NETUID, validatorUid, miners });
  return { dir, chain, state, validatorUid, miners, dashboard, chainShares, file, addPeriod };
}

let w: World;
beforeAll(async () => {
  w = await world();
});
afterAll(async () => {
  await w?.dashboard.close();
  w?.state.close();
  if (w) rmSync(w.dir, { recursive: true, force: true });
});

/** A raw HTTP request (fetch cannot set Host). */
function request(port: number, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers }, (res) => {
      let b = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (b += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(3000);
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

describe("dashboard HTTP surface", () => {
  it("serves the state as JSON on GET, with the chain's weights per period", async () => {
    const r = await request(w.dashboard.port, "GET", "/api/state");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    const s = JSON.parse(r.body) as { board: Array<{ uid: number; name: string; weight: number }>; weights: Array<{ periodId: number; status: string; weights: Array<[number, number]> }> };
    expect(s.board.map((b) => b.name).sort()).toEqual(w.miners.map((m) => m.name).sort());
    expect(s.weights.map((p) => [p.periodId, p.status])).toEqual(PERIODS.map((p) => [p, "submitted"]));
    // The chain keeps its own u16 rounding of the row: equal to within it.
    for (const [i, p] of s.weights.entries()) {
      expect(p.weights.map(([u]) => u).sort()).toEqual([...w.chainShares[i]!.keys()].sort());
      for (const [u, x] of p.weights) expect(x, `period ${p.periodId} uid ${u}`).toBeCloseTo(w.chainShares[i]!.get(u)!, 4);
    }
    expect((await request(w.dashboard.port, "HEAD", "/api/state")).status).toBe(200);
  });

  it("refuses every method but GET and HEAD with 405, on the page and the API, before reading a body", async () => {
    for (const url of ["/api/state", "/"])
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
        const r = await request(w.dashboard.port, method, url, { "content-type": "application/json" }, JSON.stringify({ x: 1 }));
        expect(r.status, `${method} ${url}`).toBe(405);
        expect(r.headers.allow).toBe("GET, HEAD");
      }
    // A body past the limit and of a type no parser knows: still the method's refusal, not 413 or 415.
    expect((await request(w.dashboard.port, "POST", "/api/state", { "content-type": "application/x-unknown" }, "z".repeat(10_000))).status).toBe(405);
  });

  it("answers only to loopback host names (DNS rebinding)", async () => {
    expect((await request(w.dashboard.port, "GET", "/api/state", { host: "evil.example" })).status).toBe(403);
    expect((await request(w.dashboard.port, "GET", "/api/state", { host: `localhost:${w.dashboard.port}` })).status).toBe(200);
  });

  it("binds 127.0.0.1 only: another loopback address and every other interface of this machine are refused", async () => {
    expect(w.dashboard.url).toBe(`http://127.0.0.1:${w.dashboard.port}/`);
    expect(w.dashboard.port).toBeGreaterThan(0);
    expect(await canConnect("127.0.0.1", w.dashboard.port)).toBe(true);
    const others = ["127.0.0.2", ...Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === "IPv4" && !a.internal).map((a) => a.address))];
    for (const host of others) expect(await canConnect(host, w.dashboard.port), host).toBe(false);
  });

  it("fails to start on a port in use, and leaves nothing open", async () => {
    await expect(startDashboard({ statePath: w.file, chain: w.chain, netuid: NETUID, validatorUid: w.validatorUid, miners: w.miners, port: w.dashboard.port })).rejects.toThrow(/EADDRINUSE/);
    await expect(startDashboard({ statePath: w.file, chain: w.chain, netuid: NETUID, validatorUid: w.validatorUid, miners: w.miners, port: 70_000 })).rejects.toThrow(/0\.\.65535/);
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !IN_CI)
  console.warn(`\n${"!".repeat(78)}\n!! SKIPPING the dashboard browser test: ${CHROMIUM} is missing.\n!! Install it with: bash scripts/setup.d/40-chromium.sh (CI=true fails instead of skipping).\n${"!".repeat(78)}\n`);

describe.skipIf(!haveChromium && !IN_CI)("dashboard in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and CI is set: run scripts/setup.d/40-chromium.sh (apt-get install -y chromium)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows miners, tiers, the weights chart, challenges and refusals; hostile strings are text and never run", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(w.dashboard.url);
    await page.waitForSelector("body[data-rendered]");

    // Miners: one row each, in the chain's weight order, with the chain's shares.
    const share = sharesOnChain(w.chain, w.validatorUid);
    const board = await page.$$eval("#board tr", (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    expect(board).toHaveLength(w.miners.length);
    const byUid = new Map(board.map((cells) => [Number(cells[0]), cells]));
    for (const m of w.miners) {
      const cells = byUid.get(m.uid)!;
      expect(cells[1]).toBe(m.name);
      expect(cells[3]).toBe(TIER);
      expect(cells[4]).toBe("24");
      expect(Number(cells[9])).toBeCloseTo(share.get(m.uid) ?? 0, 3);
    }
    const good = w.miners[0]!;
    const hostile = w.miners[2]!;
    expect(Number(board[0]![0])).toBe(good.uid); // the best weight first
    expect(byUid.get(hostile.uid)![8]).toBe("0 / 2 / 0");
    expect(byUid.get(hostile.uid)![10]).toBe("BINDING_MISMATCH");
    expect(byUid.get(good.uid)![7]).toBe("75%"); // share of full in the latest period: mean of 1 and 0.5, full cache at 1
    expect(byUid.get(w.miners[1]!.uid)![7]).toBe("100%");

    expect(await page.$$eval("#tiers td", (tds) => tds.map((t) => t.textContent))).toEqual([TIER, "3", "96", "72", "6"]);

    // The chart: one point per miner per period that set weights, at the shares set in that period.
    const points = await page.$$eval("#chart svg circle.point", (cs) => cs.map((c) => ({ uid: Number(c.getAttribute("data-uid")), period: Number(c.getAttribute("data-period")), share: Number(c.getAttribute("data-share")) })));
    expect(points).toHaveLength(PERIODS.length * w.miners.length);
    expect([...new Set(points.map((p) => p.period))].sort()).toEqual(PERIODS);
    for (const m of w.miners) expect(points.filter((p) => p.uid === m.uid).map((p) => p.period)).toEqual(PERIODS);
    for (const p of points) expect(p.share, `uid ${p.uid} period ${p.period}`).toBeCloseTo(w.chainShares[PERIODS.indexOf(p.period)]!.get(p.uid) ?? 0, 3);
    // The weaker miner's weight rises period by period (its accuracy does).
    const weaker = points.filter((p) => p.uid === w.miners[1]!.uid).map((p) => p.share);
    expect(weaker[0]).toBeLessThan(weaker[2]!);
    expect(await page.locator("#chart svg polyline").count()).toBe(w.miners.length);
    expect(await page.locator("#legend").textContent()).toContain(HOSTILE_NAME);

    // Challenges with their expected answers and verdicts.
    const challenges = await page.$$eval("#challenges tr", (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    expect(challenges.length).toBe(PERIODS.length * w.miners.length * 2);
    const last = PERIODS.at(-1)!;
    const goodFirst = challenges.find((c) => c[0] === String(last) && c[1] === String(good.uid) && c[4]!.includes(`answer-${last}-0-0`))!;
    expect(goodFirst[4]).toBe(`answer-${last}-0-0 ; 42 | forty-two`);
    // What the decoder answered, each with its verdict; the hostile answer as text.
    expect(goodFirst[5]).toBe(`[right] answer-${last}-0-0 ; [wrong] ${HOSTILE_ANSWER}`);
    expect(goodFirst[6]).toBe("ok");
    expect(goodFirst[7]).toBe("1.00");
    const refusedRows = challenges.filter((c) => c[1] === String(hostile.uid));
    expect(refusedRows).toHaveLength(PERIODS.length * 2);
    for (const c of refusedRows) {
      expect(c[2]).toBe(HOSTILE_NAME);
      expect(c[5]).toBe("-");
      expect(c[6]).toBe("refused BINDING_MISMATCH");
    }

    // Refusals with their reasons, the hostile detail as text.
    const refusals = await page.$$eval("#refusals tr", (trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    expect(refusals).toHaveLength(PERIODS.length * 2);
    for (const r of refusals) {
      expect(r[2]).toBe(HOSTILE_NAME);
      expect(r[4]).toBe("BINDING_MISMATCH");
      expect(r[5]).toBe(REFUSAL_REASONS.BINDING_MISMATCH);
      expect(r[6]).toBe(HOSTILE_DETAIL);
    }
    expect(await page.$$eval("#refusalCounts td", (tds) => tds.map((t) => t.textContent))).toEqual([String(hostile.uid), HOSTILE_NAME, "BINDING_MISMATCH", String(PERIODS.length * 2)]);

    // Nothing hostile became markup or ran: no <img> anywhere, the page's one script only, no flag set.
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await page.locator("body").innerText()).toContain(HOSTILE_NAME);
    expect(problems).toEqual([]);
    // Nothing fetched but the dashboard itself.
    expect(requests.filter((u) => !u.startsWith(w.dashboard.url))).toEqual([]);

    mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
    const shot = path.join(ROOT, "test-results", "dashboard.png");
    rmSync(shot, { force: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    // The page follows the database as the validator writes on: one more period appears without a reload.
    const next = PERIODS.at(-1)! + 1;
    await w.addPeriod(next, 2);
    await expect.poll(() => page.locator("#chart svg circle.point").count(), { timeout: 20_000 }).toBe((PERIODS.length + 1) * w.miners.length);
    expect(await page.locator(`#chart svg circle.point[data-period="${next}"]`).count()).toBe(w.miners.length);
    expect(await page.locator("#status").textContent()).toContain(`latest period ${next}`);
    await page.close();
  });
});
