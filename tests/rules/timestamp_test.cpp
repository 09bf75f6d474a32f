#include "rules/timestamp.hpp"

#include <gtest/gtest.h>

namespace so {
namespace {

TEST(TimestampTest, ParsesUtcAndOffsetsToTheSameInstant) {
  auto z = ParseRfc3339("2026-11-29T20:16:16Z");
  auto plus = ParseRfc3339("2026-11-29T21:16:16+01:00");
  auto minus = ParseRfc3339("2026-11-29T15:46:16-04:30");
  ASSERT_TRUE(z && plus && minus);
  EXPECT_EQ(*z, *plus);
  EXPECT_EQ(*z, *minus);
  EXPECT_EQ(FormatRfc3339(*z), "2026-11-29T20:16:16Z");
}

TEST(TimestampTest, KeepsFractionToTheMicrosecond) {
  auto t = ParseRfc3339("2024-02-29T23:59:59.1234567Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2024-02-29T23:59:59.123456Z");
  EXPECT_EQ(FormatSqlDatetime(*t), "2024-02-29 23:59:59.123456");
  EXPECT_EQ(ParseSqlDatetime("2024-02-29 23:59:59.123456"), t);
  EXPECT_EQ(FormatSqlDatetime(*ParseRfc3339("1970-01-01T00:00:00Z")), "1970-01-01 00:00:00.000000");
}

TEST(TimestampTest, RejectsWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2026-11-29", "2026-11-29T20:16:16", "2026-11-29 20:16:16Z", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-29T24:00:00Z",
        "2026-11-29T20:16:16.Z", "2026-11-29T20:16:16Zjunk", "2026-11-29T20:16:16+0100",
        "26-11-29T20:16:16Z", "2026-11-29T20:16:16.1234567890Z",
        // an offset that carries the instant out of the years 0000-9999
        "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(TimestampTest, TheWholeRangeOfYearsIsKept) {
  auto first = ParseRfc3339("0000-01-01T00:01:00+00:01");
  auto last = ParseRfc3339("9999-12-31T23:58:59.999999-00:01");
  ASSERT_TRUE(first && last);
  EXPECT_EQ(FormatRfc3339(*first), "0000-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(*last), "9999-12-31T23:59:59.999999Z");
}

TEST(TimestampTest, RoundTripsAcrossCenturies) {
  for (const char* s : {"1999-12-31T23:59:59Z", "2000-02-29T12:00:00Z", "2100-03-01T00:00:00Z",
                        "1969-07-20T20:17:40.5Z"}) {
    auto t = ParseRfc3339(s);
    ASSERT_TRUE(t) << s;
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(*t)), t);
    EXPECT_EQ(ParseSqlDatetime(FormatSqlDatetime(*t)), t);
  }
}

TEST(TimestampTest, StartOfDayIsMidnightUtcOfTheSameDay) {
  EXPECT_EQ(StartOfDay(*ParseRfc3339("2026-12-10T23:59:59.999999Z")),
            *ParseRfc3339("2026-12-10T00:00:00Z"));
  EXPECT_EQ(StartOfDay(*ParseRfc3339("2026-12-10T00:00:00Z")),
            *ParseRfc3339("2026-12-10T00:00:00Z"));
  // The UTC day, not the day of the offset it was written in.
  EXPECT_EQ(StartOfDay(*ParseRfc3339("2026-12-10T01:00:00+02:00")),
            *ParseRfc3339("2026-12-09T00:00:00Z"));
  // Before 1970 the day is still the one the instant is in.
  EXPECT_EQ(StartOfDay(*ParseRfc3339("1969-12-31T23:00:00Z")),
            *ParseRfc3339("1969-12-31T00:00:00Z"));
}

TEST(TimestampTest, AddDaysCountsWholeDaysAcrossMonthsAndLeapDays) {
  const Timestamp t = *ParseRfc3339("2028-02-27T10:30:00.5Z");
  EXPECT_EQ(FormatRfc3339(AddDays(t, 2)), "2028-02-29T10:30:00.500000Z");
  EXPECT_EQ(FormatRfc3339(AddDays(t, 3)), "2028-03-01T10:30:00.500000Z");
  EXPECT_EQ(FormatRfc3339(AddDays(t, -58)), "2027-12-31T10:30:00.500000Z");
  EXPECT_EQ(AddDays(t, 0), t);
}

TEST(TimestampTest, FormatDateGivesTheUtcDay) {
  EXPECT_EQ(FormatDate(*ParseRfc3339("2026-12-10T23:59:59.999999Z")), "2026-12-10");
  EXPECT_EQ(FormatDate(*ParseRfc3339("2026-12-10T23:30:00-01:00")), "2026-12-11");
  EXPECT_EQ(FormatDate(*ParseRfc3339("0001-01-01T00:00:00Z")), "0001-01-01");
  EXPECT_EQ(FormatDate(*ParseRfc3339("1969-12-31T23:59:59Z")), "1969-12-31");
}

TEST(TimestampTest, ParseDateTakesDaysThatExistOnly) {
  EXPECT_EQ(ParseDate("2026-12-10"), ParseRfc3339("2026-12-10T00:00:00Z"));
  EXPECT_EQ(ParseDate("2028-02-29"), ParseRfc3339("2028-02-29T00:00:00Z"));
  for (const char* bad :
       {"", "2026-12-1", "2026-12-10T00:00:00Z", "2026-12-10 ", "2026-02-29", "2026-13-01",
        "2026-00-10", "2026-12-00", "2026-12-32", "26-12-10", "2026/12/10"}) {
    EXPECT_FALSE(ParseDate(bad)) << bad;
  }
  for (const char* day : {"1970-01-01", "1969-12-31", "2000-02-29", "9999-12-31"}) {
    ASSERT_TRUE(ParseDate(day)) << day;
    EXPECT_EQ(FormatDate(*ParseDate(day)), day);
    EXPECT_EQ(StartOfDay(*ParseDate(day)), *ParseDate(day));
  }
}

}  // namespace
}  // namespace so
