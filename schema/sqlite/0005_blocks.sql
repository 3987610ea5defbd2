-- mailtrail SQLite schema, version 5: blocks (issue 5), every one ever made.
-- A block is active while expires > now; removing one sets its expires.
-- raw_subjects: the subject forms seen, one per line (log lines hold no
-- newline); evidence: queue ids separated by spaces.
CREATE TABLE block (
  kind         TEXT NOT NULL,     -- ip | cidr | subject
  key          TEXT NOT NULL,
  created      INTEGER NOT NULL,  -- Unix microseconds (log time of the decision)
  expires      INTEGER NOT NULL,
  reason       TEXT NOT NULL,
  rule         TEXT NOT NULL,
  origin_host  TEXT NOT NULL,
  raw_subjects TEXT NOT NULL,
  evidence     TEXT NOT NULL,
  strikes      INTEGER NOT NULL,
  live         INTEGER NOT NULL,  -- 0: decided from replayed lines, never enforced
  PRIMARY KEY (kind, key, created)
) WITHOUT ROWID;
CREATE INDEX block_expires ON block (expires);
