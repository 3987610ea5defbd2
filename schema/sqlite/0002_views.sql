-- mailtrail SQLite schema, version 2: readable views for reports.
-- Names of the integer codes (agent/track/record.h), and two views that join the
-- dictionary so that ad-hoc SQL reads like the JSON records.
CREATE TABLE outcome_name (
  code INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
INSERT INTO outcome_name (code, name) VALUES
  (0, 'in_flight'), (1, 'delivered'), (2, 'bounced'), (3, 'deferred'), (4, 'expired'),
  (5, 'rejected'), (6, 'discarded'), (7, 'held'), (8, 'mixed');

CREATE VIEW messages AS
SELECT m.id,
       h.text AS host,
       m.qid,
       datetime(m.first_seen, 'unixepoch') AS first_seen,
       datetime(m.last_seen, 'unixepoch') AS last_seen,
       m.first_seen AS first_seen_epoch,
       CASE length(m.client_ip)
         -- IPv4 from its 4 bytes (hex digits -> numbers; unicode() would misread bytes >= 0x80)
         WHEN 4 THEN printf('%d.%d.%d.%d',
           ((instr('0123456789ABCDEF', substr(hex(m.client_ip), 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(hex(m.client_ip), 2, 1)) - 1),
           ((instr('0123456789ABCDEF', substr(hex(m.client_ip), 3, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(hex(m.client_ip), 4, 1)) - 1),
           ((instr('0123456789ABCDEF', substr(hex(m.client_ip), 5, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(hex(m.client_ip), 6, 1)) - 1),
           ((instr('0123456789ABCDEF', substr(hex(m.client_ip), 7, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(hex(m.client_ip), 8, 1)) - 1))
         WHEN 16 THEN lower(hex(m.client_ip))
       END AS client_ip,
       ch.text AS client_host, he.text AS helo, sa.text AS sasl_username,
       s.text AS sender, m.subject, m.message_id, m.size,
       o.name AS outcome,
       m.reject_action, m.reject_stage, m.reject_code, m.reject_dsn, m.reject_text,
       m.parent_qid, m.child_qids, m.ndr_qid, m.ndr_of
FROM message m
JOIN dict h ON h.id = m.host
JOIN outcome_name o ON o.code = m.outcome
LEFT JOIN dict s ON s.id = m.sender
LEFT JOIN dict ch ON ch.id = m.client_host
LEFT JOIN dict he ON he.id = m.helo
LEFT JOIN dict sa ON sa.id = m.sasl;

CREATE VIEW recipients AS
SELECT r.message, m.qid,
       a.text AS address,
       substr(a.text, instr(a.text, '@') + 1) AS domain,
       oa.text AS orig_address,
       o.name AS outcome,
       r.dsn, rl.text AS relay, r.delay, r.attempts,
       datetime(r.time, 'unixepoch') AS time,
       r.status_text
FROM rcpt r
JOIN message m ON m.id = r.message
JOIN dict a ON a.id = r.addr
JOIN outcome_name o ON o.code = r.outcome
LEFT JOIN dict oa ON oa.id = r.orig
LEFT JOIN dict rl ON rl.id = r.relay;
