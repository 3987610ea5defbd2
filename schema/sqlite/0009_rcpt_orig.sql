-- mailtrail SQLite schema, version 9: recipients by original address. The
-- search by recipient is `addr = X OR orig = X` (agent/store/sqlite_search.cc);
-- without an index on orig each such search read every recipient row (2.2 s
-- on a store of 7M recipient rows, docs/benchmarks.md). MySQL has had
-- rcpt_orig from its first schema. Partial: most recipients have no original
-- address, and `orig = X` implies `orig IS NOT NULL`, so the planner uses it.
CREATE INDEX rcpt_orig ON rcpt (orig) WHERE orig IS NOT NULL;
