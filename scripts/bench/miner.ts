// Miner benchmark: end-to-end latency of compress requests through the real stack (our dendrite -> axon ->
// MinerService -> worker pool (tiny:llama, SmolLM2) -> sign -> S3 upload -> presigned URL), split into
// phases, and the non-compute overhead compared with a raw PUT of the same bytes to the same store, in
// one run. Target (issue 5): overhead <= 1.5 x raw PUT + 5 ms.
//   npm run bench -- miner [--quick]
import { mkdtemp, rm } from "node:fs/promises";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { Metadata, TextCompressProtocol } from "../../ts/bittensor/protocols.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { minerConfigFromArgs } from "../../ts/miner/config.js";
import { startMiner } from "../../ts/miner/miner.js";
import type { CompressResult } from "../../ts/miner/service.js";
import { S3Store, startS3Server } from "../../ts/storage/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { report, target, type Target } from "./lib/report.js";

const quick = process.argv.includes("--quick");
// SmolLM2-135M computes for seconds per request on 2 shared cores: fewer and shorter requests in quick mode.
const MODELS = [
  { model: "tiny:llama", requests: quick ? 3 : 16, chars: 7000 },
  { model: "smollm2", requests: quick ? 2 : 8, chars: quick ? 2000 : 7000 },
];
const WARMUP = 1;
const NETUID = 1;
const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const BUCKET = "bench-miner";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

// A long-context-like text that differs per request (inside the research tier's 10000 characters).
function context(i: number, chars: number): string {
  const words = ["the", "ledger", "recorded", "a", "transfer", "of", "grain", "between", "two", "harbours", "while", "merchants", "argued", "over", "tariffs"];
  let out = `<s> [INST] Document ${i}.`;
  for (let n = 0; out.length < chars; n++) out += " " + words[(n * 7 + i) % words.length]! + (n % 17 === 16 ? "." : "");
  return out;
}

