// The organic API: paying clients' contexts routed to good miners with capacity, a share verified and scored.
export { ORGANIC_ERRORS, OrganicError, type OrganicErrorCode } from "./errors.js";
export { ApiKeyStore, hashApiKey, type ApiKeyRecord } from "./keys.js";
export { openApiDocument } from "./openapi.js";
export { organicPlugin, type OrganicPluginOptions, type OrganicTier } from "./plugin.js";
export { OrganicRouter, orderCandidates, type ForwardOutcome, type OkOutcome, type OrganicCandidate, type OrganicRequest, type RouteResult, type RouterOptions } from "./router.js";
export { CondenseRequestSchema, CondenseResponseSchema, type CondenseRequest, type CondenseResponse } from "./schema.js";
export { ORGANIC_QA_KIND, OrganicScoringMetrics, SCORING_SKIPS, ScoringQueue, scoreOrganicSample, type OrganicSample, type OrganicScoreDeps, type OrganicScoreOutcome, type OrganicScoringConfig, type ScoringSkip } from "./scoring.js";
