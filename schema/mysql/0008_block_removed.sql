-- mailtrail MySQL/MariaDB schema, version 8: a block ended by hand stays
-- ended. `blocks remove` sets `removed`; an extend skips removed blocks (an
-- extend whose clock read came before a remove's, or whose host's clock is
-- behind, would otherwise revive the block). As SQLite's schema 12.
ALTER TABLE block ADD COLUMN removed TINYINT NOT NULL DEFAULT 0;
