// Processor::ProcessBatch: many messages in one transaction over a BatchView.
#include <optional>
#include <set>

#include "rules/batch_view.hpp"
#include "rules/processor.hpp"
#include "rules/recorder.hpp"

namespace so {
namespace {

// Failed attempts after which a batch of more than one message is cut in two: a deadlock that
// comes back may be the batch's size, not bad luck.
constexpr int kSplitAfterAttempts = 2;


}  // namespace

Processor::Step Processor::StepFor(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kPermanent:
      return Step::kFail;
    case ErrorKind::kFatal:
      return Step::kStop;
    case ErrorKind::kTransient:
    case ErrorKind::kConnection:
      break;
  }
  return Step::kRetry;
}

std::vector<Processed> Processor::ProcessBatch(const std::vector<Delivery>& batch) {
  std::vector<Processed> results(batch.size());
  std::vector<size_t> todo;
  std::set<std::string> ids;
  for (size_t i = 0; i < batch.size(); ++i) {
    Mark("after_receive");
    if (!ids.insert(batch[i].message.envelope.id).second) {
      RunBatch(batch, std::move(todo), results);
      todo.clear();
      ids = {batch[i].message.envelope.id};
    }
    todo.push_back(i);
  }
  RunBatch(batch, std::move(todo), results);
  return results;
}

void Processor::RunBatch(const std::vector<Delivery>& batch, std::vector<size_t> todo,
                         std::vector<Processed>& results) {
  Error last;
  bool reconnect_first = false;
  std::optional<std::string> uncertain;  // the last attempt's COMMIT may have happened
  int attempt = 0;
  const auto split = [&] {
    ++stats_.splits;
    const auto middle = todo.begin() + static_cast<std::ptrdiff_t>(todo.size() / 2);
    RunBatch(batch, std::vector<size_t>(todo.begin(), middle), results);
    RunBatch(batch, std::vector<size_t>(middle, todo.end()), results);
  };
  const auto park = [&](size_t i, std::string reason, int attempts) {
    const Delivery& d = batch[i];
    results[i] = Park(d.message.envelope.id, d.topic, d.raw, std::move(reason), attempts);
  };
  while (!todo.empty()) {
    ++attempt;
    for (size_t i : todo) results[i].attempts = attempt;
    if (reconnect_first) {
      ++stats_.reconnects;
      if (Status s = reconnect_(); !s.ok()) {
        last = s.error();
        CountCause(last);
        for (size_t i : todo) results[i].retried_because.push_back(last.ToString());
        // No node can be reached: the database is away. The caller holds the batch and tries
        // again later, rather than this loop waiting through every node's connect timeout at
        // each attempt (with `database.hosts`, a node that hangs costs connect_timeout_s each).
        if (last.kind == ErrorKind::kConnection || attempt >= policy_.max_attempts) break;
        sleep_(Backoff(attempt));
        continue;
      }
      reconnect_first = false;
    }
    BatchStep step;
    if (uncertain) {
      // The batch committed as a whole or not at all: one inbox row tells which.
      Result<bool> done = Committed(*uncertain);
      if (!done.ok()) {
        last = done.error();
        step.step = StepFor(last);
        step.uncertain = uncertain;
      } else if (!*done) {
        uncertain.reset();
        step = AttemptBatch(batch, todo, results, last);
      }
    } else {
      step = AttemptBatch(batch, todo, results, last);
    }
    switch (step.step) {
      case Step::kDone: {
        ++stats_.batches;
        outbox_.Committed();
        bool any_events = false;
        for (size_t i : todo) any_events = any_events || !results[i].events.empty();
        if (any_events) Mark("before_publish");
        Publish(todo, results);
        for (size_t i : todo) Count(results[i]);
        return;
      }
      case Step::kStop:
        for (size_t i : todo) {
          ++stats_.unavailable;
          results[i].fate = Fate::kUnavailable;
          results[i].detail = last.ToString();
          results[i].events.clear();
        }
        if (on_fatal_) on_fatal_(last);
        return;
      case Step::kFail:
        if (step.failed) {
          // Taken out: the others start again without it.
          park(*step.failed, last.ToString(), attempt);
          std::erase(todo, *step.failed);
          attempt = 0;
          continue;
        }
        if (todo.size() == 1) return park(todo.front(), last.ToString(), attempt);
        return split();
      case Step::kRetry:
        outbox_.MarkStale();
        ++stats_.retries;
        CountCause(last);
        for (size_t i : todo) results[i].retried_because.push_back(last.ToString());
        uncertain = step.uncertain;
        reconnect_first = last.kind == ErrorKind::kConnection;
        if (!reconnect_first && todo.size() > 1 && attempt >= kSplitAfterAttempts) {
          return split();
        }
        if (attempt >= policy_.max_attempts) break;
        sleep_(Backoff(attempt));
        continue;
    }
    break;
  }
  if (todo.empty()) return;
  // Out of attempts: the database is away (held for later) or the message keeps failing.
  for (size_t i : todo) {
    if (last.kind == ErrorKind::kConnection) {
      ++stats_.unavailable;
      results[i].fate = Fate::kUnavailable;
      results[i].detail = last.ToString();
      results[i].events.clear();
    } else {
      park(
          i,
          "gave up after " + std::to_string(policy_.max_attempts) + " attempts: " + last.ToString(),
          policy_.max_attempts);
    }
  }
}

