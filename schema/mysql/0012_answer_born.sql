-- mailtrail MySQL/MariaDB schema, version 12: an agent's incarnation in its
-- presence row, as SQLite's schema 16 (which says why). `born` is set when
-- the row is made (the agent's wall clock then, Unix microseconds; 0 in rows
-- made before) and kept while the row stands; a reader whose last look at
-- the agent found another value reads its rows from the start.
-- IF NOT EXISTS (MariaDB): a store set back to an older version runs it again.
ALTER TABLE detect_answer_agent ADD COLUMN IF NOT EXISTS born BIGINT NOT NULL DEFAULT 0;
