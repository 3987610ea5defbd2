-- mailtrail MySQL/MariaDB schema, version 12.
-- An agent's incarnation in its presence row, as SQLite's schema 16 (which
-- says why). `born` is set when the row is made (the agent's wall clock then,
-- Unix microseconds; 0 in rows made before) and kept while the row stands; a
-- reader whose last look at the agent found another value reads its rows
-- from the start. IF NOT EXISTS (MariaDB): a store set back to an older
-- version runs this again.
ALTER TABLE detect_answer_agent ADD COLUMN IF NOT EXISTS born BIGINT NOT NULL DEFAULT 0;
-- Agent names are bytes, as in `agent` (VARBINARY since version 1): these
-- tables compared them in the table's collation, which ignores case, so
-- agents "mx1" and "MX1" (two writers, each with its own row in `agent`)
-- deleted each other's window counts, overwrote each other's status and
-- shared one presence row, their answers clashing on (agent, seq).
ALTER TABLE detect_count MODIFY agent VARBINARY(255) NOT NULL;
ALTER TABLE agent_status MODIFY agent VARBINARY(255) NOT NULL;
ALTER TABLE detect_answer MODIFY agent VARBINARY(255) NOT NULL;
ALTER TABLE detect_answer_agent MODIFY agent VARBINARY(255) NOT NULL;
