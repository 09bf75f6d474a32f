// Points in time as the contract carries them (RFC 3339, UTC) and as the database stores them
// (DATETIME(6), UTC). Pure functions and a value type; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace so {

// Microseconds since 1970-01-01T00:00:00Z.
struct Timestamp {
  int64_t micros = 0;
  auto operator<=>(const Timestamp&) const = default;
};

// Parses "2026-11-29T20:16:16Z", "2026-11-29T20:16:16.123456+01:00" and the like: date, 'T' (or
// 't'), time, optional fraction (up to 9 digits; kept to the microsecond), then 'Z' or an offset.
// Returns nullopt for anything else, including impossible dates (Feb 30) and out-of-range fields.
std::optional<Timestamp> ParseRfc3339(std::string_view text);

// "2026-11-29T20:16:16.123456Z"; the fraction is left out when it is zero.
std::string FormatRfc3339(Timestamp t);

// "2026-11-29 20:16:16.123456", the form MariaDB takes for a DATETIME(6) column.
std::string FormatSqlDatetime(Timestamp t);

// Parses the form above (fraction optional), as MariaDB returns it.
std::optional<Timestamp> ParseSqlDatetime(std::string_view text);

// Calendar days, as the daemon's promised dates are kept: a day is the instant of its midnight
// UTC (days are counted in UTC everywhere, whatever the store's time zone).
// The midnight UTC that starts the day of `t`.
Timestamp StartOfDay(Timestamp t);
// `t` moved by whole days of 24 hours (negative: back).
Timestamp AddDays(Timestamp t, int64_t days);
// "2026-12-10": the UTC day of `t`.
std::string FormatDate(Timestamp t);
// Parses "2026-12-10" (a day that exists) to its midnight UTC; nullopt for anything else.
std::optional<Timestamp> ParseDate(std::string_view text);

// The current wall-clock time, for the daemon's and the tools' own stamps (never read by the
// engine, whose times come from the messages).
Timestamp Now();

}  // namespace so
