-- mailtrail SQLite schema, version 6: fleet-wide detection (issue 19 item 9).
-- Each agent's window counts by log-time bucket (FloodDetector::FleetCounts):
-- it replaces its own rows every few seconds and sums the others' into its
-- rules. key: "i<TAB>ip", "s<TAB>subject" or "c<TAB>subject<TAB>ip".
CREATE TABLE detect_count (
  agent  TEXT NOT NULL,     -- [detect] fleet_name: one per agent
  key    TEXT NOT NULL,
  bucket INTEGER NOT NULL,  -- Unix microseconds, the start of the bucket
  count  INTEGER NOT NULL,
  PRIMARY KEY (agent, key, bucket)
) WITHOUT ROWID;
CREATE INDEX detect_count_bucket ON detect_count (bucket);
