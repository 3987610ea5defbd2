-- mailtrail MySQL/MariaDB schema, version 6: what each live agent is doing
-- (issue 18 item 1, issue 21 item 6). One row per agent, replaced every few
-- seconds by the agent (Store::SaveAgentStatus); `mailtrail stats` and the web
-- console's status page read it. Counters are since `started`.
CREATE TABLE agent_status (
  agent                VARCHAR(255) NOT NULL PRIMARY KEY,
  updated              BIGINT NOT NULL,
  started              BIGINT NOT NULL,
  last_line            BIGINT NOT NULL,
  lag_seconds          DOUBLE NOT NULL,
  lines_read           BIGINT NOT NULL,
  lines_per_second     DOUBLE NOT NULL,
  unknown_lines        BIGINT NOT NULL,
  records              BIGINT NOT NULL,
  open_messages        BIGINT NOT NULL,
  backlog_bytes        BIGINT NOT NULL,
  queue_files_read     BIGINT NOT NULL,
  queue_files_vanished BIGINT NOT NULL,
  queue_read_errors    BIGINT NOT NULL
) ENGINE=InnoDB;
