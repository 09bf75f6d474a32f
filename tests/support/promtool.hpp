// `promtool check metrics` and `check rules` on a text, for the tests of the metrics endpoint.
// SO_PROMTOOL (set by the test's CMake) is its path; a missing promtool makes the check fail, never
// pass. Any thread.
#pragma once

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace so::testing {

struct PromtoolResult {
  int exit_code = -1;  // 0: valid and lint-clean; 3: lint problems; 127: promtool not found
  std::string output;
};

// Runs `promtool check <what>` on `text` written to a file of its own.
inline PromtoolResult Promtool(const std::string& what, const std::string& text,
                               const char* extension) {
  static int counter = 0;
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("so-promtool-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + extension);
  std::ofstream(file, std::ios::binary) << text;
  const std::string command = std::string(SO_PROMTOOL) + " check " + what + " " +
                              (what == "metrics" ? "< " : "") + file.string() + " 2>&1";
  PromtoolResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "cannot run " + command;
    return result;
  }
  std::array<char, 4096> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) {
    result.output.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(file);
  return result;
}

// A scrape's text, as `promtool check metrics` reads it from standard input.
inline PromtoolResult PromtoolCheckMetrics(const std::string& text) {
  return Promtool("metrics", text, ".prom");
}

// A file of alerting and recording rules.
inline PromtoolResult PromtoolCheckRules(const std::string& yaml) {
  return Promtool("rules", yaml, ".yml");
}

}  // namespace so::testing
