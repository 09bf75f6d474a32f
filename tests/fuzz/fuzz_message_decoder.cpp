// libFuzzer target: the JSON codec (adapters/json_codec.hpp) against hostile bus input.
//
// An input is one bus message: its first line is the topic frame and the rest is the JSON body
// (an input without a newline is a topic with an empty body). Both DecodeMessage and DecodeEvent
// read it. A refusal must give a reason. Whatever decodes must survive a round trip: its encoding
// decodes again, under the same topic, to a value that encodes to the same bytes. Anything else
// aborts, which libFuzzer reports as a crash; the sanitizers catch the rest.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/json_codec.hpp"
#include "rules/messages.hpp"

namespace {

using so::json::DecodedEvent;
using so::json::DecodeError;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_message_decoder: %.*s\n  %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// A refusal names its reason; an id it reports is one the envelope could carry (1-64 characters,
// so 1-256 bytes of UTF-8).
void CheckRefusal(const DecodeError& err) {
  if (err.reason.empty()) Fail("a refusal without a reason", err.type);
  if (err.message_id && (err.message_id->empty() || err.message_id->size() > 4 * 64)) {
    Fail("a refusal with an impossible message id", *err.message_id);
  }
}

void CheckEnvelope(const so::Envelope& env, std::string_view topic) {
  if (env.v != 1) Fail("decoded envelope with v != 1", topic);
  if (env.type != topic) Fail("decoded envelope type differs from the topic", env.type);
  if (env.id.empty() || env.seq < 1 || env.source.empty()) {
    Fail("decoded envelope breaks the contract (id, seq or source)", env.id);
  }
}

bool SameEnvelope(const so::Envelope& a, const so::Envelope& b) {
  return a.v == b.v && a.id == b.id && a.type == b.type && a.source == b.source && a.seq == b.seq &&
         a.occurred_at == b.occurred_at;
}

void CheckMessageRoundTrip(std::string_view topic, const so::Message& m) {
  CheckEnvelope(m.envelope, topic);
  if (so::json::MessageType(m.payload) != topic) Fail("payload type differs from the topic", topic);
  const std::string first = so::json::EncodeMessage(m);
  const auto again = so::json::DecodeMessage(topic, first);
  if (const auto* err = std::get_if<DecodeError>(&again)) {
    Fail("the encoding of a decoded message is refused: " + err->reason, first);
  }
  const so::Message& m2 = std::get<so::Message>(again);
  if (!SameEnvelope(m.envelope, m2.envelope)) {
    Fail("message envelope changed in a round trip", first);
  }
  const std::string second = so::json::EncodeMessage(m2);
  if (second != first) Fail("message encoding is not stable", first + "\n  " + second);
}

void CheckEventRoundTrip(std::string_view topic, const DecodedEvent& d) {
  CheckEnvelope(d.envelope, topic);
  if (so::EventType(d.event) != topic) Fail("event type differs from the topic", topic);
  const so::Envelope& env = d.envelope;
  const std::string first =
      so::json::EncodeEvent(d.event, env.id, env.source, env.seq, env.occurred_at);
  const auto again = so::json::DecodeEvent(topic, first);
  if (const auto* err = std::get_if<DecodeError>(&again)) {
    Fail("the encoding of a decoded event is refused: " + err->reason, first);
  }
  const DecodedEvent& d2 = std::get<DecodedEvent>(again);
  if (!SameEnvelope(env, d2.envelope)) Fail("event envelope changed in a round trip", first);
  const std::string second = so::json::EncodeEvent(d2.event, d2.envelope.id, d2.envelope.source,
                                                   d2.envelope.seq, d2.envelope.occurred_at);
  if (second != first) Fail("event encoding is not stable", first + "\n  " + second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view topic = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  const auto message = so::json::DecodeMessage(topic, body);
  if (const auto* m = std::get_if<so::Message>(&message)) {
    CheckMessageRoundTrip(topic, *m);
  } else {
    CheckRefusal(std::get<DecodeError>(message));
  }

  const auto event = so::json::DecodeEvent(topic, body);
  if (const auto* d = std::get_if<DecodedEvent>(&event)) {
    CheckEventRoundTrip(topic, *d);
  } else {
    CheckRefusal(std::get<DecodeError>(event));
  }

  // The topic sets of the two directions are disjoint.
  if (std::holds_alternative<so::Message>(message) && std::holds_alternative<DecodedEvent>(event)) {
    Fail("decoded both as a POS message and as a daemon event", topic);
  }
  return 0;
}
