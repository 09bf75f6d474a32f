// The daemon's time source in a build without SO_TEST_CLOCK (production): SO_FAKE_NOW_FILE is
// ignored, with a warning that says so, and the time is the real one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/time_source.hpp"

#ifdef SO_TEST_CLOCK
#error "time_source_off_test is the build without SO_TEST_CLOCK"
#endif

namespace so::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(TimeSourceOffTest, TheFileIsIgnoredWithAWarning) {
  const std::string path = ::testing::TempDir() + "so_fake_now_off_" + std::to_string(getpid());
  std::ofstream(path) << "2026-12-10T09:30:00Z\n";
  setenv("SO_FAKE_NOW_FILE", path.c_str(), 1);
  std::vector<std::string> warnings;
  const TimeSource now = TimeSourceFromEnv([&](const std::string& s) { warnings.push_back(s); });
  const int64_t before = Now().micros;
  const int64_t t = now().micros;
  EXPECT_GE(t, before);
  EXPECT_LT(t, before + 10'000'000);
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("SO_FAKE_NOW_FILE=" + path + " is ignored"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace so::daemon
