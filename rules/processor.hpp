// Applies decoded messages exactly once: a transaction holding their inbox rows and the engine's
// writes, retried on transient and connection errors, parked as a dead letter when a message
// cannot be applied, and events written to the outbox in the same transaction and published from
// it after the commit (rules/outbox.hpp). One message at a time
// (Process) or a batch in one transaction (ProcessBatch). One Processor per thread (it drives
// one HostStore connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rules/engine.hpp"
#include "rules/messages.hpp"
#include "rules/outbox.hpp"
#include "rules/ports.hpp"

namespace so {

struct RetryPolicy {
  // Attempts at one message before it is dead-lettered (transient errors) or reported as the
  // database being unavailable (connection errors; at once when a reconnect fails). Default 8.
  int max_attempts = 8;
  // Backoff before the second attempt, doubled for each next one, with +-50% jitter. Default 10 ms.
  std::chrono::milliseconds first_backoff{10};
  // Cap of one backoff. Default 2 s.
  std::chrono::milliseconds max_backoff{2000};
};

enum class Fate {
  kApplied,       // committed with its inbox row and its events (in the outbox)
  kRefused,       // committed as a recorded refusal; events (special_order.rejected) as above
  kDuplicate,     // its id was in the inbox already: nothing changed
  kDeadLettered,  // cannot be applied (undecodable, permanent error, retries exhausted)
  kUnavailable,   // the database could not be reached: nothing changed, try it again later
};

std::string_view ToString(Fate f);

struct Processed {
  Fate fate = Fate::kApplied;
  std::string detail;  // the refusal, dead-letter or unavailability reason
  // Set when the bus refused an event after the commit (the first such): it and the ones after
  // it stay in the outbox and go with the next Outbox::Drain(). The caller logs it.
  std::string publish_error;
  std::vector<OutEvent> events;
  int attempts = 0;
  // Why each attempt before the last failed (Error::ToString, in order): logged with the fate,
  // so that a message that needed retries says what it waited for.
  std::vector<std::string> retried_because;
};

// The fates of a run of the daemon's own messages (the sweep's repairs, the clock's messages).
struct OwnMessagesTally {
  int applied = 0;           // applied (or refused) now
  int duplicates = 0;        // applied before (before a restart, or by another daemon)
  int failed = 0;            // dead-lettered or unavailable
  bool unavailable = false;  // the database was away: a later run tries again
  // Counts `p`; false when the database is away and the run is to stop.
  bool Add(const Processed& p);
};

struct ProcessorStats {
  uint64_t applied = 0, refused = 0, duplicates = 0, dead_lettered = 0, unavailable = 0;
  uint64_t retries = 0, reconnects = 0, publish_errors = 0;
  // Transactions of ProcessBatch that committed, and batches cut in two after repeated failures.
  uint64_t batches = 0, splits = 0;
  // Messages applied without a flight record, the recorder's own reads having failed for good.
  uint64_t unrecorded = 0;
  // The errors that made a transaction run again (or a reconnect fail), by cause: 1213 (a
  // deadlock; on Galera also a commit that failed certification against another node's),
  // 1205 (a lock wait timeout), 1047 (a Galera node out of the primary component or not ready),
  // a lost or refused connection, anything else transient.
  uint64_t conflicts = 0, lock_wait_timeouts = 0, nodes_not_ready = 0, connection_errors = 0,
           other_transient = 0;
};

// One message as it came: decoded, with its frames (kept with a dead letter).
struct Delivery {
  Message message;
  std::string topic;
  std::string raw;
  // When the bus reader took it off the socket (for the receive-to-commit latency); the epoch
  // when it did not come off the bus.
  std::chrono::steady_clock::time_point received_at{};
};

class Processor {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  // Re-establishes the store's connection; called after a kConnection error.
  using Reconnect = std::function<Status()>;

  // `outbox` is open (Outbox::Open()) before the first message.
  Processor(const Engine& engine, HostStore& store, DeadLetterSink& dead_letters, Outbox& outbox,
            RetryPolicy policy, Sleep sleep, Reconnect reconnect);

  // `topic` and `raw` are the frames as received, kept with a dead letter.
  Processed Process(const Message& message, std::string_view topic, std::string_view raw);

