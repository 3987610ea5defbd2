-- mailtrail MySQL/MariaDB schema, version 2: views for people and reports.
-- Times show in the session's time zone (SET time_zone = '+00:00' for UTC);
-- the *_epoch columns are Unix seconds. Texts show as utf8mb4.
-- The daily views aggregate by UTC day: filter them on `day` and sum, e.g. the
-- top senders of a week (docs/reporting.md has more):
--   SELECT sender, SUM(messages) FROM report_senders_daily
--   WHERE day >= CURDATE() - INTERVAL 7 DAY GROUP BY sender ORDER BY 2 DESC LIMIT 10;

CREATE VIEW messages AS
SELECT m.id,
       CONVERT(h.text USING utf8mb4) AS host,
       CONVERT(m.qid USING ascii) AS qid,
       FROM_UNIXTIME(m.first_seen) AS first_seen,
       FROM_UNIXTIME(m.last_seen) AS last_seen,
       m.first_seen AS first_seen_epoch,
       INET6_NTOA(m.client_ip) AS client_ip,
       CONVERT(ch.text USING utf8mb4) AS client_host,
       CONVERT(he.text USING utf8mb4) AS helo,
       CONVERT(sa.text USING utf8mb4) AS sasl_username,
       CONVERT(s.text USING utf8mb4) AS sender,
       CONVERT(sj.text USING utf8mb4) AS subject,
       CONVERT(m.message_id USING utf8mb4) AS message_id,
       m.size, m.nrcpt,
       o.name AS outcome,
       CONVERT(m.reject_action USING utf8mb4) AS reject_action,
       CONVERT(m.reject_stage USING utf8mb4) AS reject_stage,
       m.reject_code,
       CONVERT(m.reject_dsn USING ascii) AS reject_dsn,
       CONVERT(m.reject_text USING utf8mb4) AS reject_text,
       CONVERT(m.parent_qid USING ascii) AS parent_qid,
       CONVERT(m.child_qids USING ascii) AS child_qids,
       CONVERT(m.ndr_qid USING ascii) AS ndr_qid,
       CONVERT(m.ndr_of USING ascii) AS ndr_of
FROM message m
JOIN dict_name h ON h.id = m.host
JOIN outcome_name o ON o.code = m.outcome
LEFT JOIN dict_address s ON s.id = m.sender
LEFT JOIN dict_subject sj ON sj.id = m.subject
LEFT JOIN dict_name ch ON ch.id = m.client_host
LEFT JOIN dict_name he ON he.id = m.helo
LEFT JOIN dict_name sa ON sa.id = m.sasl;

CREATE VIEW recipients AS
SELECT r.message,
       FROM_UNIXTIME(r.first_seen) AS first_seen,
       r.first_seen AS first_seen_epoch,
       CONVERT(a.text USING utf8mb4) AS address,
       CONVERT(d.text USING utf8mb4) AS domain,
       CONVERT(oa.text USING utf8mb4) AS orig_address,
       o.name AS outcome,
       CONVERT(r.dsn USING ascii) AS dsn,
       CONVERT(rl.text USING utf8mb4) AS relay,
       r.delay, r.attempts,
       FROM_UNIXTIME(r.time) AS time,
       CONVERT(r.status_text USING utf8mb4) AS status_text
FROM rcpt r
JOIN dict_address a ON a.id = r.addr
JOIN outcome_name o ON o.code = r.outcome
LEFT JOIN dict_domain d ON d.id = a.domain
LEFT JOIN dict_address oa ON oa.id = r.orig
LEFT JOIN dict_name rl ON rl.id = r.relay;

-- Messages per UTC hour and day, by outcome.
CREATE VIEW report_hourly AS
SELECT TIMESTAMP('1970-01-01') + INTERVAL (m.first_seen DIV 3600) HOUR AS hour,
       o.name AS outcome, COUNT(*) AS messages
FROM message m JOIN outcome_name o ON o.code = m.outcome
GROUP BY m.first_seen DIV 3600, o.name;