async function main(): Promise<void> {
  await cryptoReady();
  const dir = await mkdtemp(path.join(os.platform() === "linux" ? "/dev/shm" : os.tmpdir(), "bench-miner-"));
  const s3 = await startS3Server();
  const results: Record<string, unknown>[] = [];
  const targets: Target[] = [];
  try {
    for (const { model, requests: REQUESTS, chars } of MODELS) {
      const chain = new DevChain({ allowLoopback: true });
      chain.createSubnet(NETUID);
      const minerKey = Keypair.fromUri(`//BenchMiner/${model}`);
      const validator = Keypair.fromUri("//BenchValidator");
      const cold = Keypair.fromUri("//BenchCold").address;
      chain.registerHotkey(NETUID, minerKey.address, cold);
      chain.registerHotkey(NETUID, validator.address, cold);
      chain.addStake(NETUID, validator.address, 100_000n * 1_000_000_000n);
      chain.runEpoch(NETUID);
      const store = await S3Store.open({
        endpoint: s3.endpoint, region: "us-east-1", bucket: BUCKET, accessKeyId: "bench", secretAccessKey: "bench", forcePathStyle: true,
        prefix: "containers", urlExpiryS: 600, partSizeBytes: 16 * 1024 * 1024, queueSize: 4, createBucket: true,
        connectTimeoutMs: 2000, requestTimeoutMs: 120_000, maxAttempts: 1,
      });
      const args = ["--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1", "--model", model,
        "--miner.allow_stand_in", "--miner.min_stake", "0", "--miner.work_dir", path.join(dir, "work"), "--storage.sweep_interval_s", "0"];
      const cfg = minerConfigFromArgs(args);
      let last: CompressResult | null = null;
      process.stdout.write(`[miner] ${model}: starting worker and miner...\n`);
      const miner = await startMiner(cfg, { chain, hotkey: minerKey, store, logger: pino({ level: "error" }), onCompressed: (r) => (last = r) });
      const dendrite = new Dendrite({ wallet: validator });
      const pings: number[] = [];
      const rows: { e2e: number; axonProc: number; t: CompressResult["timings"]; bytes: number; raw: number }[] = [];
      try {
        for (let i = 0; i < WARMUP + REQUESTS; i++) {
          last = null;
          const synapse = TextCompressProtocol.create({ context: context(i, chars), target_model: MISTRAL, compressed_kv_format: "safetensors" });
          const t0 = performance.now();
          const res = await dendrite.call({ ip: "127.0.0.1", port: miner.axon.port, hotkey: minerKey.address }, synapse, { timeoutS: 120 });
          const e2e = performance.now() - t0;
          const served = last as CompressResult | null;
          if (res.dendrite.status_code !== 200 || !served) throw new Error(`request ${i} failed: ${res.dendrite.status_code} ${res.dendrite.status_message}`);
          // Baseline in the same run: a raw PutObject of the same number of bytes, from memory, to the same store.
          const bytes = Buffer.alloc(served.bytes, i & 0xff);
          const tp = performance.now();
          await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `raw/${model.replace(/[^a-z0-9]/gi, "_")}-${i}.bin`, Body: bytes }));
          const raw = performance.now() - tp;
          const axonProc = (res.axon.process_time ?? 0) * 1000;
          if (i >= WARMUP) rows.push({ e2e, axonProc, t: served.timings, bytes: served.bytes, raw });
          process.stdout.write(`  #${i}${i < WARMUP ? " (warm-up)" : ""}: e2e ${r1(e2e)} ms, compute ${r1(served.timings.compute_ms)} ms, upload ${r1(served.timings.upload_ms)} ms, raw PUT ${r1(raw)} ms, ${served.bytes} bytes\n`);
        }
        // The axon's own round trip on the same connection (a Metadata call does no compression work).
        for (let i = 0; i < 8; i++) {
          const t0 = performance.now();
          await dendrite.call({ ip: "127.0.0.1", port: miner.axon.port, hotkey: minerKey.address }, Metadata.create({}), { timeoutS: 30 });
          pings.push(performance.now() - t0);
        }
      } finally {
        dendrite.close();
        await miner.stop();
        await store.close();
      }
      const m = (f: (r: (typeof rows)[number]) => number) => r1(median(rows.map(f)));
      const overhead = rows.map((r) => r.e2e - r.t.compute_ms);
      const row = {
        case: model,
        context_chars: chars,
        requests: rows.length,
        container_bytes: m((r) => r.bytes),
        e2e_ms: m((r) => r.e2e),
        axon_ms: m((r) => r.e2e - r.t.total_ms),
        // split of axon_ms: inside the axon handler (headers, verify, parse, response) vs HTTP + dendrite
        axon_pipeline_ms: m((r) => r.axonProc - r.t.total_ms),
        http_dendrite_ms: m((r) => r.e2e - r.axonProc),
        validate_ms: m((r) => r.t.validate_ms),
        queue_ipc_ms: m((r) => r.t.queue_ms),
        compute_ms: m((r) => r.t.compute_ms),
        serialize_ms: m((r) => r.t.serialize_ms),
        sign_ms: m((r) => r.t.sign_ms),
        upload_ms: m((r) => r.t.upload_ms),
        url_ms: m((r) => r.t.url_ms),
        overhead_ms: r1(median(overhead)),
        // The part of the overhead the miner itself runs (not the worker's serialisation or the pool's IPC).
        miner_side_overhead_ms: m((r) => r.e2e - r.t.total_ms + r.t.validate_ms + r.t.sign_ms + r.t.upload_ms + r.t.url_ms),
        baseline: "raw PutObject of the same number of bytes (from memory) to the same S3 store",
        raw_put_ms: m((r) => r.raw),
        metadata_round_trip_ms: r1(median(pings.slice(2))),
      };
      results.push({ ...row, overhead_ratio_vs_raw_put: r1(row.overhead_ms / row.raw_put_ms) });
      targets.push(target(`overhead_le_1.5x_raw_put_plus_5ms_${model}`, row.overhead_ms, "<=", r1(1.5 * row.raw_put_ms + 5)));
    }
  } finally {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write("\ncase           e2e    axon  queue+ipc compute serialize  sign  upload    url overhead  rawPUT   ratio (ms; medians)\n");
  for (const r of results as Array<Record<string, number | string>>)
    process.stdout.write(
      `${String(r.case).padEnd(11)} ${[r.e2e_ms, r.axon_ms, r.queue_ipc_ms, r.compute_ms, r.serialize_ms, r.sign_ms, r.upload_ms, r.url_ms, r.overhead_ms, r.raw_put_ms, r.overhead_ratio_vs_raw_put].map((x) => String(x).padStart(7)).join(" ")}\n`,
    );
  for (const t of targets) process.stdout.write(`target ${t.name}: ${t.value} ${t.op} ${t.target} -> ${t.met ? "met" : "MISSED"}\n`);
  report("miner", quick, results, targets);
}

await main().catch((e: unknown) => {
  process.stderr.write(`bench miner failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
