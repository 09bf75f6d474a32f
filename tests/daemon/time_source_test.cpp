// The daemon's time source in a SO_TEST_CLOCK build: the time SO_FAKE_NOW_FILE's file holds, read
// again at every call, and the real time with one warning per problem while the file is missing
// or holds something else.
#include "daemon/time_source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace so::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

Timestamp At(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

// Within a few seconds of the real time: the fallback.
MATCHER(AboutNow, "") {
  const int64_t now = Now().micros;
  return arg.micros <= now && arg.micros > now - 10'000'000;
}

class TimeSourceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::remove(path_.c_str());
    unsetenv("SO_FAKE_NOW_FILE");
  }

  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  TimeSource Source() {
    return FileTimeSource(path_, [this](const std::string& s) { warnings_.push_back(s); });
  }

  const std::string path_ = ::testing::TempDir() + "so_fake_now_" + std::to_string(getpid());
  std::vector<std::string> warnings_;
};

TEST_F(TimeSourceTest, TheFilesTimeIsReturnedWhitespaceAroundItIgnored) {
  Write("  2026-12-10T09:30:00Z\n");
  const TimeSource now = Source();
  EXPECT_EQ(now(), At("2026-12-10T09:30:00Z"));
  EXPECT_EQ(now(), At("2026-12-10T09:30:00Z"));
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(TimeSourceTest, AChangeOfTheFileIsSeenOnTheNextCall) {
  Write("2026-12-10T09:30:00Z\n");
  const TimeSource now = Source();
  EXPECT_EQ(now(), At("2026-12-10T09:30:00Z"));
  Write("2026-12-13T00:00:00.5+01:00\n");
  EXPECT_EQ(now(), At("2026-12-12T23:00:00.5Z"));
}

TEST_F(TimeSourceTest, AMissingFileIsTheRealTimeWithOneWarning) {
  const TimeSource now = Source();
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(now(), AboutNow());
  ASSERT_THAT(warnings_, SizeIs(1));
  EXPECT_THAT(warnings_[0], HasSubstr(path_));
  EXPECT_THAT(warnings_[0], HasSubstr("cannot be read"));
}

TEST_F(TimeSourceTest, GarbageIsTheRealTimeWithOneWarningForEachDistinctProblem) {
  Write("next tuesday\n");
  const TimeSource now = Source();
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(now(), AboutNow());
  ASSERT_THAT(warnings_, SizeIs(1));
  EXPECT_THAT(warnings_[0], HasSubstr("holds no RFC 3339 time: \"next tuesday\""));
  Write("2026-02-30T00:00:00Z");  // no such day
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(now(), AboutNow());
  ASSERT_THAT(warnings_, SizeIs(2));
  EXPECT_THAT(warnings_[1], HasSubstr("2026-02-30"));
}

TEST_F(TimeSourceTest, AProblemThatComesBackAfterAGoodReadIsWarnedOfAgain) {
  const TimeSource now = Source();
  EXPECT_THAT(now(), AboutNow());
  Write("2026-12-10T09:30:00Z");
  EXPECT_EQ(now(), At("2026-12-10T09:30:00Z"));
  std::remove(path_.c_str());
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(warnings_, SizeIs(2));
}

TEST_F(TimeSourceTest, TheEnvironmentNamesTheFileAndTheStartSaysSo) {
  Write("2026-12-10T09:30:00Z");
  setenv("SO_FAKE_NOW_FILE", path_.c_str(), 1);
  const TimeSource now =
      TimeSourceFromEnv([this](const std::string& s) { warnings_.push_back(s); });
  EXPECT_THAT(warnings_, ElementsAre("test build: the clock reads " + path_));
  EXPECT_EQ(now(), At("2026-12-10T09:30:00Z"));
  EXPECT_THAT(warnings_, SizeIs(1));
}

TEST_F(TimeSourceTest, WithoutTheEnvironmentItIsTheRealTimeSilently) {
  unsetenv("SO_FAKE_NOW_FILE");
  const TimeSource now =
      TimeSourceFromEnv([this](const std::string& s) { warnings_.push_back(s); });
  EXPECT_THAT(now(), AboutNow());
  EXPECT_THAT(warnings_, IsEmpty());
}

}  // namespace
}  // namespace so::daemon
