// Public Epistula v2 API: sign and verify signed HTTP requests.
export { signEpistula, verifyEpistula, epistulaMessage, EpistulaError, EPISTULA_HEADERS, type SignOptions, type VerifyOptions, type VerifiedEpistula, type EpistulaErrorCode } from "./epistula.js";
