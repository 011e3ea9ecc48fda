// The pure parts of the validator's cycle: test shares, request plans within the budget, query times,
// and the dial policy for axon addresses.
export { seededRng, type Rng } from "./rng.js";
export {
  DEFAULT_TEST_SHARES,
  DEFAULT_SCHEDULE_CONFIG,
  drawTestShare,
  expectedTestShare,
  planContender,
  spreadTimes,
  scheduleQueries,
  periodAt,
  type ShareOutcome,
  type ScheduleConfig,
  type PlanInput,
  type ContenderPlanned,
  type ScheduledQuery,
} from "./plan.js";
export { checkAxon, type DialVerdict } from "./dial.js";
