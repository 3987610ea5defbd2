-- mailtrail MySQL/MariaDB schema, version 11: what a replay of logs left open.
-- A replay of yesterday's rotated log ends inside messages (deferred mail, a
-- message queued a second before the rotation); the next replay, of the log
-- that continues it, takes up the tracker's state saved here and finishes
-- those messages instead of recording them in two pieces
-- (agent/replay/replay.h). One row per writing agent; apart from the live
-- agent's checkpoint, which a replay must not touch.
CREATE TABLE IF NOT EXISTS replay_state (
  agent SMALLINT UNSIGNED NOT NULL PRIMARY KEY,
  data  LONGBLOB NOT NULL
) ENGINE=InnoDB;
