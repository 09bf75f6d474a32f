#include "tests/fakes/dump.hpp"

#include <sstream>

namespace so::fakes {
namespace {

// Nulls print as "-", so that a null never reads like a value.
std::string Opt(const std::optional<Id>& v) { return v ? std::to_string(*v) : "-"; }
std::string Opt(const std::optional<Timestamp>& t) { return t ? FormatRfc3339(*t) : "-"; }
std::string Opt(const std::optional<SoSource>& s) { return s ? std::string(ToString(*s)) : "-"; }
std::string Opt(const std::optional<PromiseBasis>& b) {
  return b ? std::string(ToString(*b)) : "-";
}
std::string Opt(const std::optional<int>& v) { return v ? std::to_string(*v) : "-"; }
std::string Opt(const std::optional<std::string>& s) { return s ? *s : "-"; }

}  // namespace

std::string Dump(const FakeDb& db) {
  std::ostringstream out;
  for (const auto& [table, id] : db.last_ids) {
    out << "last_id " << static_cast<int>(table) << " " << id << '\n';
  }
  for (Id id : db.stores) out << "store " << id << '\n';
  for (const auto& [id, p] : db.products) {
    out << "product " << id << " sku=" << p.sku << " primary_vendor=" << Opt(p.primary_vendor_id)
        << " allowed=" << p.special_order_allowed << '\n';
  }
  for (const auto& [id, v] : db.vendors) {
    out << "vendor " << id << " name=" << v.name << " active=" << v.active << '\n';
  }
  for (const auto& [key, pv] : db.product_vendors) {
    out << "product_vendor " << key.first << "," << key.second << " vendor=" << pv.vendor_id
        << " cost=" << pv.unit_cost << " pack=" << pv.pack_size << " moq=" << pv.min_order_qty
        << " lead=" << pv.lead_time_days << " active=" << pv.vendor_active << '\n';
  }
  for (const auto& [key, s] : db.stock) {
    out << "stock " << key.first << "," << key.second << " store=" << s.store_id
        << " product=" << s.product_id << " on_hand=" << s.on_hand << " committed=" << s.committed
        << " backordered=" << s.backordered << '\n';
  }
  for (const auto& [id, o] : db.orders) {
    out << "order " << id << " store=" << o.store_id << " customer=" << o.customer_id
        << " status=" << o.status << " has_special_order=" << o.has_special_order;
    if (auto it = db.order_created_at.find(id); it != db.order_created_at.end()) {
      out << " created_at=" << FormatRfc3339(it->second);
    }
    out << '\n';
  }
  for (const auto& [id, l] : db.lines) {
    out << "line " << id << " order=" << l.order_id << " product=" << l.product_id
        << " quantity=" << l.quantity << " special_order_qty=" << l.special_order_qty
        << " status=" << ToString(l.status) << " committed=" << l.committed_qty
        << " backordered=" << l.backordered_qty << '\n';
  }
  for (const auto& [id, so] : db.special_orders) {
    out << "special_order " << id << " id=" << so.id << " store=" << so.store_id
        << " order=" << so.order_id << " line=" << so.order_line_id
        << " customer=" << so.customer_id << " product=" << so.product_id
        << " quantity=" << so.quantity << " allocated=" << so.allocated_qty
        << " status=" << ToString(so.status) << " source=" << Opt(so.source)
        << " vendor=" << Opt(so.vendor_id) << " po=" << Opt(so.po_id)
        << " po_line=" << Opt(so.po_line_id) << " transfer=" << Opt(so.transfer_id)
        << " requested_at=" << FormatRfc3339(so.requested_at)
        << " ordered_at=" << Opt(so.ordered_at) << " arrived_at=" << Opt(so.arrived_at)
        << " ready_at=" << Opt(so.ready_at) << " completed_at=" << Opt(so.completed_at)
        << " cancelled_at=" << Opt(so.cancelled_at)
        << " updated_at=" << FormatRfc3339(so.updated_at) << '\n';
  }
  for (const auto& [id, po] : db.pos) {
    out << "po " << id << " id=" << po.id << " store=" << po.store_id << " vendor=" << po.vendor_id
        << " status=" << po.status << " created_at=" << FormatRfc3339(po.created_at) << '\n';
  }
  for (const auto& [id, l] : db.po_lines) {
    out << "po_line " << id << " id=" << l.id << " po=" << l.po_id << " product=" << l.product_id
        << " ordered=" << l.quantity_ordered << " received=" << l.quantity_received
        << " cost=" << l.unit_cost << '\n';
  }
  for (const auto& [id, s] : db.shipments) {
    out << "shipment " << id << " id=" << s.id << " po=" << s.po_id << " store=" << s.store_id
        << " vendor=" << s.vendor_id << " status=" << s.status << '\n';
    for (const auto& l : s.lines) {
      out << "  shipment_line po_line=" << l.po_line_id << " product=" << l.product_id
          << " quantity=" << l.quantity << '\n';
    }
  }
  for (const auto& [id, t] : db.transfers) {
    out << "transfer " << id << " id=" << t.id << " from=" << t.from_store_id
        << " to=" << t.to_store_id << " status=" << t.status
        << " created_at=" << FormatRfc3339(t.created_at) << '\n';
    for (const auto& l : t.lines) {
      out << "  transfer_line " << l.id << " transfer=" << l.transfer_id
          << " product=" << l.product_id << " quantity=" << l.quantity
          << " special_order=" << Opt(l.special_order_id) << '\n';
    }
  }
  for (const auto& [key, a] : db.arrivals) {
    out << "arrival " << ToString(std::get<0>(key)) << "," << std::get<1>(key) << ","
        << std::get<2>(key) << " kind=" << ToString(a.kind) << " arrival=" << a.arrival_id
        << " product=" << a.product_id << " store=" << a.store_id << " quantity=" << a.quantity
        << " allocated=" << a.allocated_qty << '\n';
  }
  for (const auto& [id, qty] : db.picked) out << "picked " << id << " " << qty << '\n';
  for (const auto& [id, c] : db.clocks) {
    out << "clock " << id << " special_order=" << c.special_order_id
        << " promise_seq=" << c.promise_seq << " expected_on=" << Opt(c.expected_on)
        << " basis=" << Opt(c.basis) << " base_at=" << Opt(c.base_at) << " days=" << Opt(c.days)
        << " rule=" << Opt(c.rule) << " promised_at=" << Opt(c.promised_at)
        << " overdue_seq=" << Opt(c.overdue_seq) << " reminded_days=" << Opt(c.reminded_days)
        << " reminded_ready_at=" << Opt(c.reminded_ready_at) << '\n';
  }
  for (const auto& [po, at] : db.po_sent) {
    out << "po_sent " << po << " " << FormatRfc3339(at) << '\n';
  }
  for (const auto& [id, outcome] : db.inbox) {
    out << "inbox " << id << " " << outcome;
    if (auto it = db.refusals.find(id); it != db.refusals.end()) out << " detail=" << it->second;
    out << '\n';
  }
  for (const auto& a : db.audit) {
    out << "audit message=" << a.message_id << " special_order=" << Opt(a.special_order_id)
        << " rule=" << a.rule << " decision=" << a.decision << " at=" << FormatRfc3339(a.at)
        << " detail=" << a.detail << '\n';
  }
  return out.str();
}

}  // namespace so::fakes
