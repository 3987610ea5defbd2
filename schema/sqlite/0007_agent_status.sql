-- mailtrail SQLite schema, version 7: what each live agent is doing (issue 18
-- item 1, issue 21 item 6). One row per agent, replaced every few seconds by
-- the agent (Store::SaveAgentStatus); `mailtrail stats` and the web console's
-- status page read it. Counters are since `started` (the agent's start).
CREATE TABLE agent_status (
  agent                TEXT PRIMARY KEY,   -- the host name its records carry
  updated              INTEGER NOT NULL,   -- Unix microseconds, wall clock
  started              INTEGER NOT NULL,
  last_line            INTEGER NOT NULL,   -- log time of the newest line read; 0: none yet
  lag_seconds          REAL NOT NULL,
  lines_read           INTEGER NOT NULL,
  lines_per_second     REAL NOT NULL,      -- over the interval since the row before
  unknown_lines        INTEGER NOT NULL,
  records              INTEGER NOT NULL,   -- written to the store
  open_messages        INTEGER NOT NULL,
  backlog_bytes        INTEGER NOT NULL,
  queue_files_read     INTEGER NOT NULL,
  queue_files_vanished INTEGER NOT NULL,   -- removed by Postfix before they could be read
  queue_read_errors    INTEGER NOT NULL
) WITHOUT ROWID;
