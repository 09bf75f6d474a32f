#include "daemon/cli.hpp"

#include <iostream>
#include <string>

#include "config/config_loader.hpp"
#include "daemon/check.hpp"
#include "daemon/daemon.hpp"

namespace so::daemon {
namespace {

constexpr const char* kUsage =
    "usage: special-ordersd --config FILE     run the daemon\n"
    "       special-ordersd --check-config FILE   validate FILE and its rules file, touch nothing\n"
    "       special-ordersd --version\n"
    "       special-ordersd check [--config FILE] [--repair] [--json]\n"
    "                             compare the counters with the special orders (read-only);\n"
    "                             --repair corrects them. Exit 0 none differ, 1 some did,\n"
    "                             2 bad command line or config, 3 database error\n";

constexpr const char* kDefaultConfig = "/etc/special-ordersd/special-ordersd.yaml";

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

int Check(int argc, char** argv) {
  std::string path = kDefaultConfig;
  CheckOptions options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repair") {
      options.repair = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--config" && i + 1 < argc) {
      path = argv[++i];
    } else {
      std::cerr << "special-ordersd check: unknown argument " << arg << "\n" << kUsage;
      return kCheckUsage;
    }
  }
  auto loaded = config::LoadDaemonConfig(path);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::cerr << p.ToString() << "\n";
    std::cerr << "special-ordersd check: invalid config, nothing checked\n";
    return kCheckUsage;
  }
  return RunCheck(*loaded.value, options, std::cout, std::cerr);
}

}  // namespace

int Main(int argc, char** argv) {
  const std::string flag = argc > 1 ? argv[1] : "";
  if (flag == "check") return Check(argc, argv);
  if (argc == 2 && flag == "--version") {
    std::cout << "special-ordersd " SO_VERSION "\n";
    return 0;
  }
  if (argc != 3 || (flag != "--config" && flag != "--check-config")) {
    std::cerr << kUsage;
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
