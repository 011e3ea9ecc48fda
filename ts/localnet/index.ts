// The localnet: a whole subnet (DevChain, validator, miners, shared workers) in one process on loopback.
export { startLocalnet, calibrationPath, DEFAULT_MINERS, LOCALNET_NETUID, LOCALNET_TIERS, TINY_KINDS, type Localnet, type LocalnetMiner, type LocalnetOptions, type LocalMinerPlan } from "./localnet.js";
export { leaderboard, formatBoard, type BoardRow } from "./leaderboard.js";
export { ReplayCompressor, REPLAY_DONOR_CONTEXT } from "./replay.js";
export { startDashboard, dashboardPlugin, dashboardSnapshot, type RunningDashboard, type DashboardOptions, type DashboardSnapshot } from "./dashboard/index.js";
