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

}  // namespace
}  // namespace so
