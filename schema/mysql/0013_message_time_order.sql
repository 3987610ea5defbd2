-- mailtrail MySQL/MariaDB schema, version 13.
-- message_first_seen names the message's id too. An InnoDB secondary index
-- holds the primary key after its own columns, so (first_seen) was already
-- (first_seen, id, first_seen) on disk and this one is no larger; but on a
-- partitioned table MariaDB 10.11 does not read that key as ordered by id,
-- and sorted every row of a search's window for `ORDER BY first_seen, id`:
-- the first page of the whole store read every message row, and a work
-- bound that ran out in the sort gave nothing (docs/web.md, "A page's work
-- bound"). Named, the index gives that order as it is read.
-- One statement, so that a store set back to an older version runs it again.
ALTER TABLE message DROP INDEX IF EXISTS message_first_seen,
  ADD INDEX message_first_seen (first_seen, id);
