-- mailtrail MySQL/MariaDB schema, version 9: each hour's records, counted by
-- the writers. The web console's report cache (docs/web.md, "Reports, by the
-- hour") asks which hours changed since it summed them; read from the
-- first_seen index, that cost 0.3-0.5 s for a day of a million messages.
-- One row per hour (first_seen DIV 3600) and agent (the id's high bits):
--   records  the agent's messages of that hour now;
--   changes  rows written, replaced or purged there, ever. It only grows, so
--            an hour's sum over its agents changes with any change of its
--            records, and a purged hour never gets an old sum back.
-- Written in each batch's transaction (agent/store/mysql_write.cc) and by
-- purges (mysql_partitions.cc). Filled here from the rows there are; running
-- this file again fills it again.
CREATE TABLE IF NOT EXISTS message_hour (
  hour    INT UNSIGNED NOT NULL,
  agent   INT UNSIGNED NOT NULL,
  records BIGINT NOT NULL,
  changes BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (hour, agent)
) ENGINE=InnoDB;
DELETE FROM message_hour;
INSERT INTO message_hour (hour, agent, records, changes)
  SELECT first_seen DIV 3600, id >> 40, COUNT(*), COUNT(*) FROM message GROUP BY 1, 2;
