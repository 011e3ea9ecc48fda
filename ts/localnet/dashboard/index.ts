// The localnet's dashboard: a fastify plugin (one static page and a JSON route) over the validator's state, read-only, on 127.0.0.1.
export { startDashboard, DASHBOARD_HOST, type DashboardOptions, type RunningDashboard } from "./server.js";
export { dashboardPlugin, loadDashboardPage, DASHBOARD_API, DASHBOARD_PAGE, type DashboardPluginOptions } from "./plugin.js";
export {
  dashboardSnapshot,
  DEFAULT_DASHBOARD_LIMITS,
  type DashboardSnapshot,
  type DashboardSource,
  type DashboardLimits,
  type DashboardMiner,
  type DashboardTier,
  type DashboardChallenge,
  type DashboardRefusal,
  type WeightsPoint,
} from "./snapshot.js";
