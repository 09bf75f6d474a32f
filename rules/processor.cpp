#include "rules/processor.hpp"

#include <algorithm>

namespace so {

std::string_view ToString(Fate f) {
  switch (f) {
    case Fate::kApplied:
      return "applied";
    case Fate::kRefused:
      return "refused";
    case Fate::kDuplicate:
      return "duplicate";
    case Fate::kDeadLettered:
      return "dead_lettered";
    case Fate::kUnavailable:
      return "unavailable";
  }
  return "?";
}

Processor::Processor(const Engine& engine, HostStore& store, DeadLetterSink& dead_letters,
                     Outbox& outbox, RetryPolicy policy, Sleep sleep, Reconnect reconnect)
    : engine_(&engine),
      store_(store),
      dead_letters_(dead_letters),
      outbox_(outbox),
      policy_(policy),
      sleep_(std::move(sleep)),
      reconnect_(std::move(reconnect)) {}

std::chrono::milliseconds Processor::Backoff(int attempt) {
  auto base = policy_.first_backoff;
  for (int i = 1; i < attempt && base < policy_.max_backoff; ++i) base *= 2;
  base = std::min(base, policy_.max_backoff);
  // +-50% jitter so that two daemons that deadlocked each other do not collide again.
  std::uniform_int_distribution<long long> spread(base.count() / 2, base.count() * 3 / 2);
  return std::chrono::milliseconds(spread(jitter_));
}

// One message is a batch of one: the same transaction, retries and view as a batch's.
bool OwnMessagesTally::Add(const Processed& p) {
  switch (p.fate) {
    case Fate::kApplied:
    case Fate::kRefused:
      ++applied;
      return true;
    case Fate::kDuplicate:
      ++duplicates;
      return true;
    case Fate::kDeadLettered:
      ++failed;
      return true;
    case Fate::kUnavailable:
      ++failed;
      unavailable = true;
      return false;
  }
  return true;
}

Processed Processor::Process(const Message& message, std::string_view topic, std::string_view raw) {
  return ProcessBatch({Delivery{message, std::string(topic), std::string(raw)}}).front();
}

Processed Processor::ParkUndecodable(std::optional<std::string> message_id, std::string_view topic,
                                     std::string_view raw, std::string reason) {
  return Park(std::move(message_id), topic, raw, std::move(reason), 1);
}

Processed Processor::Park(std::optional<std::string> message_id, std::string_view topic,
                          std::string_view raw, std::string reason, int attempts) {
  Processed result;
  result.attempts = attempts;
  result.detail = reason;
  Status s =
      dead_letters_.Park(DeadLetter{std::move(message_id), std::string(topic), std::string(raw),
                                    std::move(reason), engine_->rules().version()});
  if (!s.ok()) {
    // Not even the dead letter could be written: the database is away. Nothing is lost as long
    // as the caller keeps the message and tries again.
    ++stats_.unavailable;
    result.fate = Fate::kUnavailable;
    result.detail += "; the dead letter could not be written: " + s.error().ToString();
    return result;
  }
  ++stats_.dead_lettered;
  result.fate = Fate::kDeadLettered;
  return result;
}

void Processor::Publish(const std::vector<size_t>& todo, std::vector<Processed>& results) {
  Status s = outbox_.Drain();
  if (s.ok()) return;
  ++stats_.publish_errors;
  // On the first message with events, else on the first: the caller logs it either way.
  size_t at = todo.front();
  for (size_t i : todo) {
    if (!results[i].events.empty()) {
      at = i;
      break;
    }
  }
  results[at].publish_error =
      s.error().ToString() + " (what was not sent stays in the outbox, sent after the next batch)";
}

}  // namespace so
