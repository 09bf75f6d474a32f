// The journal fields of one message's log entry: which message (SO_MESSAGE_ID, SO_TYPE), what it
// is about (SO_ORDER_ID, SO_SPECIAL_ORDER_ID, SO_PO_ID, from the message and from the events it
// caused), the rules that decided (SO_RULE) and what became of it (SO_FATE); and the tally of
// the periodic summary. Pure functions; a Tally belongs to one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "daemon/log.hpp"
#include "rules/messages.hpp"
#include "rules/processor.hpp"

namespace so::daemon {

// `message` is null when the message could not be decoded: then only its topic, id and fate.
LogFields MessageFields(const std::string& topic, const std::optional<std::string>& message_id,
                        const Message* message, const Processed& processed);

// What the info summary says: the messages of an interval by fate and by type, and the batches.
class Tally {
 public:
  // A message that did not reach the database (kUnavailable) is counted when it does.
  void Count(const std::string& type, const Processed& processed);
  void CountBatch() { ++batches_; }
  bool empty() const { return applied_ + refused_ + duplicates_ + dead_lettered_ == 0; }
  // "last 10 s: 6214 applied, 3 refused, 0 duplicates, 0 dead-lettered in 7 batches;
  // order.special_order_requested 6000, shipment.completed 217"
  std::string Text(int seconds) const;
  // log_ids::kSummary with SO_APPLIED, SO_REFUSED, SO_DUPLICATES, SO_DEAD_LETTERED, SO_BATCHES.
  LogFields Fields() const;

 private:
  uint64_t applied_ = 0, refused_ = 0, duplicates_ = 0, dead_lettered_ = 0, batches_ = 0;
  std::map<std::string, uint64_t> by_type_;
};

}  // namespace so::daemon
