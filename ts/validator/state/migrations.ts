// Versioned schema migrations, applied in order, each in its own transaction; docs/validator-state.md
// describes the tables. Never edit a released migration: append a new one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE periods (
  id          INTEGER PRIMARY KEY,
  started_at  INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  closed_at   INTEGER
);

CREATE TABLE contenders (
  period_id         INTEGER NOT NULL REFERENCES periods(id),
  hotkey            TEXT    NOT NULL,
  tier              TEXT    NOT NULL,
  uid               INTEGER NOT NULL,
  declared_capacity INTEGER NOT NULL,
  budget            INTEGER NOT NULL,
  capacity          INTEGER NOT NULL,
  test_share        REAL    NOT NULL,
  planned           INTEGER NOT NULL,
  total             INTEGER NOT NULL DEFAULT 0,
  consumed          INTEGER NOT NULL DEFAULT 0,
  n429              INTEGER NOT NULL DEFAULT 0,
  n5xx              INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (period_id, hotkey, tier)
);

CREATE TABLE period_history (
  period_id    INTEGER NOT NULL REFERENCES periods(id),
  hotkey       TEXT    NOT NULL,
  tier         TEXT    NOT NULL,
  uid          INTEGER NOT NULL,
  capacity     INTEGER NOT NULL,
  consumed     INTEGER NOT NULL,
  total        INTEGER NOT NULL,
  n429         INTEGER NOT NULL,
  n5xx         INTEGER NOT NULL,
  period_score REAL,
  PRIMARY KEY (period_id, hotkey, tier)
);
CREATE INDEX period_history_contender ON period_history (hotkey, tier, period_id DESC);

CREATE TABLE challenges (
  id                TEXT    PRIMARY KEY,
  period_id         INTEGER NOT NULL REFERENCES periods(id),
  hotkey            TEXT    NOT NULL,
  tier              TEXT    NOT NULL,
  uid               INTEGER NOT NULL,
  origin            TEXT    NOT NULL CHECK (origin IN ('synthetic', 'organic')),
  kind              TEXT    NOT NULL,
  seed              TEXT    NOT NULL,
  params_json       TEXT    NOT NULL,
  ground_truth_json TEXT    NOT NULL,
  context_sha256    TEXT    NOT NULL,
  full_accuracy     REAL,
  scheduled_at      INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  FOREIGN KEY (period_id, hotkey, tier) REFERENCES contenders (period_id, hotkey, tier)
);
CREATE INDEX challenges_period ON challenges (period_id);

CREATE TABLE results (
  challenge_id    TEXT    PRIMARY KEY REFERENCES challenges(id),
  period_id       INTEGER NOT NULL,
  hotkey          TEXT    NOT NULL,
  tier            TEXT    NOT NULL,
  outcome         TEXT    NOT NULL CHECK (outcome IN ('ok', 'refused', 'rate_limited', 'failed')),
  refusal_code    TEXT,
  detail          TEXT,
  accuracy        REAL,
  full_accuracy   REAL,
  score           REAL    NOT NULL,
  kept_tokens     INTEGER,
  original_tokens INTEGER,
  seconds         REAL,
  recorded_at     INTEGER NOT NULL
);
CREATE INDEX results_contender ON results (hotkey, tier, recorded_at DESC);

CREATE TABLE scores (
  hotkey     TEXT    NOT NULL,
  tier       TEXT    NOT NULL,
  uid        INTEGER NOT NULL,
  ema        REAL    NOT NULL,
  n          INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (hotkey, tier)
);

CREATE TABLE weights_history (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  computed_at  INTEGER NOT NULL,
  period_id    INTEGER,
  block        INTEGER,
  mode         TEXT    NOT NULL CHECK (mode IN ('set', 'commit')),
  status       TEXT    NOT NULL CHECK (status IN ('computed', 'submitted', 'failed')),
  uids_json    TEXT    NOT NULL,
  weights_json TEXT    NOT NULL,
  detail       TEXT
);

CREATE TABLE pending_commits (
  commit_hash    TEXT    PRIMARY KEY,
  kind           TEXT    NOT NULL CHECK (kind IN ('hash', 'timelock')),
  netuid         INTEGER NOT NULL,
  uids_json      TEXT    NOT NULL,
  weights_json   TEXT    NOT NULL,
  salt_json      TEXT    NOT NULL,
  version_key    INTEGER NOT NULL,
  commit_block   INTEGER NOT NULL,
  reveal_after   INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  revealed_at    INTEGER,
  reveal_block   INTEGER
);
`,
  },
  {
    version: 2,
    name: "validator secret, organic API keys",
    sql: `
-- Small named values the validator keeps across restarts (the challenge secret).
CREATE TABLE validator_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

-- Organic API keys: only sha256(key) is stored; a key is shown once, when created.
CREATE TABLE organic_api_keys (
  id               INTEGER PRIMARY KEY,
  name             TEXT    NOT NULL UNIQUE,
  key_sha256       TEXT    NOT NULL UNIQUE,
  rate_per_minute  INTEGER NOT NULL CHECK (rate_per_minute > 0),
  created_at       INTEGER NOT NULL,
  revoked          INTEGER NOT NULL DEFAULT 0
);
`,
  },
  {
    version: 3,
    name: "per-stage timings of each result",
    sql: `
-- Milliseconds per stage of the query (challenge, miner, download, verify, evaluate, score) as a JSON object;
-- stages the query never reached are absent. NULL for rows written before this migration and organic results.
ALTER TABLE results ADD COLUMN timings_json TEXT;
`,
  },
  {
    version: 4,
    name: "the decoder's answers of each result",
    sql: `
-- What the target model answered from the miner's container, per question, with the verdict:
-- {"answers": [...], "verdicts": [...]}, each answer clipped. NULL when nothing was evaluated.
ALTER TABLE results ADD COLUMN answers_json TEXT;
`,
  },
]);
