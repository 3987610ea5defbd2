-- mailtrail SQLite schema, version 13: a recipient domain is found in any
-- case and after the last "@". Schema 8 indexed the text after the first
-- "@" as written, so `domain=@example.org` missed "u@Example.ORG" and
-- '"a@b"@example.org' (MySQL's dict_domain has always been the text after the
-- last "@", lower-cased). The expression is the same in the search
-- (agent/store/sqlite_search.cc, DomainAddressesSql), so that the planner uses
-- it: rtrim() strips the domain from the right up to the last "@", replace()
-- then removes that prefix; lower() folds ASCII, as MySQL's writer does.
-- IF EXISTS: a bulk load interrupted by a crash keeps its indexes' DDL in meta
-- until they are made again (after the migrations); the new DDL replaces it.
DROP INDEX IF EXISTS dict_address_domain;
DELETE FROM meta WHERE key = 'deferred_index:dict_address_domain';
CREATE INDEX dict_address_domain
  ON dict (lower(replace(text, rtrim(text, replace(text, '@', '')), '')))
  WHERE kind = 1;
