// One HostStore under test with the POS's side of its database: a seam that writes the POS's own
// rows into what the store reads and reads back what the port writes but never reads, for the
// in-memory fake and for MySQL alike, so that one test can run against both. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/ports.hpp"

namespace so::testing {

// A row of sod_inbox as far as the port writes it.
struct InboxRow {
  std::string outcome;  // applied / refused
  std::string detail;   // why it was refused; empty while applied
  bool operator==(const InboxRow&) const = default;
};

class World {
 public:
  virtual ~World() = default;

  virtual HostStore& store() = 0;

  // --- The POS's own writes. Each is committed at once, as another connection's would be: call
  // them while the store has no transaction open. The rows must fit the schema's keys (a line's
  // order and product exist, and so on); the fake takes on trust what MySQL would refuse. ---
  virtual void AddStore(Id id) = 0;
  virtual void AddVendor(const Vendor& vendor) = 0;
  virtual void AddProduct(const Product& product) = 0;
  // The offer's vendor_active is not the offer's but its vendor's, and is ignored.
  virtual void AddOffer(Id product_id, const ProductVendor& offer) = 0;
  virtual void AddCustomer(Id id) = 0;
  // Inserts the row or replaces it.
  virtual void PutStock(const StockRow& row) = 0;
  virtual void AddOrder(const CustomerOrder& order, Timestamp created_at) = 0;
  virtual void AddOrderLine(const OrderLine& line) = 0;
  virtual void AddPo(const PurchaseOrder& po) = 0;
  virtual void AddPoLine(const PoLine& line) = 0;
  // line_ids[i] is the id of shipment.lines[i]. A completed shipment gets a completed_at.
  virtual void AddShipment(const Shipment& shipment, const std::vector<Id>& line_ids) = 0;
  // The transfer and its lines, with the ids given.
  virtual void AddTransfer(const StoreTransfer& transfer) = 0;

  // --- What the port wrote and never reads back; committed rows only ---
  virtual std::optional<InboxRow> Inbox(const std::string& message_id) = 0;
  // The audit trail, in the order it was written.
  virtual std::vector<AuditEntry> Audit() = 0;
};

// The in-memory fake (tests/fakes/fake_store.hpp).
std::unique_ptr<World> NewFakeWorld();
// A MysqlStore connected to a fresh TestDatabase named after `prefix` in the private MariaDB
// (tests/support/test_db.hpp); throws std::runtime_error when it cannot be set up.
std::unique_ptr<World> NewMysqlWorld(const std::string& prefix);

}  // namespace so::testing
