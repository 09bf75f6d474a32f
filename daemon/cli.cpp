#include "daemon/cli.hpp"

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.hpp"
#include "daemon/daemon.hpp"
#include "daemon/explain.hpp"

namespace so::daemon {
namespace {

constexpr const char* kUsage =
    "usage: special-ordersd --config FILE     run the daemon\n"
    "       special-ordersd --check-config FILE   validate FILE and its rules file, touch nothing\n"
    "       special-ordersd --version\n";

// The tools that share the daemon's config, by the first argument; each gets the arguments
// after its name and returns the exit code.
struct Subcommand {
  std::string_view name;
  int (*run)(const std::vector<std::string>& args);
  const char* usage;
};
constexpr Subcommand kSubcommands[] = {
    {"explain", RunExplain, kExplainUsage},
};

void PrintUsage() {
  std::cerr << kUsage;
  for (const auto& sub : kSubcommands) std::cerr << sub.usage;
}

int CheckConfig(const std::string& path) {
  auto loaded = config::LoadDaemonConfig(path);
  for (const auto& p : loaded.problems) std::cerr << p.ToString() << "\n";
  if (!loaded.ok()) {
    std::cerr << path << ": " << loaded.problems.size() << " problem(s)\n";
    return 2;
  }
  std::cout << path << ": OK (rules " << loaded.value->rules_file << ", "
            << loaded.value->rules.rules().size() << " rule(s), " << loaded.value->rules.version()
            << ")\n";
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  const std::string flag = argc > 1 ? argv[1] : "";
  for (const auto& sub : kSubcommands) {
    if (flag == sub.name) return sub.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc == 2 && flag == "--version") {
    std::cout << "special-ordersd " SO_VERSION "\n";
    return 0;
  }
  if (argc != 3 || (flag != "--config" && flag != "--check-config")) {
    PrintUsage();
    return 2;
  }
  const std::string path = argv[2];
  if (flag == "--check-config") return CheckConfig(path);
  auto loaded = config::LoadDaemonConfig(path);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::cerr << p.ToString() << "\n";
    std::cerr << "special-ordersd: invalid config, not starting\n";
    return 2;
  }
  return RunDaemon(std::move(*loaded.value));
}

}  // namespace so::daemon
