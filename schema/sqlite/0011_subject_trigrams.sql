-- mailtrail SQLite schema, version 11: subjects by substring through an FTS5
-- trigram index (issue 21 item 9). A subject search read every message row in
-- time order until enough matched: 7-9 s on a store of 5.4M records for a
-- rare or absent substring (docs/benchmarks.md). The index holds the
-- trigrams of message.subject (an external-content table: no second copy of
-- the texts), kept current by triggers; agent/store/sqlite_search.cc asks it
-- first for a substring of 3 characters or more, and checks each message it
-- names with the same test as before (instr(mt_lower(subject), ...)).
-- The rebuild below indexes a store's existing subjects once (minutes for
-- millions of records; docs/install.md).
CREATE VIRTUAL TABLE subject_fts USING fts5(subject, content='message', content_rowid='id',
  tokenize='trigram');
CREATE TRIGGER subject_fts_insert AFTER INSERT ON message WHEN new.subject IS NOT NULL BEGIN
  INSERT INTO subject_fts (rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER subject_fts_delete AFTER DELETE ON message WHEN old.subject IS NOT NULL BEGIN
  INSERT INTO subject_fts (subject_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
END;
CREATE TRIGGER subject_fts_update AFTER UPDATE OF subject ON message BEGIN
  INSERT INTO subject_fts (subject_fts, rowid, subject)
    SELECT 'delete', old.id, old.subject WHERE old.subject IS NOT NULL;
  INSERT INTO subject_fts (rowid, subject) SELECT new.id, new.subject WHERE new.subject IS NOT NULL;
END;
INSERT INTO subject_fts (subject_fts) VALUES ('rebuild');
