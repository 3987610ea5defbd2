-- mailtrail SQLite schema, version 16: an agent's incarnation in its
-- presence row (docs/detection.md, "Fleet-wide answers"). `born` is set when
-- the row is made (the agent's wall clock then, Unix microseconds; 0 in rows
-- made before version 16) and kept while the row stands. An agent whose row
-- was deleted (gone for a window) makes a new one, and numbers its rows from
-- 1 again when it lost its state: a reader whose last look at it found
-- another `born` reads its rows from the start. Without it a reader that did
-- not see the row go (stopped meanwhile, or another reader deleted it)
-- skipped as many of the agent's new rows as it had read of the old.
ALTER TABLE detect_answer_agent ADD COLUMN born INTEGER NOT NULL DEFAULT 0;
