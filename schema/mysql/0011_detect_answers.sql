-- mailtrail MySQL/MariaDB schema, version 11: fleet-wide answers
-- (docs/detection.md). Each agent's OutboundMemory keys as it learns them
-- (mail it relayed, which notices to another agent may answer): it appends
-- its rows, numbered in order, and reads the others' after the last it read
-- of each. key: "m<TAB>message-id", "d<TAB>sender<TAB>org" or
-- "s<TAB>sender<TAB>subject".
CREATE TABLE IF NOT EXISTS detect_answer (
  agent   VARCHAR(255) NOT NULL,
  seq     BIGINT NOT NULL,
  `key`   VARBINARY(1300) NOT NULL,
  learned BIGINT NOT NULL,
  credits INT NOT NULL,
  PRIMARY KEY (agent, seq),
  KEY detect_answer_learned (agent, learned)
) ENGINE=InnoDB;
-- The agents that exchange answers: seen is the wall clock (Unix
-- microseconds) of an exchange, refreshed about once a minute; seq its last
-- row in detect_answer (0: none yet).
CREATE TABLE IF NOT EXISTS detect_answer_agent (
  agent VARCHAR(255) NOT NULL PRIMARY KEY,
  seen  BIGINT NOT NULL,
  seq   BIGINT NOT NULL
) ENGINE=InnoDB;
