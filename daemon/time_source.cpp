#include "daemon/time_source.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

namespace so::daemon {

#ifdef SO_TEST_CLOCK
namespace {

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

TimeSource FileTimeSource(std::string path, TimeSourceWarn warn) {
  return [path = std::move(path), warn = std::move(warn), warned = std::string()]() mutable {
    std::string problem;
    std::ifstream in(path);
    if (!in) {
      problem = "cannot be read";
    } else {
      std::stringstream text;
      text << in.rdbuf();
      const std::string content = text.str();
      if (auto t = ParseRfc3339(Trim(content))) {
        warned.clear();
        return *t;
      }
      problem = "holds no RFC 3339 time: \"" + std::string(Trim(content).substr(0, 64)) + "\"";
    }
    if (problem != warned) {
      warned = problem;
      warn("test build: the clock's file " + path + " " + problem + "; using the real time");
    }
    return Now();
  };
}
#endif

TimeSource TimeSourceFromEnv(const TimeSourceWarn& warn) {
  const char* file = std::getenv("SO_FAKE_NOW_FILE");
  if (file == nullptr || *file == '\0') return [] { return Now(); };
#ifdef SO_TEST_CLOCK
  warn(std::string("test build: the clock reads ") + file);
  return FileTimeSource(file, warn);
#else
  warn(std::string("SO_FAKE_NOW_FILE=") + file +
       " is ignored: only a test build (CMake SO_TEST_CLOCK) reads the clock from a file");
  return [] { return Now(); };
#endif
}

}  // namespace so::daemon
