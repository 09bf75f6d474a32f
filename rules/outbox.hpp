// The daemon's events on their way out, at least once (the transactional outbox): each event is
// given its envelope (id, source, seq) in the transaction of the changes that produced it and is
// written there with them (WriteSet::events); once committed it is handed to the bus in seq
// order, and how far the hand-over got is recorded (sod_event_sources.sent_seq), so that a crash
// between the commit and the publish costs a second send of the same event, never the event.
// The source and its seq survive restarts: a subscriber that sees a jump in seq missed events.
// One Outbox per daemon, on the thread of its Processor.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rules/messages.hpp"
#include "rules/ports.hpp"

namespace so {

// What the outbox did since it was opened, for the metrics and the stop line.
struct OutboxStats {
  uint64_t published = 0;  // events handed to the bus (a second send counts again)
  uint64_t resent = 0;     // of them, read back from the table: after a crash, or held too long
  uint64_t publish_errors = 0;
  uint64_t pruned = 0;
};

class Outbox {
 public:
  // The event as the bus carries it, with its envelope (adapters/json_codec's EncodeEvent).
  using Encoder = std::function<std::string(const Envelope&, const OutEvent&)>;

  // Events kept in memory between their commit and their send; beyond that they are read back
  // from the table (a bus that refuses them for long, or a long hold).
  static constexpr size_t kMaxQueued = 100'000;
  // Events read back from the table at a time.
  static constexpr int kReadPage = 1'000;

  // `name`: the configured bus.source; `instance`: this run of the daemon, unique.
  Outbox(OutboxStore& store, EventSink& sink, Encoder encode, std::string name,
         std::string instance);

  // Takes the source for this run (start-up, before any batch): what a crash left unsent goes
  // out with the next Drain(), before anything newer.
  Status Open(Timestamp now);
  bool open() const { return open_; }
  const std::string& source() const { return state_.source; }
  // The highest seq committed; every event up to published_seq() was handed to the bus (by this
  // run, or by an earlier one as it recorded).
  uint64_t last_seq() const { return state_.last_seq; }
  uint64_t published_seq() const { return published_; }
  uint64_t unsent() const {
    return published_ < state_.last_seq ? state_.last_seq - published_ : 0;
  }
  const OutboxStats& stats() const { return stats_; }

  // --- In a batch's transaction (Processor) ---
  // Gives the events their envelopes, in order after the committed ones (each with the time of
  // the message that caused it), and adds them to `writes` with the source's new counter and the
  // sent mark when it moved. Replaces what an earlier attempt at the batch staged.
  void Stage(const std::vector<std::pair<Timestamp, const OutEvent*>>& events, WriteSet& writes);
  // The staged transaction committed: its events are the source's, queued for the bus.
  void Committed();
  // Forgets what was staged (a new attempt at a batch starts with it).
  void Discard() {
    staged_.clear();
    staged_mark_ = marked_;
  }
  // After an attempt that failed, or whose COMMIT answer was lost: the database may have moved
  // past what this run counted (the lost COMMIT happened). Resync() reads it again before the
  // next Stage().
  void MarkStale() { stale_ = true; }
  bool stale() const { return stale_; }
  // Reads the source's counters as committed (outside a transaction); what the database has
  // beyond the run's count is in the table, for Drain().
  Status Resync();

  // --- Between batches ---
  // While held, nothing is handed to the bus (start-up: subscribers reconnect first).
  void Hold() { held_ = true; }
  void Release() { held_ = false; }
  bool held() const { return held_; }
  // Hands what is committed and unsent to the bus, in seq order, from memory or, what memory does
  // not hold, from the table. Stops at the first event the bus refuses: it and the rest wait for
  // the next Drain().
  Status Drain();
  // Whether the sent mark is behind what was handed over (a batch writes it too, for free).
  bool mark_behind() const { return published_ > marked_; }
  // Writes the sent mark now.
  Status MarkSent();
  // Deletes the sent events past the retention; returns how many.
  Result<int64_t> Prune(const OutboxRetention& retention, Timestamp now);

 private:
  Envelope Stamp(const OutEvent& event, uint64_t seq, Timestamp at) const;
  Status Send(const StampedEvent& event);

  OutboxStore& store_;
  EventSink& sink_;
  Encoder encode_;
  std::string name_, instance_;
  std::string id_prefix_;
  bool open_ = false;
  bool held_ = false;
  bool stale_ = false;
  EventSourceState state_;
  uint64_t published_ = 0;  // handed to the bus
  uint64_t marked_ = 0;     // the sent mark as the database has it
  // Committed and not yet handed over: a run of consecutive seqs from published_ + 1, or empty.
  std::deque<StampedEvent> queue_;
  // The batch in its transaction: its events and the counter it would leave.
  std::vector<StampedEvent> staged_;
  uint64_t staged_mark_ = 0;
  OutboxStats stats_;
};

}  // namespace so
