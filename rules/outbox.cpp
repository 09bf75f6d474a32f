#include "rules/outbox.hpp"

#include <algorithm>
#include <cstdio>

namespace so {

Outbox::Outbox(OutboxStore& store, EventSink& sink, Encoder encode, std::string name,
               std::string instance)
    : store_(store),
      sink_(sink),
      encode_(std::move(encode)),
      name_(std::move(name)),
      instance_(std::move(instance)) {}

Status Outbox::Open(Timestamp now) {
  SO_ASSIGN_OR_RETURN(state_, store_.ClaimEventSource(name_, instance_, now));
  // Ids stay within the contract's 64 characters however long the source is, and differ between
  // sources: a hash of the source, then the seq.
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64
  for (unsigned char c : state_.source) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  id_prefix_ = std::string("sod-") + hex + "-";
  published_ = marked_ = state_.sent_seq;
  queue_.clear();
  staged_.clear();
  open_ = true;
  return Status();
}

Envelope Outbox::Stamp(const OutEvent& event, uint64_t seq, Timestamp at) const {
  Envelope e;
  e.id = id_prefix_ + std::to_string(seq);
  e.type = EventType(event);
  e.source = state_.source;
  e.seq = seq;
  e.occurred_at = at;
  return e;
}

void Outbox::Stage(const std::vector<std::pair<Timestamp, const OutEvent*>>& events,
                   WriteSet& writes) {
  staged_.clear();
  staged_mark_ = marked_;
  if (events.empty() && !mark_behind()) return;
  uint64_t seq = state_.last_seq;
  for (const auto& [at, event] : events) {
    ++seq;
    Envelope envelope = Stamp(*event, seq, at);
    std::string body = encode_(envelope, *event);
    staged_.push_back(StampedEvent{std::move(envelope), std::move(body), *event});
  }
  staged_mark_ = published_;
  writes.events = staged_;
  writes.event_source =
      WriteSet::EventSourceAdvance{name_, instance_, state_.last_seq, seq, staged_mark_};
}

Status Outbox::Resync() {
  SO_ASSIGN_OR_RETURN(const EventSourceState now, store_.ReadEventSource(name_, instance_));
  if (now.last_seq > state_.last_seq) {
    // Committed by a batch whose answer was lost: its events are in the table, not in memory.
    state_.last_seq = now.last_seq;
    queue_.clear();
  }
  marked_ = std::max(marked_, now.sent_seq);
  stale_ = false;
  return Status();
}

void Outbox::Committed() {
  stale_ = false;
  marked_ = staged_mark_;
  if (staged_.empty()) return;
  const uint64_t first = staged_.front().envelope.seq;
  state_.last_seq = staged_.back().envelope.seq;
  // Kept only as the continuation of what memory holds; otherwise Drain() reads them back.
  const uint64_t next = queue_.empty() ? published_ + 1 : queue_.back().envelope.seq + 1;
  if (first == next && queue_.size() + staged_.size() <= kMaxQueued) {
    for (StampedEvent& e : staged_) queue_.push_back(std::move(e));
  }
  staged_.clear();
}

Status Outbox::Send(const StampedEvent& event) {
  if (Status s = sink_.Publish(event); !s.ok()) {
    ++stats_.publish_errors;
    return s;
  }
  ++stats_.published;
  published_ = event.envelope.seq;
  return Status();
}

Status Outbox::Drain() {
  if (!open_ || held_) return Status();
  while (published_ < state_.last_seq) {
    if (!queue_.empty()) {
      SO_RETURN_IF_ERROR(Send(queue_.front()));
      queue_.pop_front();
      continue;
    }
    SO_ASSIGN_OR_RETURN(const std::vector<StampedEvent> page,
                        store_.ReadOutbox(state_.source, published_, kReadPage));
    if (page.empty() || page.front().envelope.seq != published_ + 1) {
      // Deleted behind the daemon's back: what is gone cannot be sent; the rest still is.
      const uint64_t missing_to = page.empty() ? state_.last_seq : page.front().envelope.seq - 1;
      const std::string what = "events " + std::to_string(published_ + 1) + ".." +
                               std::to_string(missing_to) + " of " + state_.source +
                               " are not in the outbox: skipped";
      published_ = missing_to;
      return Error{ErrorKind::kPermanent, 0, what};
    }
    for (const StampedEvent& e : page) {
      if (e.envelope.seq > state_.last_seq) break;  // not this run's to know of yet
      SO_RETURN_IF_ERROR(Send(e));
      ++stats_.resent;
    }
  }
  return Status();
}

Status Outbox::MarkSent() {
  if (!mark_behind()) return Status();
  SO_RETURN_IF_ERROR(store_.MarkEventsSent(name_, instance_, published_));
  marked_ = published_;
  return Status();
}

Result<int64_t> Outbox::Prune(const OutboxRetention& retention, Timestamp now) {
  SO_ASSIGN_OR_RETURN(const int64_t n,
                      store_.PruneOutbox(state_.source, marked_, state_.last_seq, retention, now));
  stats_.pruned += static_cast<uint64_t>(n);
  return n;
}

}  // namespace so
