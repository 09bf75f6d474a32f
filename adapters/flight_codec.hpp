// The flight recorder's records as bytes (rules/flight_record.hpp): MessagePack (msgpack-c, the
// Debian package libmsgpack-cxx-dev), each row an array of its fields in declaration order, the
// message as the JSON the bus carries (adapters/json_codec.hpp), so that a record decodes with the
// same checks as a message off the bus. A version number leads; a record of another version is
// refused, not guessed at.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "rules/flight_record.hpp"

namespace so::flight {

// Bumped when the layout changes; records of another version are refused by Decode, except
// format 1 (before the clock rows were recorded), read as having found no clock rows.
inline constexpr int kFormatVersion = 2;

std::string Encode(const FlightRecord& record);

// The record, or why these bytes are not one.
std::variant<FlightRecord, std::string> Decode(std::string_view bytes);

}  // namespace so::flight
