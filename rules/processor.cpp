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
                     EventSink& events, RetryPolicy policy, Sleep sleep, Reconnect reconnect)
    : engine_(&engine),
      store_(store),
      dead_letters_(dead_letters),
      events_(events),
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

Processed Processor::Process(const Message& message, std::string_view topic, std::string_view raw) {
  Mark("after_receive");
  Processed result;
  Error last;
  bool reconnect_first = false;
  for (int attempt = 1; attempt <= policy_.max_attempts; ++attempt) {
    result.attempts = attempt;
    if (reconnect_first) {
      ++stats_.reconnects;
      Status s = reconnect_();
      if (!s.ok()) {
        last = s.error();
        if (attempt < policy_.max_attempts) sleep_(Backoff(attempt));
        continue;
      }
      reconnect_first = false;
    }
    switch (Attempt(message, result, last)) {
      case Step::kDone:
        if (!result.events.empty()) Mark("before_publish");
        Publish(result.events);
        Count(result);
        return result;
      case Step::kFail:
        return Park(message.envelope.id, topic, raw, last.ToString(), attempt);
      case Step::kRetry:
        ++stats_.retries;
        reconnect_first = last.kind == ErrorKind::kConnection;
        if (attempt < policy_.max_attempts) sleep_(Backoff(attempt));
        break;
    }
  }
  if (last.kind == ErrorKind::kConnection) {
    ++stats_.unavailable;
    result.fate = Fate::kUnavailable;
    result.detail = last.ToString();
    result.events.clear();
    return result;
  }
  return Park(
      message.envelope.id, topic, raw,
      "gave up after " + std::to_string(policy_.max_attempts) + " attempts: " + last.ToString(),
      policy_.max_attempts);
}

// One transaction. A commit whose outcome was lost with the connection leaves result.events set:
// the next attempt finds the inbox row (the commit happened) or applies the message again.
Processor::Step Processor::Attempt(const Message& message, Processed& result, Error& error) {
  const auto fail = [&](const Error& e) {
    store_.Rollback();
    error = e;
    return e.kind == ErrorKind::kPermanent ? Step::kFail : Step::kRetry;
  };
  if (Status s = store_.Begin(); !s.ok()) return fail(s.error());
  Mark("after_begin");
  // The inbox row first: a duplicate costs one statement, and a second daemon on the same
  // stream waits here rather than doing the work twice.
  Result<bool> claimed = store_.InboxClaim(message.envelope);
  if (!claimed.ok()) return fail(claimed.error());
  if (!*claimed) {
    store_.Rollback();
    // The events of an uncertain commit that did happen are still owed to the POS.
    if (result.events.empty()) result.fate = Fate::kDuplicate;
    return Step::kDone;
  }
  result.events.clear();

  Result<Outcome> out = engine_->Apply(message, store_);
  if (!out.ok()) return fail(out.error());
  const bool refused = out->disposition == Disposition::kRefused;
  if (refused) {
    if (Status s = store_.InboxRefused(message.envelope.id, out->detail); !s.ok()) {
      return fail(s.error());
    }
  }
  Mark("after_writes");
  result.fate = refused ? Fate::kRefused : Fate::kApplied;
  result.detail = out->detail;
  Mark("before_commit");
  if (Status s = store_.Commit(); !s.ok()) {
    if (s.error().kind == ErrorKind::kConnection) result.events = std::move(out->events);
    return fail(s.error());
  }
  Mark("after_commit");
  result.events = std::move(out->events);
  return Step::kDone;
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

void Processor::Publish(const std::vector<OutEvent>& events) {
  for (const auto& e : events) {
    if (!events_.Publish(e).ok()) ++stats_.publish_errors;
  }
}

}  // namespace so
