// The JSON side of the POS bus (CONTRACT.md sections 2-4): strict decoding of the 2-frame messages
// into so::Message / so::OutEvent values and compact, deterministic encoding back. Every function
// is pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "rules/messages.hpp"
#include "rules/timestamp.hpp"

namespace so::json {

// Why a message was refused. reason names the path of the offending field
// ("payload.lines[2].quantity: must be an integer > 0"), or "body" when the frame is not a JSON
// object at all; a type the contract does not list gives a reason starting with "unknown type".
struct DecodeError {
  std::string reason;
  // The envelope id, when it is a valid id (a string of 1-64 characters), so that a refused
  // message can still be recorded under its id.
  std::optional<std::string> message_id;
  // The envelope type when it is a string, else the topic frame.
  std::string type;
  // Set when the envelope is valid in full and only its type is not one the contract defines:
  // the envelope as read (its payload is not looked at).
  std::optional<so::Envelope> unknown_type;
};

// Decodes one 2-frame bus message (topic frame, JSON body) from the POS into a typed so::Message,
// enforcing the envelope and payload rules of the contract. Unknown extra fields are ignored at
// every level; a field present twice in the same object is refused as ambiguous; JSON null in an
// optional field (vendor_id, po_id, shipment_id, transfer_id, special_order_ids) reads as absent.
std::variant<so::Message, DecodeError> DecodeMessage(std::string_view topic, std::string_view body);

// As DecodeMessage, for a message the daemon kept (a flight record): also one it made itself, a
// sweep's repair or a clock message, whose seq is 0 (it is in no POS stream).
std::variant<so::Message, DecodeError> DecodeKeptMessage(std::string_view topic,
                                                         std::string_view body);

// The type (and topic) a POS message is published under; it follows from the payload alone.
std::string_view MessageType(const so::Payload& payload);

// Encodes a POS message, the inverse of DecodeMessage (the test POS simulator and tests use it).
// The type written is MessageType(m.payload), whatever m.envelope.type says; v is always 1.
// Optional fields that are nullopt are left out.
std::string EncodeMessage(const so::Message& m);

// Encodes a daemon event with its envelope (v = 1, id, type = so::EventType(e), source, seq,
// occurred_at). Strings that are not valid UTF-8 are written with U+FFFD in place of the bad
// bytes, so the output is always valid JSON.
std::string EncodeEvent(const so::OutEvent& e, const std::string& id, const std::string& source,
                        uint64_t seq, so::Timestamp occurred_at);
// The same with the envelope the outbox gave the event (so::Outbox::Encoder).
std::string EncodeStampedEvent(const so::Envelope& envelope, const so::OutEvent& e);

struct DecodedEvent {
  so::Envelope envelope;
  so::OutEvent event;
};

// The inverse of EncodeEvent, for the simulator and tests that watch the daemon's events. The
// envelope is checked as for DecodeMessage; payloads as CONTRACT section 4 gives them, with ids
// and quantities > 0, non-empty line lists and known status names.
std::variant<DecodedEvent, DecodeError> DecodeEvent(std::string_view topic, std::string_view body);

}  // namespace so::json
