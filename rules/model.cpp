#include "rules/model.hpp"

#include <array>
#include <utility>

namespace so {
namespace {

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::string_view>, N>& table,
                        std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "?";
}

constexpr std::array<std::pair<SoStatus, std::string_view>, 7> kSoStatus{{
    {SoStatus::kRequest, "request"},
    {SoStatus::kOrdered, "ordered"},
    {SoStatus::kArrived, "arrived"},
    {SoStatus::kInProgress, "in_progress"},
    {SoStatus::kReady, "ready"},
    {SoStatus::kCompleted, "completed"},
    {SoStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<LineStatus, std::string_view>, 5> kLineStatus{{
    {LineStatus::kOpen, "open"},
    {LineStatus::kBackordered, "backordered"},
    {LineStatus::kCommitted, "committed"},
    {LineStatus::kFulfilled, "fulfilled"},
    {LineStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<SoSource, std::string_view>, 2> kSoSource{{
    {SoSource::kVendor, "vendor"},
    {SoSource::kTransfer, "transfer"},
}};

constexpr std::array<std::pair<PromiseBasis, std::string_view>, 3> kPromiseBasis{{
    {PromiseBasis::kVendorFromSent, "vendor_lead_time_from_sent"},
    {PromiseBasis::kVendorFromNow, "vendor_lead_time_from_now"},
    {PromiseBasis::kTransferDays, "transfer_days"},
}};

}  // namespace

std::string_view ToString(SoStatus s) { return Name(kSoStatus, s); }
std::optional<SoStatus> ParseSoStatus(std::string_view s) { return Lookup(kSoStatus, s); }
std::string_view ToString(LineStatus s) { return Name(kLineStatus, s); }
std::optional<LineStatus> ParseLineStatus(std::string_view s) { return Lookup(kLineStatus, s); }
std::string_view ToString(SoSource s) { return Name(kSoSource, s); }
std::optional<SoSource> ParseSoSource(std::string_view s) { return Lookup(kSoSource, s); }
std::string_view ToString(PromiseBasis b) { return Name(kPromiseBasis, b); }
std::optional<PromiseBasis> ParsePromiseBasis(std::string_view s) {
  return Lookup(kPromiseBasis, s);
}
std::string_view ToString(ArrivalKind k) {
  return k == ArrivalKind::kShipment ? "shipment" : "transfer";
}

}  // namespace so
