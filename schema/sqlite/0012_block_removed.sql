-- mailtrail SQLite schema, version 12: a block ended by hand stays ended.
-- `blocks remove` (and the console's remove) set `removed`; an extend
-- (Store::SetBlockEnds with an end after now) skips removed blocks. Without
-- the mark an extend that read its clock before a remove committed with a
-- later one (both waiting on the write lock behind an agent's batch) still
-- found the block active at its own `now` and revived it.
ALTER TABLE block ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
