// PM2 ecosystem for condense: the same processes, flags and env files as the systemd units in deploy/systemd
// (see docs/deploy.md). Start one role per host:
//   pm2 start deploy/pm2/ecosystem.config.cjs --only condense-miner
//   pm2 start deploy/pm2/ecosystem.config.cjs --only condense-worker-gpu0     (on each GPU host)
//   pm2 start deploy/pm2/ecosystem.config.cjs --only condense-validator,condense-organic
// Paths: CONDENSE_HOME (default /opt/condense, a checkout set up with scripts/setup.sh) and CONDENSE_ETC (default
// /etc/condense, the env files made from deploy/env/*.env.example and the worker key).
"use strict";
const { existsSync, readFileSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { parseEnv } = require("node:util");

const HOME = process.env.CONDENSE_HOME || "/opt/condense";
const ETC = process.env.CONDENSE_ETC || "/etc/condense";
const CLI = path.join(HOME, "bin/condense.js");
const PYTHON = path.join(HOME, ".venv/bin/python");

/** An env file (systemd EnvironmentFile syntax, parsed by Node's own parseEnv); absent = nothing. */
function envFile(name) {
  const file = path.join(ETC, name);
  return existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : {};
}

// Secrets come from the env files only. PM2 keeps an app's environment in its dump file (`pm2 save`):
// keep ~/.pm2 private, or use the systemd units, which never write them anywhere.
const minerEnv = envFile("miner.env");
const validatorEnv = envFile("validator.env");
const workerEnv = envFile("worker.env");

const common = {
  cwd: HOME,
  autorestart: true,
  // Exit 2 is a bad flag or a start-up refusal (the log says what to fix): restarting cannot help.
  stop_exit_codes: [2],
  exp_backoff_restart_delay: 1000,
  // SIGINT, then this long for the orchestrator to stop its axon and workers in order.
  kill_timeout: 45000,
  merge_logs: true,
  time: true,
};

const wallet = (name) => ["--wallet.name", name, "--wallet.hotkey", "default", "--wallet.path", "/var/lib/condense/wallets"];

/** One remote worker per GPU of this host: --only condense-worker-gpu0, condense-worker-gpu1, ... */
const GPUS = Number(process.env.CONDENSE_GPUS || 1);
const workers = Array.from({ length: GPUS }, (_, i) => ({
  ...common,
  name: `condense-worker-gpu${i}`,
  script: PYTHON,
  interpreter: "none",
  // --no-watch-stdin: PM2 gives no parent pipe; --key-file: the key never on the command line.
  args: [
    "-m", "condense_worker",
    "--connect", workerEnv.WORKER_CONNECT || "tcp://10.0.0.5:5555",
    "--model", workerEnv.WORKER_MODEL || "mistralai/Mistral-7B-Instruct-v0.2",
    "--device", `cuda:${i}`,
    "--dtype", "bfloat16",
    "--worker-id", `${os.hostname()}-gpu${i}`,
    "--max-inflight", "2",
    "--key-file", path.join(ETC, "worker.key"),
    "--no-watch-stdin",
  ],
  env: { HF_HOME: "/var/lib/condense/hf" },
  // SIGTERM is the worker's graceful stop (SIGINT would be an interruption, exit 130).
  kill_signal: "SIGTERM",
  kill_timeout: 20000,
}));

module.exports = {
  apps: [
    {
      ...common,
      name: "condense-miner",
      script: CLI,
      args: [
        "miner",
        "--netuid", "47",
        "--subtensor.network", "finney",
        ...wallet("miner"),
        "--axon.port", "8091",
        "--model", "mistralai/Mistral-7B-Instruct-v0.2",
        "--device", "cuda",
        "--workers", "1",
        "--worker_endpoint", "tcp://0.0.0.0:5555",
        "--miner.tiers", "research",
        "--miner.algorithm", "kvzip_sentence",
        "--miner.ratio", "0.75",
        "--miner.max_concurrent", "8",
        "--miner.metrics_port", "9100",
        "--miner.work_dir", "/dev/shm",
        "--storage.kind", "s3",
        "--storage.s3.path_style",
        "--logging.level", "info",
        "--logging.logging_dir", "/var/log/condense/miner",
      ],
      env: minerEnv,
    },
    ...workers,
    {
      ...common,
      name: "condense-validator",
      script: CLI,
      args: [
        "validator",
        "--netuid", "47",
        "--subtensor.network", "finney",
        ...wallet("validator"),
        "--device", "cuda",
        "--workers", "1",
        "--validator.state_path", "/var/lib/condense/validator/state.db",
        "--validator.metrics_port", "9101",
        "--logging.level", "info",
        "--logging.logging_dir", "/var/log/condense/validator",
      ],
      env: validatorEnv,
      kill_timeout: 60000,
    },
    {
      ...common,
      name: "condense-organic",
      script: CLI,
      args: [
        "validator", "organic",
        "--netuid", "47",
        "--subtensor.network", "finney",
        ...wallet("validator"),
        "--validator.state_path", "/var/lib/condense/validator/state.db",
        "--validator.organic.host", "127.0.0.1",
        "--validator.organic.port", "8093",
        "--validator.organic.timeout_s", "60",
        "--logging.level", "info",
      ],
      env: validatorEnv,
      kill_timeout: 20000,
    },
  ],
};
