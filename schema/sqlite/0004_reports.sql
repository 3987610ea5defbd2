-- mailtrail SQLite schema, version 4: the report views (the same names and
-- columns as the MySQL store's, schema/mysql/0002_views.sql). Days and hours
-- are UTC. Filter on `day` and sum, e.g. the top senders of a week:
--   SELECT sender, SUM(messages) FROM report_senders_daily
--   WHERE day >= date('now', '-7 days') GROUP BY sender ORDER BY 2 DESC LIMIT 10;

-- Messages per UTC hour and day, by outcome.
CREATE VIEW report_hourly AS
SELECT datetime(m.first_seen - m.first_seen % 3600, 'unixepoch') AS hour,
       o.name AS outcome, count(*) AS messages
FROM message m JOIN outcome_name o ON o.code = m.outcome
GROUP BY m.first_seen / 3600, o.name;

CREATE VIEW report_daily AS
SELECT date(m.first_seen, 'unixepoch') AS day, o.name AS outcome, count(*) AS messages
FROM message m JOIN outcome_name o ON o.code = m.outcome
GROUP BY m.first_seen / 86400, o.name;

-- Senders per day (queued messages: rejects have their own view).
CREATE VIEW report_senders_daily AS
SELECT date(m.first_seen, 'unixepoch') AS day, s.text AS sender,
       count(*) AS messages, sum(m.nrcpt) AS recipients, sum(m.size) AS bytes
FROM message m JOIN dict s ON s.id = m.sender
WHERE m.qid IS NOT NULL
GROUP BY m.first_seen / 86400, m.sender;

-- Recipient domains per day, by outcome.
CREATE VIEW report_recipient_domains_daily AS
SELECT date(m.first_seen, 'unixepoch') AS day,
       lower(substr(a.text, instr(a.text, '@') + 1)) AS domain,
       o.name AS outcome, count(*) AS recipients
FROM rcpt r
JOIN message m ON m.id = r.message
JOIN dict a ON a.id = r.addr
JOIN outcome_name o ON o.code = r.outcome
GROUP BY m.first_seen / 86400, 2, r.outcome;

-- Rejects per day by reason (action, stage, code, DSN) and client.
CREATE VIEW report_rejects_daily AS
SELECT date(first_seen_epoch, 'unixepoch') AS day, reject_action AS action,
       reject_stage AS stage, reject_code AS code, reject_dsn AS dsn, client_ip,
       count(*) AS rejects
FROM messages
WHERE reject_action IS NOT NULL
GROUP BY first_seen_epoch / 86400, reject_action, reject_stage, reject_code, reject_dsn,
         client_ip;

-- Deferred and bounced recipients per day by destination (domain, relay) and DSN.
CREATE VIEW report_delivery_problems_daily AS
SELECT date(m.first_seen, 'unixepoch') AS day, o.name AS outcome,
       lower(substr(a.text, instr(a.text, '@') + 1)) AS domain,
       rl.text AS relay, r.dsn, count(*) AS recipients
FROM rcpt r
JOIN message m ON m.id = r.message
JOIN dict a ON a.id = r.addr
JOIN outcome_name o ON o.code = r.outcome
LEFT JOIN dict rl ON rl.id = r.relay
WHERE r.outcome IN (2, 3, 4)
GROUP BY m.first_seen / 86400, r.outcome, 3, r.relay, r.dsn;

-- Bounces per day by subject: non-delivery notices (null sender) and bounced
-- messages. A backscatter flood shows as one subject with many rows.
CREATE VIEW report_bounce_subjects_daily AS
SELECT date(m.first_seen, 'unixepoch') AS day, m.subject,
       count(*) AS messages, count(DISTINCT m.client_ip) AS clients
FROM message m
LEFT JOIN dict s ON s.id = m.sender
WHERE m.subject IS NOT NULL AND (m.outcome = 2 OR s.text = '')
GROUP BY m.first_seen / 86400, m.subject;
