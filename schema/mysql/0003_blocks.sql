-- mailtrail MySQL/MariaDB schema, version 3: blocks (issue 5), every one ever
-- made, shared by all agents: a block one agent decides is seen by the others
-- at their next read (agent/blocks). Active while expires > now.
CREATE TABLE block (
  kind         VARCHAR(8) CHARACTER SET ascii NOT NULL,
  `key`        VARBINARY(1024) NOT NULL,
  created      BIGINT NOT NULL,             -- Unix microseconds
  expires      BIGINT NOT NULL,
  reason       BLOB NOT NULL,
  rule         VARBINARY(64) NOT NULL,
  origin_host  VARBINARY(255) NOT NULL,
  raw_subjects BLOB NOT NULL,               -- one per line
  evidence     BLOB NOT NULL,               -- queue ids separated by spaces
  strikes      INT NOT NULL,
  live         TINYINT NOT NULL,
  PRIMARY KEY (kind, `key`(255), created),
  KEY block_expires (expires)
) ENGINE=InnoDB;
