-- mailtrail SQLite schema, version 15: fleet-wide answers (docs/detection.md).
-- Each agent's OutboundMemory keys as it learns them (mail it relayed, which
-- notices to another agent may answer): it appends its rows, numbered in
-- order, and reads the others' after the last it read of each.
-- key: "m<TAB>message-id", "d<TAB>sender<TAB>org" or "s<TAB>sender<TAB>subject".
CREATE TABLE detect_answer (
  agent   TEXT NOT NULL,     -- [agent] name: one per agent
  seq     INTEGER NOT NULL,  -- 1, 2, ... in the order the agent wrote them
  key     TEXT NOT NULL,
  learned INTEGER NOT NULL,  -- log time, Unix microseconds
  credits INTEGER NOT NULL,
  PRIMARY KEY (agent, seq)
) WITHOUT ROWID;
-- Each agent drops its own old rows, by its own log time.
CREATE INDEX detect_answer_learned ON detect_answer (agent, learned);
-- The agents that exchange answers: one small row each, read whole.
CREATE TABLE detect_answer_agent (
  agent TEXT PRIMARY KEY,
  seen  INTEGER NOT NULL,  -- wall clock, Unix microseconds, refreshed about once a minute
  seq   INTEGER NOT NULL   -- its last row in detect_answer (0: none yet)
) WITHOUT ROWID;
