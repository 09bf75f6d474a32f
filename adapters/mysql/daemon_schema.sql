-- The daemon's own tables in the host database, all prefixed sod_. The daemon creates them at
-- start-up (MysqlStore::EnsureDaemonSchema), so every statement is idempotent. The file is
-- compiled into the daemon and split on ";\n": a statement ends with ";" at the end of a line.
--
-- Message ids are compared byte for byte (utf8mb4_nopad_bin): the POS promises uniqueness of the
-- exact string, and a case-insensitive key would merge two different messages, as would a PAD
-- SPACE collation such as utf8mb4_bin, which ignores trailing spaces ("m-1 " = "m-1").

-- One row per message whose effect is committed, written in the same transaction as that
-- effect: the exactly-once guard. applied_at is the envelope's occurred_at, not NOW(), so that two
-- runs over the same messages write identical rows.
CREATE TABLE IF NOT EXISTS sod_inbox (
  message_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  source VARCHAR(128) NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  type VARCHAR(128) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  detail TEXT NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  applied_at DATETIME(6) NOT NULL,
  PRIMARY KEY (message_id),
  -- gap detection and catch-up: the highest seq seen per source
  KEY ix_sod_inbox_source_seq (source, seq),
  CONSTRAINT ck_sod_inbox_outcome CHECK (outcome IN ('applied', 'refused'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every decision, with the rule that made it and the message that caused it (the "explain"
-- view). No foreign key to special_orders: the trail must not depend on the host's tables.
CREATE TABLE IF NOT EXISTS sod_audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  message_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  special_order_id BIGINT NULL,
  rule VARCHAR(128) NOT NULL,
  decision VARCHAR(64) NOT NULL,
  detail TEXT NOT NULL,
  at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_sod_audit_special_order (special_order_id, id),
  KEY ix_sod_audit_message (message_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Messages that could not be applied, kept with the reason for an operator. message_id is NULL
-- when the message was too broken to have one; NULLs do not collide in a unique key, so each such
-- message gets its own row. raw is the exact frame, which need not be valid UTF-8.
CREATE TABLE IF NOT EXISTS sod_dead_letters (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  message_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL,
  topic VARCHAR(128) NOT NULL,
  raw LONGBLOB NOT NULL,
  reason TEXT NOT NULL,
  attempts INT NOT NULL DEFAULT 1,
  rules_version VARCHAR(64) NOT NULL,
  first_seen_at DATETIME(6) NOT NULL,
  last_seen_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_sod_dead_letters_message (message_id),
  KEY ix_sod_dead_letters_last_seen (last_seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What each arrival (vendor shipment or received transfer) brought of each product and how much
-- of it is allocated, so that no arrival ever allocates more than it brought.
CREATE TABLE IF NOT EXISTS sod_arrival_lines (
  kind VARCHAR(16) NOT NULL,
  arrival_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  store_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  allocated_qty BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, arrival_id, product_id),
  CONSTRAINT ck_sod_arrival_lines_kind CHECK (kind IN ('shipment', 'transfer')),
  CONSTRAINT ck_sod_arrival_lines_allocated CHECK (allocated_qty >= 0 AND allocated_qty <= quantity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How much of each special order has been handed over to the customer. The POS tables have no
-- place for it (a line turns fulfilled only once everything is picked up), and without it a
-- pickup in parts could not tell which committed units are already released. No timestamps:
-- two runs over the same messages must write identical rows (the inbox and the audit trail keep
-- the times). No foreign key to special_orders, as for sod_audit.
CREATE TABLE IF NOT EXISTS sod_pickups (
  special_order_id BIGINT NOT NULL,
  picked_qty BIGINT NOT NULL,
  PRIMARY KEY (special_order_id),
  CONSTRAINT ck_sod_pickups_picked CHECK (picked_qty >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The flight recorder (rules/recorder.hpp): each message applied, with the rows it read to decide
-- and what it decided, written in the same transaction as its effects, for `special-ordersd
-- simulate` to recompute with other rules. `record` is MessagePack (adapters/flight_codec.hpp);
-- `bytes` its length, for the size bound. Pruned by the sweep (recorder.retention_days,
-- recorder.max_mb); never read by the daemon itself.
CREATE TABLE IF NOT EXISTS sod_flight_recorder (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  message_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  message_type VARCHAR(64) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  recorded_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  rules_version VARCHAR(64) NOT NULL,
  bytes INT UNSIGNED NOT NULL,
  record MEDIUMBLOB NOT NULL,
  PRIMARY KEY (id),
  KEY ix_sod_flight_recorder_occurred (occurred_at),
  KEY ix_sod_flight_recorder_recorded (recorded_at),
  KEY ix_sod_flight_recorder_bytes (bytes)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The daemon's clock per special order (rules/model.hpp, SoClock): the date it promised the goods
-- for, and which timed messages (overdue, pickup reminders) it already applied; special_orders
-- has no place for these. The promise's columns are NULL together: a special order allocated
-- from stock before it was ever sourced has no promise, and still needs its reminders. Times
-- are the occurred_at of the messages that set them, so that two runs over the same messages
-- write identical rows. No foreign key to special_orders, as for sod_pickups.
CREATE TABLE IF NOT EXISTS sod_promises (
  special_order_id BIGINT NOT NULL,
  promise_seq INT NOT NULL,  -- 0 before the first promise, +1 for each
  expected_on DATE NULL,     -- the UTC day promised
  basis VARCHAR(32) NULL,
  base_at DATETIME(6) NULL,  -- what the days are counted from
  days INT NULL,             -- the lead time or transfer days counted
  rule VARCHAR(128) NULL,
  promised_at DATETIME(6) NULL,
  overdue_seq INT NULL,      -- the promise_seq whose overdue was published
  reminded_days INT NULL,    -- the largest pickup reminder sent for reminded_ready_at
  reminded_ready_at DATETIME(6) NULL,
  PRIMARY KEY (special_order_id),
  KEY ix_sod_promises_expected (expected_on),
  CONSTRAINT ck_sod_promises_basis CHECK (basis IN ('vendor_lead_time_from_sent',
    'vendor_lead_time_from_now', 'transfer_days'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- When the daemon first saw each PO sent (draft -> open): what vendor lead times count from.
-- sent_at is the occurred_at of the message that told it; the first one wins.
CREATE TABLE IF NOT EXISTS sod_po_sent (
  po_id BIGINT NOT NULL,
  sent_at DATETIME(6) NOT NULL,
  PRIMARY KEY (po_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The daemon's event sources (rules/outbox.hpp): one row per configured bus.source, so that the
-- envelope's source and seq survive restarts. `source` is what the envelopes carry: the name and
-- the time the row was made (a new row, a new source: its seq starts at 1 again). `instance` is
-- the run of the daemon that holds it; a run that finds another's there stops (two daemons must
-- not share a name). Every event up to sent_seq was handed to the bus.
CREATE TABLE IF NOT EXISTS sod_event_sources (
  name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  source VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  instance VARCHAR(255) NOT NULL,  -- host:pid:start (a host name has up to 64 characters)
  last_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
  sent_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  claimed_at DATETIME(6) NOT NULL,
  PRIMARY KEY (name),
  UNIQUE KEY uq_sod_event_sources_source (source),
  CONSTRAINT ck_sod_event_sources_sent CHECK (sent_seq <= last_seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox: each event the daemon publishes, written in the transaction of the changes that
-- produced it, with its envelope. `body` is the JSON as published (the same bytes when it is
-- sent again). Sent rows are pruned by the sweep (outbox.retention_days, outbox.max_rows); a
-- POS that saw a jump in seq may read the events it missed here (README "Delivery guarantees").
CREATE TABLE IF NOT EXISTS sod_outbox (
  source VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  event_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL,
  type VARCHAR(64) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  written_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  body MEDIUMTEXT NOT NULL,
  PRIMARY KEY (source, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