CREATE VIEW report_daily AS
SELECT DATE('1970-01-01' + INTERVAL (m.first_seen DIV 86400) DAY) AS day,
       o.name AS outcome, COUNT(*) AS messages
FROM message m JOIN outcome_name o ON o.code = m.outcome
GROUP BY m.first_seen DIV 86400, o.name;

-- Senders per day (queued messages: rejects have their own view).
CREATE VIEW report_senders_daily AS
SELECT DATE('1970-01-01' + INTERVAL (m.first_seen DIV 86400) DAY) AS day,
       CONVERT(s.text USING utf8mb4) AS sender,
       COUNT(*) AS messages, SUM(m.nrcpt) AS recipients, SUM(m.size) AS bytes
FROM message m JOIN dict_address s ON s.id = m.sender
WHERE m.qid IS NOT NULL
GROUP BY m.first_seen DIV 86400, m.sender;

-- Recipient domains per day, by outcome.
CREATE VIEW report_recipient_domains_daily AS
SELECT DATE('1970-01-01' + INTERVAL (r.first_seen DIV 86400) DAY) AS day,
       CONVERT(d.text USING utf8mb4) AS domain,
       o.name AS outcome, COUNT(*) AS recipients
FROM rcpt r
JOIN dict_address a ON a.id = r.addr
JOIN outcome_name o ON o.code = r.outcome
LEFT JOIN dict_domain d ON d.id = a.domain
GROUP BY r.first_seen DIV 86400, a.domain, r.outcome;

-- Rejects per day by reason (action, stage, code, DSN) and client.
CREATE VIEW report_rejects_daily AS
SELECT DATE('1970-01-01' + INTERVAL (m.first_seen DIV 86400) DAY) AS day,
       CONVERT(m.reject_action USING utf8mb4) AS action,
       CONVERT(m.reject_stage USING utf8mb4) AS stage,
       m.reject_code AS code,
       CONVERT(m.reject_dsn USING ascii) AS dsn,
       INET6_NTOA(m.client_ip) AS client_ip,
       COUNT(*) AS rejects
FROM message m
WHERE m.reject_action IS NOT NULL
GROUP BY m.first_seen DIV 86400, m.reject_action, m.reject_stage, m.reject_code,
         m.reject_dsn, m.client_ip;

-- Deferred and bounced recipients per day by destination (domain, relay) and DSN.
CREATE VIEW report_delivery_problems_daily AS
SELECT DATE('1970-01-01' + INTERVAL (r.first_seen DIV 86400) DAY) AS day,
       o.name AS outcome,
       CONVERT(d.text USING utf8mb4) AS domain,
       CONVERT(rl.text USING utf8mb4) AS relay,
       CONVERT(r.dsn USING ascii) AS dsn,
       COUNT(*) AS recipients
FROM rcpt r
JOIN dict_address a ON a.id = r.addr
JOIN outcome_name o ON o.code = r.outcome
LEFT JOIN dict_domain d ON d.id = a.domain
LEFT JOIN dict_name rl ON rl.id = r.relay
WHERE r.outcome IN (2, 3, 4)
GROUP BY r.first_seen DIV 86400, r.outcome, a.domain, r.relay, r.dsn;

-- Bounces per day by subject: non-delivery notices (null sender) and bounced
-- messages. A backscatter flood shows as one subject with many rows.
CREATE VIEW report_bounce_subjects_daily AS
SELECT DATE('1970-01-01' + INTERVAL (m.first_seen DIV 86400) DAY) AS day,
       CONVERT(sj.text USING utf8mb4) AS subject,
       COUNT(*) AS messages,
       COUNT(DISTINCT m.client_ip) AS clients
FROM message m
JOIN dict_subject sj ON sj.id = m.subject
LEFT JOIN dict_address s ON s.id = m.sender
WHERE m.outcome = 2 OR s.text = ''
GROUP BY m.first_seen DIV 86400, m.subject;
