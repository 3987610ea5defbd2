-- mailtrail SQLite schema, version 1.
-- Times are Unix seconds (UTC). Repeated strings (addresses, host names, relays,
-- SASL users) live once in `dict` and are referenced by id: that keeps a record at
-- the "minimal" detail level to a few dozen bytes.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- kind: 1 address, 2 host name (syslog host, client, HELO, relay), 4 SASL user.
-- (Subjects are stored in message.subject: most are unique, a dictionary would
-- cost more than it saves.)
-- Looked up by `hash` (64-bit FNV-1a of kind byte + text, agent/store/sqlite_codec.h):
-- an integer index is a fraction of the size and cost of one on the texts. The one
-- writer keeps (kind, text) unique by looking up before inserting.
CREATE TABLE dict (
  id   INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  hash INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX dict_hash ON dict (hash);

CREATE TABLE message (
  id          INTEGER PRIMARY KEY,
  host        INTEGER NOT NULL,  -- dict
  qid         TEXT,              -- NULL: rejected before queueing (NOQUEUE)
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  client_ip   BLOB,              -- 4 or 16 bytes, network order
  sender      INTEGER,           -- dict; "" is the null sender
  size        INTEGER,
  outcome     INTEGER NOT NULL,  -- agent/track/record.h Outcome
  end_reason  INTEGER NOT NULL,  -- RecordEnd
  -- standard
  client_host INTEGER, helo INTEGER, sasl INTEGER,
  message_id  TEXT,
  subject     TEXT,              -- as logged (RFC 2047 words stay encoded)
  header_from TEXT,
  nrcpt       INTEGER,
  parent_qid  TEXT, child_qids TEXT, ndr_qid TEXT, ndr_of TEXT, notice_qids TEXT,
  reject_action TEXT, reject_stage TEXT, reject_code INTEGER, reject_dsn TEXT,
  -- full
  reject_text TEXT,
  scans       TEXT,              -- "scanner|action|verdict|score" per line
  events      BLOB               -- zlib: "time_us\tprogram\ttext\n" per line
);
CREATE INDEX message_first_seen ON message (first_seen);
CREATE INDEX message_qid ON message (qid);
CREATE INDEX message_sender ON message (sender);
CREATE INDEX message_client_ip ON message (client_ip) WHERE client_ip IS NOT NULL;
CREATE INDEX message_message_id ON message (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE rcpt (
  message  INTEGER NOT NULL,
  seq      INTEGER NOT NULL,
  addr     INTEGER NOT NULL,     -- dict
  outcome  INTEGER NOT NULL,
  -- standard
  orig     INTEGER,
  dsn      TEXT,
  relay    INTEGER,
  delay    REAL,
  attempts INTEGER,
  time     INTEGER,
  -- full
  status_text TEXT,
  PRIMARY KEY (message, seq)
) WITHOUT ROWID;
CREATE INDEX rcpt_addr ON rcpt (addr);

-- What the parsers saw, for `mailtrail stats`.
CREATE TABLE line_kind (
  kind  TEXT PRIMARY KEY,
  count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE unknown_line (
  id      INTEGER PRIMARY KEY,
  program TEXT NOT NULL,
  line    TEXT NOT NULL
);
