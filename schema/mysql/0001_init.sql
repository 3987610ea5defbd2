-- mailtrail MySQL/MariaDB schema, version 1. InnoDB, utf8mb4 by default.
-- Texts that come from logs (addresses, subjects, host names) are VARBINARY/BLOB:
-- byte-exact, whatever bytes a hostile sender puts in them (utf8mb4 columns
-- would refuse invalid UTF-8 in strict mode and lose the record). The views of
-- 0002_views.sql show them as utf8mb4.
-- Times are Unix seconds (UTC), INT UNSIGNED.
-- One statement per ";" at the end of a line.

-- key 'schema_version': the number of migrations applied.
CREATE TABLE mailtrail_meta (
  k VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  v VARCHAR(255) NOT NULL
) ENGINE=InnoDB;

-- One row per writing agent (its configured name): its checkpoint, the last
-- batch it committed (a batch whose COMMIT got no answer is found here, not
-- written twice) and the next message id it hands out (ids are agent << 40 | n,
-- so agents never collide).
CREATE TABLE agent (
  id           SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name         VARBINARY(255) NOT NULL,
  batch        BIGINT UNSIGNED NOT NULL DEFAULT 0,
  next_message BIGINT UNSIGNED NOT NULL DEFAULT 0,
  checkpoint   LONGBLOB,
  updated      INT UNSIGNED NOT NULL DEFAULT 0,
  UNIQUE KEY agent_name (name)
) ENGINE=InnoDB;

-- Dictionaries: each text once, referenced by a 64-bit id derived from its hash
-- (FNV-1a of kind byte + text; on a collision the next free id). Every agent
-- computes the same id for the same text: no lookups for known texts, no
-- conflicts between agents, and an insert redone after a failure is harmless.
CREATE TABLE dict_domain (
  id   BIGINT NOT NULL PRIMARY KEY,
  text VARBINARY(255) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE dict_address (
  id     BIGINT NOT NULL PRIMARY KEY,
  domain BIGINT,                -- dict_domain; NULL: no "@" (e.g. a local name)
  text   BLOB NOT NULL,
  KEY dict_address_domain (domain)
) ENGINE=InnoDB;
-- Host names (syslog host, client, HELO), relays and SASL user names.
CREATE TABLE dict_name (
  id   BIGINT NOT NULL PRIMARY KEY,
  text BLOB NOT NULL
) ENGINE=InnoDB;
CREATE TABLE dict_subject (
  id   BIGINT NOT NULL PRIMARY KEY,
  text BLOB NOT NULL
) ENGINE=InnoDB;

-- Partitioned by day on first_seen (agent/store/mysql_partitions.cc keeps one
-- partition per day that has records; `mailtrail db purge` drops whole days).
CREATE TABLE message (
  id          BIGINT UNSIGNED NOT NULL,
  first_seen  INT UNSIGNED NOT NULL,
  last_seen   INT UNSIGNED NOT NULL,
  host        BIGINT NOT NULL,           -- dict_name
  qid         VARBINARY(24),             -- NULL: rejected before queueing (NOQUEUE)
  client_ip   VARBINARY(16),             -- 4 or 16 bytes, network order
  sender      BIGINT,                    -- dict_address; "" is the null sender
  size        BIGINT UNSIGNED,
  outcome     TINYINT UNSIGNED NOT NULL, -- outcome_name
  end_reason  TINYINT UNSIGNED NOT NULL, -- agent/track/record.h RecordEnd
  -- standard
  client_host BIGINT, helo BIGINT, sasl BIGINT,  -- dict_name
  message_id  BLOB,
  subject     BIGINT,                    -- dict_subject
  header_from BLOB,
  nrcpt       INT UNSIGNED,
  parent_qid  VARBINARY(24), ndr_qid VARBINARY(24), ndr_of VARBINARY(24),
  child_qids  BLOB, notice_qids BLOB,    -- queue ids joined by " "
  reject_action VARBINARY(32), reject_stage VARBINARY(32),
  reject_code SMALLINT UNSIGNED, reject_dsn VARBINARY(16),
  -- full
  reject_text BLOB,
  scans       BLOB,                      -- "scanner\taction\tverdict\tscore\n" per scan
  events      MEDIUMBLOB,                -- zlib: "time_us\tprogram\ttext\n" per line
  PRIMARY KEY (id, first_seen),
  KEY message_first_seen (first_seen),
  KEY message_qid (qid),
  KEY message_sender (sender),
  KEY message_client_ip (client_ip),
  KEY message_message_id (message_id(48)),
  KEY message_subject (subject)
) ENGINE=InnoDB
PARTITION BY RANGE (first_seen) (PARTITION pmax VALUES LESS THAN MAXVALUE);

CREATE TABLE rcpt (
  message    BIGINT UNSIGNED NOT NULL,
  first_seen INT UNSIGNED NOT NULL,      -- the message's: the same partition
  seq        SMALLINT UNSIGNED NOT NULL,
  addr       BIGINT NOT NULL,            -- dict_address
  outcome    TINYINT UNSIGNED NOT NULL,
  -- standard
  orig       BIGINT,                     -- dict_address
  dsn        VARBINARY(16),
  relay      BIGINT,                     -- dict_name
  delay      FLOAT,
  attempts   SMALLINT UNSIGNED,
  time       INT UNSIGNED,
  -- full
  status_text BLOB,
  PRIMARY KEY (message, seq, first_seen),
  KEY rcpt_addr (addr),
  KEY rcpt_orig (orig)
) ENGINE=InnoDB
PARTITION BY RANGE (first_seen) (PARTITION pmax VALUES LESS THAN MAXVALUE);

-- What the parsers saw, for `mailtrail stats` (summed over every agent).
CREATE TABLE line_kind (
  kind  VARBINARY(128) NOT NULL PRIMARY KEY,
  count BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;
CREATE TABLE unknown_line (
  id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  program VARBINARY(128) NOT NULL,
  line    BLOB NOT NULL
) ENGINE=InnoDB;

CREATE TABLE outcome_name (
  code TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(16) NOT NULL
) ENGINE=InnoDB;
INSERT INTO outcome_name (code, name) VALUES
  (0, 'in_flight'), (1, 'delivered'), (2, 'bounced'), (3, 'deferred'), (4, 'expired'),
  (5, 'rejected'), (6, 'discarded'), (7, 'held'), (8, 'mixed');
