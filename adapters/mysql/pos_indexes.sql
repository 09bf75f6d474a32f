-- Indexes special-ordersd asks of the host database, on top of its reference schema. The daemon
-- never alters the host's tables: the integrator applies this file once, as a user that may
-- create indexes on them (the daemon's own user needs no such privilege):
--
--   mariadb pos < /usr/share/doc/special-ordersd/pos_indexes.sql
--
-- Every statement is idempotent. The daemon runs without them, more slowly as the tables grow,
-- and says at start-up which one is missing.

-- "The special orders on these PO lines that still wait for goods", read for every vendor
-- shipment: a range of the live statuses of each line, whose fully allocated entries (waiting on
-- the shelf for their customer) are passed over in the index itself, without reading or locking
-- their rows. Without it a shipment reads every special order ever attached to its PO line.
CREATE INDEX IF NOT EXISTS ix_special_orders_po_line_waiting
  ON special_orders (po_line_id, status, quantity, allocated_qty);