  // Applies the messages in one transaction, in order, each message seeing what the ones before
  // it wrote (rules/batch_view.hpp): one claim of their inbox rows, set-wise reads, the engine
  // on each, the writes in one go, one COMMIT, then every event. What does not change from
  // Process(): each message is applied once and in order; a refusal touches only its own
  // message; a message that fails permanently is taken out and dead-lettered while the others
  // commit; a deadlock or a lost connection runs the batch again, and a batch that keeps failing
  // is cut in two, so that one bad message cannot hold the others back. A message id that comes
  // twice in the batch starts a new transaction, so that the copy finds the first's inbox row.
  // Returns one Processed per delivery, in order.
  std::vector<Processed> ProcessBatch(const std::vector<Delivery>& batch);

  // Parks a message that could not even be decoded.
  Processed ParkUndecodable(std::optional<std::string> message_id, std::string_view topic,
                            std::string_view raw, std::string reason);

  const ProcessorStats& stats() const { return stats_; }
  void set_engine(const Engine& engine) { engine_ = &engine; }
  const RuleSet& rules() const { return engine_->rules(); }
  // Whether each applied message is recorded, with what it read and decided, in the same
  // transaction (rules/recorder.hpp; WriteSet::flight_records). Off by default.
  void set_recording(bool on) { recording_ = on; }

  // The labelled points of one message's way through, in order: "after_receive", "after_begin",
  // "after_writes", "before_commit", "after_commit", "before_publish". Fault tests crash the
  // daemon at each of them (SO_CRASH_AT in daemon/daemon.cpp, in a test build).
  using Checkpoint = std::function<void(std::string_view label)>;
  void set_checkpoint(Checkpoint checkpoint) { checkpoint_ = std::move(checkpoint); }

  // Called with a kFatal error (another run of the daemon took its event source): the batch is
  // left unapplied (Fate::kUnavailable) and the daemon is to stop.
  using OnFatal = std::function<void(const Error&)>;
  void set_on_fatal(OnFatal on_fatal) { on_fatal_ = std::move(on_fatal); }

 private:
  // kStop: a kFatal error; the daemon is to stop.
  enum class Step { kDone, kRetry, kFail, kStop };
  static Step StepFor(const Error& e);
  // One transaction over batch[todo...]; fills `results` for them. kFail with `failed` set: that
  // message fails permanently (the others may still commit without it); kFail without: the
  // batch's writes or commit failed permanently, no message to blame.
  struct BatchStep {
    Step step = Step::kDone;
    std::optional<size_t> failed;
    // The COMMIT's answer was lost with the connection: whether this message's inbox row is
    // there tells whether the batch committed.
    std::optional<std::string> uncertain;
  };
  BatchStep AttemptBatch(const std::vector<Delivery>& batch, const std::vector<size_t>& todo,
                         std::vector<Processed>& results, Error& error);
  void RunBatch(const std::vector<Delivery>& batch, std::vector<size_t> todo,
                std::vector<Processed>& results);
  // After a COMMIT whose answer was lost: whether the message's inbox row is there.
  Result<bool> Committed(const std::string& message_id);
  void Count(const Processed& p);
  void CountCause(const Error& e);
  Processed Park(std::optional<std::string> message_id, std::string_view topic,
                 std::string_view raw, std::string reason, int attempts);
  // Hands the committed events (these and any before them not yet sent) to the bus; a failure
  // is named in the publish_error of the first result with events, else of the first.
  void Publish(const std::vector<size_t>& todo, std::vector<Processed>& results);
  std::chrono::milliseconds Backoff(int attempt);

  const Engine* engine_;
  HostStore& store_;
  DeadLetterSink& dead_letters_;
  Outbox& outbox_;
  RetryPolicy policy_;
  Sleep sleep_;
  Reconnect reconnect_;
  void Mark(std::string_view label) {
    if (checkpoint_) checkpoint_(label);
  }

  Checkpoint checkpoint_;
  OnFatal on_fatal_;
  bool recording_ = false;
  std::minstd_rand jitter_{12345};
  ProcessorStats stats_;
};

}  // namespace so
