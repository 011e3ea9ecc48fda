// The SDK end to end without Python: a DevChain subnet, a miner's container signed and checked the way a
// validator checks it, the challenge score it earns, weights from scores, and the incentive an epoch pays.
// Run from a project that installed the package: `node quickstart.mjs` (prints one JSON object).
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import {
  DevChain,
  Keypair,
  computeWeights,
  contextSha256,
  cryptoReady,
  isContainerError,
  readContainerHeader,
  scoreChallenge,
  signContainer,
  verifyContainerData,
} from "condense";

await cryptoReady();
const NETUID = 1;
const alice = Keypair.fromUri("//Alice"); // the miner the shipped sample container was made for
const bob = Keypair.fromUri("//Bob");
const validator = Keypair.fromUri("//Validator");
const cold = Keypair.fromUri("//Cold");

// A subnet on the in-memory chain: registration pays the burn, stake gives the validator its permit.
const chain = new DevChain();
chain.createSubnet(NETUID, { tempo: 10, weightsRateLimit: 0 });
chain.fund(cold.address, 10n * 1_000_000_000n);
const uids = {};
for (const [name, key] of Object.entries({ validator, alice, bob }))
  uids[name] = (await chain.burnedRegister(cold, { netuid: NETUID, hotkey: key.address })).uid;
chain.addStake(NETUID, validator.address, 1_000n * 1_000_000_000n);
chain.runEpoch(NETUID);

// The miner signs its container; the validator reads the header (no tensor byte) with the binding it expects.
const pkg = path.dirname(createRequire(import.meta.url).resolve("condense/package.json"));
const golden = path.join(pkg, "proto/container/golden");
const dir = await mkdtemp(path.join(os.tmpdir(), "condense-quickstart-"));
const file = path.join(dir, "kv.safetensors");
await copyFile(path.join(golden, "kv_bf16.safetensors"), file);
const context = "The golden context: alpha=1, beta=2.\nIt binds the container to its challenge.";
await signContainer(file, alice);
const header = await readContainerHeader(file, {
  expect: { targetModel: "condense/golden-tiny", contextSha256: contextSha256(context), minerHotkey: alice.address },
});
await verifyContainerData(file, header);
let otherContext = "accepted";
try {
  await readContainerHeader(file, { expect: { contextSha256: contextSha256("another challenge") } });
} catch (e) {
  if (!isContainerError(e)) throw e;
  otherContext = e.code;
}
await rm(dir, { recursive: true, force: true });

// The challenge score: existence probes and answers as judged, plus the compression bonus.
const { keptTokens, originalTokens } = header.meta;
const score = scoreChallenge({
  challengeId: "quickstart-1", kind: "needle_single", fullAccuracy: 1, accelerate: 0.1,
  positives: [true, true], negatives: [true, false], answers: [true],
  keptTokens, originalTokens, maxCondensedTokens: 8,
});

// Weights from the scores (Bob answered nothing right), set on chain; the next epoch turns them into incentive.
const { weights } = computeWeights(
  [
    { uid: uids.alice, hotkey: alice.address, tier: "research", quality: score.score, reliability: 1, capacity: 10, speedMetric: null },
    { uid: uids.bob, hotkey: bob.address, tier: "research", quality: 0, reliability: 1, capacity: 10, speedMetric: null },
  ],
  { research: { incentive: 100 } },
);
await chain.setWeights(validator, { netuid: NETUID, uids: [...weights.keys()], weights: [...weights.values()], versionKey: await chain.versionKey(NETUID) });
chain.runEpoch(NETUID);
const mg = await chain.metagraph(NETUID);
await chain.close();

console.log(JSON.stringify({
  uids,
  permit: mg.validatorPermits[uids.validator],
  container: { signed: header.signed, verified: header.signatureVerified, miner: header.meta.minerHotkey, keptTokens, originalTokens, otherContext },
  score,
  weights: Object.fromEntries(weights),
  incentive: { alice: mg.incentives[uids.alice], bob: mg.incentives[uids.bob] },
}));
