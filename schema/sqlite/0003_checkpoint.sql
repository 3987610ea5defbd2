-- mailtrail SQLite schema, version 3: the live agent's checkpoint.
-- Written in the same transaction as the records it covers, so that after any
-- crash the store and the checkpoint agree: nothing lost, nothing doubled.
-- `data` is opaque to the store (agent/run/checkpoint.h): the positions in the
-- logs and the state of the messages still open.
CREATE TABLE checkpoint (
  name    TEXT PRIMARY KEY,
  data    BLOB NOT NULL,
  updated INTEGER NOT NULL   -- log time (Unix seconds) of the newest record then, for people
) WITHOUT ROWID;
