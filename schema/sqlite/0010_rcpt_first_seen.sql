-- mailtrail SQLite schema, version 10: a recipient's messages in time order.
-- Search pages go by (first_seen, id). With rcpt_addr on (addr) alone, the
-- first page of a recipient of 16,000 messages read all 16,000 message rows
-- to sort them: 0.3-0.5 s on a store of 7M recipient rows (docs/benchmarks.md).
-- rcpt now keeps its message's first_seen (MySQL's rcpt has had it from its
-- first schema, for its partitions), and both recipient indexes give a
-- recipient's rows in that order, so a page reads its own rows and stops
-- (agent/store/sqlite_search.cc, RecipientPage). A record is always written
-- whole (message row and recipient rows together), so the two never differ;
-- a writer of an older mailtrail still running on the migrated store names
-- no first_seen, and the trigger fills it in (a NULL would sort first and
-- break the pages' order).
ALTER TABLE rcpt ADD COLUMN first_seen INTEGER;
UPDATE rcpt SET first_seen = (SELECT first_seen FROM message WHERE id = rcpt.message);
CREATE TRIGGER rcpt_first_seen AFTER INSERT ON rcpt WHEN new.first_seen IS NULL BEGIN
  UPDATE rcpt SET first_seen = (SELECT first_seen FROM message WHERE id = new.message)
    WHERE message = new.message AND seq = new.seq;
END;
-- IF EXISTS: a bulk load interrupted by a crash keeps its indexes' DDL in meta
-- until they are made again; the new DDL replaces the old there.
DROP INDEX IF EXISTS rcpt_addr;
DROP INDEX IF EXISTS rcpt_orig;
DELETE FROM meta WHERE key IN ('deferred_index:rcpt_addr', 'deferred_index:rcpt_orig');
CREATE INDEX rcpt_addr ON rcpt (addr, first_seen);
CREATE INDEX rcpt_orig ON rcpt (orig, first_seen) WHERE orig IS NOT NULL;
