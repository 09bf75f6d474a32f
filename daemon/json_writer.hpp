// What the read-only tools' JSON reports (check, simulate, simulate --open) share: rapidjson's
// Writer, and the values they write the same way.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string_view>

#include "rules/model.hpp"
#include "rules/timestamp.hpp"

namespace so::daemon {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void Str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// A number, or null.
inline void OptId(JsonWriter& w, const std::optional<Id>& id) {
  if (id) {
    w.Int64(*id);
  } else {
    w.Null();
  }
}

// RFC 3339, or null.
inline void OptTime(JsonWriter& w, const std::optional<Timestamp>& t) {
  if (t) {
    Str(w, FormatRfc3339(*t));
  } else {
    w.Null();
  }
}

}  // namespace so::daemon
