-- mailtrail MySQL/MariaDB schema, version 10: the outcomes of an address
-- verification. Postfix's probes (reject_unverified_recipient, verify(8)) and
-- `sendmail -bv` deliver nothing; their recipients end "deliverable" or
-- "undeliverable" (agent/track/record.h), which a report must not count as
-- delivered or bounced mail. The views join outcome_name: without these rows
-- such records would be missing from them.
REPLACE INTO outcome_name (code, name) VALUES
  (9, 'deliverable'), (10, 'undeliverable');
