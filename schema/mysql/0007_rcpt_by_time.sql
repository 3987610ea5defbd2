-- mailtrail MySQL/MariaDB schema, version 7: a recipient's messages in time
-- order. Search pages go by (first_seen, id); with rcpt_addr on (addr) alone
-- a recipient's page read and sorted every message of the recipient. On
-- (address, first_seen, message) each index gives a recipient's rows in the
-- page's order, so a page reads its own rows and stops
-- (agent/store/mysql_search.cc, RecipientPageSql). The message is named: on
-- a partitioned table MariaDB 10.11 does not order by the primary key's
-- columns that InnoDB appends (it sorted). As SQLite's schema 10.
ALTER TABLE rcpt DROP INDEX rcpt_addr, ADD INDEX rcpt_addr (addr, first_seen, message),
  DROP INDEX rcpt_orig, ADD INDEX rcpt_orig (orig, first_seen, message);
