// Applies one decoded message exactly once: a transaction holding the inbox row and the engine's
// writes, retried on transient and connection errors, parked as a dead letter when it cannot be
// applied, and its events published only after the commit. One Processor per thread (it drives
// one HostStore connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rules/engine.hpp"
#include "rules/messages.hpp"
#include "rules/ports.hpp"

namespace so {

struct RetryPolicy {
  // Attempts at one message before it is dead-lettered (transient errors) or reported as the
  // database being unavailable (connection errors). Default 8.
  int max_attempts = 8;
  // Backoff before the second attempt, doubled for each next one, with +-50% jitter. Default 10 ms.
  std::chrono::milliseconds first_backoff{10};
  // Cap of one backoff. Default 2 s.
  std::chrono::milliseconds max_backoff{2000};
};

enum class Fate {
  kApplied,       // committed with its inbox row; events published
  kRefused,       // committed as a recorded refusal; events (special_order.rejected) published
  kDuplicate,     // its id was in the inbox already: nothing changed
  kDeadLettered,  // cannot be applied (undecodable, permanent error, retries exhausted)
  kUnavailable,   // the database could not be reached: nothing changed, try it again later
};

std::string_view ToString(Fate f);

struct Processed {
  Fate fate = Fate::kApplied;
  std::string detail;  // the refusal, dead-letter or unavailability reason
  std::vector<OutEvent> events;
  int attempts = 0;
};

struct ProcessorStats {
  uint64_t applied = 0, refused = 0, duplicates = 0, dead_lettered = 0, unavailable = 0;
  uint64_t retries = 0, reconnects = 0, publish_errors = 0;
};

class Processor {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  // Re-establishes the store's connection; called after a kConnection error.
  using Reconnect = std::function<Status()>;

  Processor(const Engine& engine, HostStore& store, DeadLetterSink& dead_letters, EventSink& events,
            RetryPolicy policy, Sleep sleep, Reconnect reconnect);

  // `topic` and `raw` are the frames as received, kept with a dead letter.
  Processed Process(const Message& message, std::string_view topic, std::string_view raw);

  // Parks a message that could not even be decoded.
  Processed ParkUndecodable(std::optional<std::string> message_id, std::string_view topic,
                            std::string_view raw, std::string reason);

  const ProcessorStats& stats() const { return stats_; }
  void set_engine(const Engine& engine) { engine_ = &engine; }

  // The labelled points of one message's way through, in order: "after_receive", "after_begin",
  // "after_writes", "before_commit", "after_commit", "before_publish". Fault tests crash the
  // daemon at each of them (SO_CRASH_AT in daemon/daemon.cpp, in a test build).
  using Checkpoint = std::function<void(std::string_view label)>;
  void set_checkpoint(Checkpoint checkpoint) { checkpoint_ = std::move(checkpoint); }

 private:
  enum class Step { kDone, kRetry, kFail };
  Step Attempt(const Message& message, Processed& result, Error& error);
  Processed Park(std::optional<std::string> message_id, std::string_view topic,
                 std::string_view raw, std::string reason, int attempts);
  void Publish(const std::vector<OutEvent>& events);
  std::chrono::milliseconds Backoff(int attempt);

  const Engine* engine_;
  HostStore& store_;
  DeadLetterSink& dead_letters_;
  EventSink& events_;
  RetryPolicy policy_;
  Sleep sleep_;
  Reconnect reconnect_;
  void Mark(std::string_view label) {
    if (checkpoint_) checkpoint_(label);
  }

  Checkpoint checkpoint_;
  std::minstd_rand jitter_{12345};
  ProcessorStats stats_;
};

}  // namespace so
