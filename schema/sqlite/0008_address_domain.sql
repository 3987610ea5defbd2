-- mailtrail SQLite schema, version 8: addresses by domain, for the web
-- console's recipient-domain search (issue 21 item 2). An index on the text
-- after the first "@" of each address (kind 1); the search uses the same
-- expression (agent/store/sqlite_search_filters.cc), then rcpt_addr.
CREATE INDEX dict_address_domain ON dict (substr(text, instr(text, '@') + 1)) WHERE kind = 1;
