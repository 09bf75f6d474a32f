// FakeStore as the OutboxStore, and the outbox's part of ApplyWrites(): what
// adapters/mysql/mysql_outbox.cpp does, on FakeDb's rows.
#include <algorithm>
#include <stdexcept>

#include "adapters/json_codec.hpp"
#include "tests/fakes/fake_store.hpp"

namespace so::fakes {
namespace {

Error Taken(const std::string& name, const std::string& instance) {
  return Error{ErrorKind::kFatal, 0,
               "the event source '" + name + "' is no longer this daemon's (" + instance + ")"};
}

}  // namespace

Status FakeStore::WriteOutbox(const WriteSet& w) {
  if (auto e = Tick()) return *e;
  if (w.event_source) {
    const WriteSet::EventSourceAdvance& a = *w.event_source;
    auto it = db.event_sources.find(a.name);
    if (it == db.event_sources.end() || it->second.instance != a.instance) {
      return Taken(a.name, a.instance);
    }
    if (it->second.last_seq != a.from_seq) {
      return Error{ErrorKind::kTransient, 0,
                   "the event source '" + a.name + "' is at seq " +
                       std::to_string(it->second.last_seq) + ", the run counted " +
                       std::to_string(a.from_seq)};
    }
    if (undo_ && !undo_->event_sources) undo_->event_sources = db.event_sources;
    it->second.last_seq = a.last_seq;
    it->second.sent_seq = std::max(it->second.sent_seq, a.sent_seq);
  }
  for (const StampedEvent& e : w.events) {
    for (const FakeDb::OutboxRow& row : db.outbox) {
      if (row.event.envelope.source == e.envelope.source &&
          row.event.envelope.seq == e.envelope.seq) {
        return Error{ErrorKind::kPermanent, 1062, "Duplicate entry for key 'PRIMARY' (sod_outbox)"};
      }
    }
    db.outbox.push_back({e, db.now});
  }
  return Status();
}

Result<EventSourceState> FakeStore::ReadEventSource(const std::string& name,
                                                    const std::string& instance) {
  if (auto e = Tick()) return *e;
  auto it = db.event_sources.find(name);
  if (it == db.event_sources.end() || it->second.instance != instance) {
    return Taken(name, instance);
  }
  return EventSourceState{it->second.source, it->second.last_seq, it->second.sent_seq};
}

Result<EventSourceState> FakeStore::ClaimEventSource(const std::string& name,
                                                     const std::string& instance, Timestamp now) {
  if (auto e = Tick()) return *e;
  auto [it, made] = db.event_sources.try_emplace(name);
  if (made) it->second.source = name + "#" + FormatRfc3339(now);
  it->second.instance = instance;
  return EventSourceState{it->second.source, it->second.last_seq, it->second.sent_seq};
}

Result<std::vector<StampedEvent>> FakeStore::ReadOutbox(const std::string& source,
                                                        uint64_t after_seq, int limit) {
  if (auto e = Tick()) return *e;
  std::vector<StampedEvent> out;
  for (const FakeDb::OutboxRow& row : db.outbox) {
    if (row.event.envelope.source != source || row.event.envelope.seq <= after_seq) continue;
    // Read back as the table keeps it: the envelope and the bytes.
    out.push_back(StampedEvent{row.event.envelope, row.event.body, std::nullopt});
  }
  std::sort(out.begin(), out.end(), [](const StampedEvent& a, const StampedEvent& b) {
    return a.envelope.seq < b.envelope.seq;
  });
  if (out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

Status FakeStore::MarkEventsSent(const std::string& name, const std::string& instance,
                                 uint64_t sent_seq) {
  if (auto e = Tick()) return *e;
  auto it = db.event_sources.find(name);
  if (it == db.event_sources.end() || it->second.instance != instance) {
    return Taken(name, instance);
  }
  it->second.sent_seq = std::max(it->second.sent_seq, sent_seq);
  return Status();
}

Result<int64_t> FakeStore::PruneOutbox(const std::string& source, uint64_t sent_seq,
                                       uint64_t last_seq, const OutboxRetention& retention,
                                       Timestamp now) {
  if (auto e = Tick()) return *e;
  const uint64_t max_rows = static_cast<uint64_t>(std::max<int64_t>(retention.max_rows, 0));
  const uint64_t beyond_count = last_seq > max_rows ? last_seq - max_rows : 0;
  uint64_t beyond_age = sent_seq;
  const Timestamp cut_off = AddDays(now, -retention.retention_days);
  for (const FakeDb::OutboxRow& row : db.outbox) {
    const Envelope& e = row.event.envelope;
    if (e.source == source && e.seq <= sent_seq && row.written_at >= cut_off) {
      beyond_age = std::min(beyond_age, e.seq - 1);
    }
  }
  const uint64_t cut = std::min(sent_seq, std::max(beyond_age, beyond_count));
  const size_t before = db.outbox.size();
  std::erase_if(db.outbox, [&](const FakeDb::OutboxRow& row) {
    return row.event.envelope.source == source && row.event.envelope.seq <= cut;
  });
  return static_cast<int64_t>(before - db.outbox.size());
}

std::unique_ptr<Outbox> OpenOutbox(FakeStore& store, EventSink& sink, const std::string& name) {
  auto outbox =
      std::make_unique<Outbox>(store, sink, &json::EncodeStampedEvent, name, name + "-run");
  if (Status s = outbox->Open(store.db.now); !s.ok()) {
    throw std::runtime_error("OpenOutbox: " + s.error().ToString());
  }
  return outbox;
}

}  // namespace so::fakes
