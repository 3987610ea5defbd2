-- mailtrail MySQL/MariaDB schema, version 5: fleet-wide detection (issue 19
-- item 9). Each agent's window counts by log-time bucket (FloodDetector::
-- FleetCounts): it replaces its own rows every few seconds and sums the
-- others' into its rules. key: "i<TAB>ip", "s<TAB>subject" or
-- "c<TAB>subject<TAB>ip" (no primary key: an agent's rows are deleted and
-- inserted whole).
CREATE TABLE detect_count (
  agent  VARCHAR(255) NOT NULL,
  `key`  VARBINARY(1300) NOT NULL,
  bucket BIGINT NOT NULL,
  count  INT NOT NULL,
  KEY detect_count_agent (agent),
  KEY detect_count_bucket (bucket)
) ENGINE=InnoDB;
