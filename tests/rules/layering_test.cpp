// rules/ is the pure domain core: it may include the standard library and itself, nothing else.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace {

TEST(LayeringTest, RulesIncludesOnlyTheStandardLibraryAndItself) {
  const std::filesystem::path dir = std::filesystem::path(SO_SOURCE_DIR) / "rules";
  const std::regex include(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".hpp" && ext != ".cpp") continue;
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      std::smatch m;
      if (!std::regex_search(line, m, include)) continue;
      const std::string header = m[2];
      const bool own = m[1] == "\"" && header.rfind("rules/", 0) == 0;
      // Standard headers have no extension and no directory.
      const bool standard = m[1] == "<" && header.find('.') == std::string::npos &&
                            header.find('/') == std::string::npos;
      EXPECT_TRUE(own || standard) << entry.path() << ":" << n << " includes " << header;
    }
  }
  EXPECT_GT(files, 5);
}

}  // namespace
