#include "rules/timestamp.hpp"

#include <chrono>
#include <cstdio>

namespace so {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly n digits at text[pos...]; advances pos.
bool Digits(std::string_view text, size_t& pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1'000'000;

// Parses "YYYY-MM-DD" of a day that exists, leaves pos after it and returns the days since
// 1970-01-01.
std::optional<int64_t> ParseDay(std::string_view text, size_t& pos) {
  int year, month, day;
  if (!Digits(text, pos, 4, year) || !Expect(text, pos, '-') || !Digits(text, pos, 2, month) ||
      !Expect(text, pos, '-') || !Digits(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month))) {
    return std::nullopt;
  }
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

// Parses "YYYY-MM-DD<sep>HH:MM:SS[.frac]" and leaves pos after it.
std::optional<Timestamp> ParseDateTime(std::string_view text, size_t& pos, bool rfc) {
  const std::optional<int64_t> days = ParseDay(text, pos);
  if (!days) return std::nullopt;
  int hour, minute, second;
  if (pos >= text.size()) return std::nullopt;
  const char sep = text[pos++];
  if (rfc ? (sep != 'T' && sep != 't') : sep != ' ') return std::nullopt;
  if (!Digits(text, pos, 2, hour) || !Expect(text, pos, ':') || !Digits(text, pos, 2, minute) ||
      !Expect(text, pos, ':') || !Digits(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t i = digits; i < 6; ++i) micros *= 10;
  }
  const int64_t secs = *days * 86400 + hour * 3600 + minute * 60 + second;
  return Timestamp{secs * 1'000'000 + micros};
}

std::string Format(Timestamp t, char sep, bool always_fraction, const char* suffix) {
  int64_t secs = t.micros / 1'000'000;
  int64_t micros = t.micros % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  const bool fraction = always_fraction || micros != 0;
  if (y < 0 || y > 9999) {  // not a time the contract has; written all the same
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u%c%02lld:%02lld:%02lld",
                          static_cast<long long>(y), m, d, sep, static_cast<long long>(rem / 3600),
                          static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
    if (fraction) {
      n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%06lld",
                         static_cast<long long>(micros));
    }
    return std::string(buf, static_cast<size_t>(n)) + suffix;
  }
  // By hand: every row the daemon writes carries times, and snprintf showed in its profile.
  std::string out(fraction ? 26 : 19, '0');
  const auto put = [&out](size_t at, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, y, 4);
  out[4] = '-';
  put(5, m, 2);
  out[7] = '-';
  put(8, d, 2);
  out[10] = sep;
  put(11, rem / 3600, 2);
  out[13] = ':';
  put(14, rem / 60 % 60, 2);
  out[16] = ':';
  put(17, rem % 60, 2);
  if (fraction) {
    out[19] = '.';
    put(20, micros, 6);
  }
  return out + suffix;
}

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
constexpr int64_t kFirstInstant = -62'167'219'200LL * 1'000'000;
constexpr int64_t kLastInstant = 253'402'300'800LL * 1'000'000 - 1;

}  // namespace

std::optional<Timestamp> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  auto t = ParseDateTime(text, pos, /*rfc=*/true);
  if (!t || pos >= text.size()) return std::nullopt;
  const char zone = text[pos++];
  if (zone == 'Z' || zone == 'z') return pos == text.size() ? t : std::nullopt;
  if (zone != '+' && zone != '-') return std::nullopt;
  int oh, om;
  if (!Digits(text, pos, 2, oh) || !Expect(text, pos, ':') || !Digits(text, pos, 2, om) ||
      pos != text.size() || oh > 23 || om > 59) {
    return std::nullopt;
  }
  const int64_t offset = (static_cast<int64_t>(oh) * 3600 + om * 60) * 1'000'000;
  t->micros += zone == '+' ? -offset : offset;
  // An offset can carry the instant out of the years 0000-9999 ("0000-01-01T00:00:00+00:01" is
  // in year -1), where it could not be written back in this form.
  if (t->micros < kFirstInstant || t->micros > kLastInstant) return std::nullopt;
  return t;
}

std::string FormatRfc3339(Timestamp t) { return Format(t, 'T', false, "Z"); }

std::string FormatSqlDatetime(Timestamp t) { return Format(t, ' ', true, ""); }

std::optional<Timestamp> ParseSqlDatetime(std::string_view text) {
  size_t pos = 0;
  auto t = ParseDateTime(text, pos, /*rfc=*/false);
  if (!t || pos != text.size()) return std::nullopt;
  return t;
}

Timestamp StartOfDay(Timestamp t) {
  int64_t into_day = t.micros % kMicrosPerDay;
  if (into_day < 0) into_day += kMicrosPerDay;
  return Timestamp{t.micros - into_day};
}

Timestamp AddDays(Timestamp t, int64_t days) { return Timestamp{t.micros + days * kMicrosPerDay}; }

std::string FormatDate(Timestamp t) {
  const std::string s = FormatRfc3339(t);
  return s.substr(0, s.find('T'));
}

std::optional<Timestamp> ParseDate(std::string_view text) {
  size_t pos = 0;
  const std::optional<int64_t> days = ParseDay(text, pos);
  if (!days || pos != text.size()) return std::nullopt;
  return Timestamp{*days * kMicrosPerDay};
}

Timestamp Now() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return Timestamp{us.count()};
}

}  // namespace so
