-- The host POS database, reference schema (CONTRACT.md section 5), as a real POS would declare
-- it: InnoDB, utf8mb4, BIGINT ids, integer quantities, DATETIME(6) times in UTC.
--
-- This is the host's schema, not the daemon's: the daemon never creates or alters these tables.
-- The tests and the demo load it into an empty database. Statements end with ";" at the end of a
-- line so that loaders can split on ";\n".
--
-- Statuses are VARCHAR with CHECK constraints rather than ENUMs: a new status in a later POS
-- release is an ALTER of the constraint, not a table rebuild, and the values read back as the
-- same strings the contract uses. No column uses ON UPDATE CURRENT_TIMESTAMP: the daemon sets
-- times explicitly from the messages, so that replaying a message writes identical bytes.

CREATE TABLE stores (
  id BIGINT NOT NULL AUTO_INCREMENT,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(255) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_stores_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE vendors (
  id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  active TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE products (
  id BIGINT NOT NULL AUTO_INCREMENT,
  sku VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  primary_vendor_id BIGINT NULL,
  special_order_allowed TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (id),
  UNIQUE KEY uq_products_sku (sku),
  KEY ix_products_primary_vendor (primary_vendor_id),
  CONSTRAINT fk_products_primary_vendor FOREIGN KEY (primary_vendor_id) REFERENCES vendors (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE product_vendors (
  product_id BIGINT NOT NULL,
  vendor_id BIGINT NOT NULL,
  unit_cost DECIMAL(12,4) NOT NULL,
  pack_size INT NOT NULL DEFAULT 1,
  min_order_qty INT NOT NULL DEFAULT 1,
  lead_time_days INT NOT NULL DEFAULT 0,
  PRIMARY KEY (product_id, vendor_id),
  KEY ix_product_vendors_vendor (vendor_id),
  CONSTRAINT fk_product_vendors_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT fk_product_vendors_vendor FOREIGN KEY (vendor_id) REFERENCES vendors (id),
  CONSTRAINT ck_product_vendors_unit_cost CHECK (unit_cost >= 0),
  CONSTRAINT ck_product_vendors_pack_size CHECK (pack_size >= 1),
  CONSTRAINT ck_product_vendors_min_order_qty CHECK (min_order_qty >= 1),
  CONSTRAINT ck_product_vendors_lead_time CHECK (lead_time_days >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- on_hand belongs to the POS; committed and backordered to the daemon. Open stock
-- (on_hand - committed) may be zero or negative, so there is no CHECK on on_hand.
CREATE TABLE stock (
  store_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  on_hand BIGINT NOT NULL DEFAULT 0,
  committed BIGINT NOT NULL DEFAULT 0,
  backordered BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (store_id, product_id),
  KEY ix_stock_product (product_id),
  CONSTRAINT fk_stock_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_stock_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_stock_committed CHECK (committed >= 0),
  CONSTRAINT ck_stock_backordered CHECK (backordered >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customers (
  id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NULL,
  phone VARCHAR(64) NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customer_orders (
  id BIGINT NOT NULL AUTO_INCREMENT,
  store_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'open',
  has_special_order TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_customer_orders_store_status (store_id, status, created_at),
  KEY ix_customer_orders_customer (customer_id),
  CONSTRAINT fk_customer_orders_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_customer_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
  CONSTRAINT ck_customer_orders_status CHECK (status IN ('open', 'completed', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- id, order_id, product_id, quantity and special_order_qty belong to the POS; status,
-- committed_qty and backordered_qty to the daemon for special-ordered lines.
CREATE TABLE customer_order_lines (
  id BIGINT NOT NULL AUTO_INCREMENT,
  order_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  special_order_qty BIGINT NOT NULL DEFAULT 0,
  status VARCHAR(20) NOT NULL DEFAULT 'open',
  committed_qty BIGINT NOT NULL DEFAULT 0,
  backordered_qty BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY ix_customer_order_lines_order (order_id),
  KEY ix_customer_order_lines_product (product_id),
  -- the catch-up sweep looks for lines marked as special order
  KEY ix_customer_order_lines_special (special_order_qty),
  CONSTRAINT fk_customer_order_lines_order FOREIGN KEY (order_id) REFERENCES customer_orders (id),
  CONSTRAINT fk_customer_order_lines_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_customer_order_lines_quantity CHECK (quantity >= 0),
  CONSTRAINT ck_customer_order_lines_so_qty CHECK (special_order_qty >= 0),
  CONSTRAINT ck_customer_order_lines_committed CHECK (committed_qty >= 0),
  CONSTRAINT ck_customer_order_lines_backordered CHECK (backordered_qty >= 0),
  CONSTRAINT ck_customer_order_lines_status
    CHECK (status IN ('open', 'backordered', 'committed', 'fulfilled', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE purchase_orders (
  id BIGINT NOT NULL AUTO_INCREMENT,
  store_id BIGINT NOT NULL,
  vendor_id BIGINT NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'draft',
  created_by VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  -- "the newest draft PO of this vendor for this store": an index range, however many
  -- closed POs the store has.
  KEY ix_purchase_orders_store_vendor_status (store_id, vendor_id, status, created_at),
  KEY ix_purchase_orders_vendor (vendor_id),
  CONSTRAINT fk_purchase_orders_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_purchase_orders_vendor FOREIGN KEY (vendor_id) REFERENCES vendors (id),
  CONSTRAINT ck_purchase_orders_status CHECK (status IN ('draft', 'open', 'partially_received',
                                                         'received', 'closed', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE purchase_order_lines (
  id BIGINT NOT NULL AUTO_INCREMENT,
  po_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity_ordered BIGINT NOT NULL,
  quantity_received BIGINT NOT NULL DEFAULT 0,
  unit_cost DECIMAL(12,4) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_purchase_order_lines_po_product (po_id, product_id),
  KEY ix_purchase_order_lines_product (product_id),
  CONSTRAINT fk_purchase_order_lines_po FOREIGN KEY (po_id) REFERENCES purchase_orders (id),
  CONSTRAINT fk_purchase_order_lines_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_purchase_order_lines_ordered CHECK (quantity_ordered >= 0),
  CONSTRAINT ck_purchase_order_lines_received CHECK (quantity_received >= 0),
  CONSTRAINT ck_purchase_order_lines_unit_cost CHECK (unit_cost >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE vendor_shipments (
  id BIGINT NOT NULL AUTO_INCREMENT,
  po_id BIGINT NOT NULL,
  store_id BIGINT NOT NULL,
  vendor_id BIGINT NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'open',
  completed_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_vendor_shipments_po (po_id),
  -- the reconciliation sweep: "shipments completed since ..."
  KEY ix_vendor_shipments_status_completed (status, completed_at),
  KEY ix_vendor_shipments_store (store_id),
  KEY ix_vendor_shipments_vendor (vendor_id),
  CONSTRAINT fk_vendor_shipments_po FOREIGN KEY (po_id) REFERENCES purchase_orders (id),
  CONSTRAINT fk_vendor_shipments_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_vendor_shipments_vendor FOREIGN KEY (vendor_id) REFERENCES vendors (id),
  CONSTRAINT ck_vendor_shipments_status CHECK (status IN ('open', 'completed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE vendor_shipment_lines (
  id BIGINT NOT NULL AUTO_INCREMENT,
  shipment_id BIGINT NOT NULL,
  po_line_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  PRIMARY KEY (id),
  KEY ix_vendor_shipment_lines_shipment (shipment_id),
  KEY ix_vendor_shipment_lines_po_line (po_line_id),
  KEY ix_vendor_shipment_lines_product (product_id),
  CONSTRAINT fk_vendor_shipment_lines_shipment
    FOREIGN KEY (shipment_id) REFERENCES vendor_shipments (id),
  CONSTRAINT fk_vendor_shipment_lines_po_line
    FOREIGN KEY (po_line_id) REFERENCES purchase_order_lines (id),
  CONSTRAINT fk_vendor_shipment_lines_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_vendor_shipment_lines_quantity CHECK (quantity >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE store_transfers (
  id BIGINT NOT NULL AUTO_INCREMENT,
  from_store_id BIGINT NOT NULL,
  to_store_id BIGINT NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'requested',
  created_by VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_store_transfers_to_status (to_store_id, status),
  KEY ix_store_transfers_from_status (from_store_id, status),
  CONSTRAINT fk_store_transfers_from FOREIGN KEY (from_store_id) REFERENCES stores (id),
  CONSTRAINT fk_store_transfers_to FOREIGN KEY (to_store_id) REFERENCES stores (id),
  CONSTRAINT ck_store_transfers_stores CHECK (from_store_id <> to_store_id),
  CONSTRAINT ck_store_transfers_status
    CHECK (status IN ('requested', 'shipped', 'received', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Written by the daemon only. store_id .. product_id and requested_at never change after the
-- insert; the rest follows the special order through its statuses.
CREATE TABLE special_orders (
  id BIGINT NOT NULL AUTO_INCREMENT,
  store_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  order_line_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  allocated_qty BIGINT NOT NULL DEFAULT 0,
  status VARCHAR(20) NOT NULL DEFAULT 'request',
  source VARCHAR(16) NULL,
  vendor_id BIGINT NULL,
  po_id BIGINT NULL,
  po_line_id BIGINT NULL,
  transfer_id BIGINT NULL,
  requested_at DATETIME(6) NOT NULL,
  ordered_at DATETIME(6) NULL,
  arrived_at DATETIME(6) NULL,
  ready_at DATETIME(6) NULL,
  completed_at DATETIME(6) NULL,
  cancelled_at DATETIME(6) NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_special_orders_order_line (order_line_id),
  KEY ix_special_orders_order (order_id),
  KEY ix_special_orders_po_line (po_line_id),
  KEY ix_special_orders_po (po_id),
  KEY ix_special_orders_transfer (transfer_id),
  KEY ix_special_orders_status (status),
  -- competing special orders for the stock of one product in one store
  KEY ix_special_orders_store_product_status (store_id, product_id, status),
  KEY ix_special_orders_customer (customer_id),
  KEY ix_special_orders_product (product_id),
  KEY ix_special_orders_vendor (vendor_id),
  CONSTRAINT fk_special_orders_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_special_orders_order FOREIGN KEY (order_id) REFERENCES customer_orders (id),
  CONSTRAINT fk_special_orders_order_line
    FOREIGN KEY (order_line_id) REFERENCES customer_order_lines (id),
  CONSTRAINT fk_special_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
  CONSTRAINT fk_special_orders_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT fk_special_orders_vendor FOREIGN KEY (vendor_id) REFERENCES vendors (id),
  CONSTRAINT fk_special_orders_po FOREIGN KEY (po_id) REFERENCES purchase_orders (id),
  CONSTRAINT fk_special_orders_po_line
    FOREIGN KEY (po_line_id) REFERENCES purchase_order_lines (id),
  CONSTRAINT fk_special_orders_transfer FOREIGN KEY (transfer_id) REFERENCES store_transfers (id),
  CONSTRAINT ck_special_orders_quantity CHECK (quantity >= 0),
  CONSTRAINT ck_special_orders_allocated CHECK (allocated_qty >= 0),
  CONSTRAINT ck_special_orders_status CHECK (status IN ('request', 'ordered', 'arrived',
                                                        'in_progress', 'ready', 'completed',
                                                        'cancelled')),
  CONSTRAINT ck_special_orders_source CHECK (source IS NULL OR source IN ('vendor', 'transfer'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE store_transfer_lines (
  id BIGINT NOT NULL AUTO_INCREMENT,
  transfer_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity BIGINT NOT NULL,
  special_order_id BIGINT NULL,
  PRIMARY KEY (id),
  KEY ix_store_transfer_lines_transfer (transfer_id),
  KEY ix_store_transfer_lines_special_order (special_order_id),
  KEY ix_store_transfer_lines_product (product_id),
  CONSTRAINT fk_store_transfer_lines_transfer
    FOREIGN KEY (transfer_id) REFERENCES store_transfers (id),
  CONSTRAINT fk_store_transfer_lines_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT fk_store_transfer_lines_special_order
    FOREIGN KEY (special_order_id) REFERENCES special_orders (id),
  CONSTRAINT ck_store_transfer_lines_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