Processor::BatchStep Processor::AttemptBatch(const std::vector<Delivery>& batch,
                                             const std::vector<size_t>& todo,
                                             std::vector<Processed>& results, Error& error) {
  const auto fail = [&](const Error& e, std::optional<size_t> failed = std::nullopt,
                        std::optional<std::string> uncertain = std::nullopt) {
    store_.Rollback();
    error = e;
    return BatchStep{StepFor(e), failed, uncertain};
  };
  // What an earlier attempt staged is not this one's (it may find its messages duplicates), and
  // an earlier attempt whose COMMIT answer was lost may have moved the source's count.
  outbox_.Discard();
  if (outbox_.stale()) {
    if (Status s = outbox_.Resync(); !s.ok()) return fail(s.error());
  }
  if (Status s = store_.Begin(); !s.ok()) return fail(s.error());
  Mark("after_begin");
  std::vector<Envelope> envelopes;
  for (size_t i : todo) envelopes.push_back(batch[i].message.envelope);
  // The inbox rows first, as for one message: a duplicate costs nothing more, and a second
  // daemon on the same stream waits here rather than doing the work twice.
  Result<std::vector<bool>> claimed = store_.InboxClaimAll(envelopes);
  if (!claimed.ok()) return fail(claimed.error());
  std::vector<size_t> fresh;
  std::vector<const Message*> messages;
  for (size_t k = 0; k < todo.size(); ++k) {
    Processed& r = results[todo[k]];
    r.events.clear();
    r.detail.clear();
    if (!(*claimed)[k]) {
      r.fate = Fate::kDuplicate;
      continue;
    }
    fresh.push_back(todo[k]);
    messages.push_back(&batch[todo[k]].message);
  }
  if (fresh.empty()) {
    store_.Rollback();
    return BatchStep{};
  }

  BatchView view(store_);
  if (Status s = view.Prefetch(messages, recording_); !s.ok()) return fail(s.error());
  for (size_t i : fresh) {
    const Message& m = batch[i].message;
    const auto failed = [&](const Error& e) {
      return e.kind == ErrorKind::kPermanent ? fail(e, i) : fail(e);
    };
    std::optional<Recorder> recorder;
    if (recording_) {
      recorder.emplace(view, Recorder::Mode::kRecord);
      // The recorder's own reads failing for good costs the record, not the message.
      if (Status s = recorder->Widen(m); !s.ok()) {
        if (s.error().kind != ErrorKind::kPermanent) return failed(s.error());
        recorder.reset();
        ++stats_.unrecorded;
      }
    }
    Result<Outcome> out = recorder ? engine_->Apply(m, *recorder) : engine_->Apply(m, view);
    if (!out.ok()) return failed(out.error());
    if (recorder) {
      Result<FlightRecord> record = recorder->Finish(m, *out);
      if (!record.ok()) return failed(record.error());
      record->rules_version = engine_->rules().version();
      view.Record(std::move(*record));
    }
    const bool refused = out->disposition == Disposition::kRefused;
    if (refused) {
      if (Status s = view.InboxRefused(m.envelope.id, out->detail); !s.ok()) return fail(s.error());
    }
    results[i].fate = refused ? Fate::kRefused : Fate::kApplied;
    results[i].detail = std::move(out->detail);
    results[i].events = std::move(out->events);
  }
  // The events get the store's ids and their envelopes, and go into the outbox with the writes.
  std::vector<std::pair<Timestamp, const OutEvent*>> events;
  const auto complete = [&](WriteSet& writes) {
    for (size_t i : fresh) {
      for (OutEvent& e : results[i].events) {
        view.Resolve(e);
        events.emplace_back(batch[i].message.envelope.occurred_at, &e);
      }
      results[i].detail = view.Resolve(std::move(results[i].detail));
    }
    outbox_.Stage(events, writes);
  };
  if (Status s = view.Flush(complete); !s.ok()) return fail(s.error());
  Mark("after_writes");
  Mark("before_commit");
  if (Status s = store_.Commit(); !s.ok()) {
    if (s.error().kind != ErrorKind::kConnection) return fail(s.error());
    return fail(s.error(), std::nullopt, batch[fresh.front()].message.envelope.id);
  }
  Mark("after_commit");
  return BatchStep{};
}

Result<bool> Processor::Committed(const std::string& message_id) {
  if (Status s = store_.Begin(); !s.ok()) return s.error();
  Result<bool> has = store_.InboxHas(message_id);
  store_.Rollback();
  return has;
}

void Processor::CountCause(const Error& e) {
  switch (e.code) {
    case 1213:
      ++stats_.conflicts;
      return;
    case 1205:
      ++stats_.lock_wait_timeouts;
      return;
    case 1047:
      ++stats_.nodes_not_ready;
      return;
    default:
      break;
  }
  ++(e.kind == ErrorKind::kConnection ? stats_.connection_errors : stats_.other_transient);
}

void Processor::Count(const Processed& p) {
  switch (p.fate) {
    case Fate::kApplied:
      ++stats_.applied;
      break;
    case Fate::kRefused:
      ++stats_.refused;
      break;
    case Fate::kDuplicate:
      ++stats_.duplicates;
      break;
    case Fate::kDeadLettered:
    case Fate::kUnavailable:
      break;  // counted where they happen
  }
}

}  // namespace so
