#include "daemon/cli.hpp"

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.hpp"
#include "daemon/check.hpp"
#include "daemon/check_config.hpp"
#include "daemon/daemon.hpp"
#include "daemon/explain.hpp"
#include "daemon/simulate.hpp"

namespace so::daemon {
namespace {

constexpr const char* kUsage =
    "usage: special-ordersd --config FILE     run the daemon\n"
    "       special-ordersd --check-config FILE [--against-database]\n"
    "                                            validate FILE and its rules file, and warn about\n"
    "                                            rules that can never match; touch nothing.\n"
    "                                            --against-database: also warn about store,\n"
    "                                            vendor and product ids the database lacks\n"
    "                                            (read-only). Exit 0 valid, warnings or not, 1\n"
    "                                            database error, 2 invalid\n"
    "       special-ordersd --version\n";

constexpr const char* kCheckHelp =
    "       special-ordersd check [--config FILE] [--repair] [--json]\n"
    "                                            compare the counters with the special orders\n"
    "                                            (read-only); --repair corrects them. Exit 0\n"
    "                                            none differ, 1 some did, 2 bad command line or\n"
    "                                            config, 3 database error\n";

int Check(const std::vector<std::string>& args);

// The tools that share the daemon's config, by the first argument; each gets the arguments
// after its name and returns the exit code.
struct Subcommand {
  std::string_view name;
  int (*run)(const std::vector<std::string>& args);
  const char* usage;
};
constexpr Subcommand kSubcommands[] = {
    {"explain", RunExplain, kExplainUsage},
    {"check", Check, kCheckHelp},
    {"simulate", RunSimulate, kSimulateUsage},
};

void PrintUsage() {
  std::cerr << kUsage;
  for (const auto& sub : kSubcommands) std::cerr << sub.usage;
}

int Check(const std::vector<std::string>& args) {
  std::string path = kDefaultConfigPath;
  CheckOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--repair") {
      options.repair = true;
    } else if (args[i] == "--json") {
      options.json = true;
    } else if (args[i] == "--config" && i + 1 < args.size()) {
      path = args[++i];
    } else {
      std::cerr << "special-ordersd check: unknown argument " << args[i] << "\nusage:\n"
                << kCheckHelp;
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

int Dispatch(int argc, char** argv) {
  const std::string flag = argc > 1 ? argv[1] : "";
  for (const auto& sub : kSubcommands) {
    if (flag == sub.name) return sub.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc == 2 && flag == "--version") {
    std::cout << "special-ordersd " SO_VERSION "\n";
    return 0;
  }
  if (flag == "--check-config" &&
      (argc == 3 || (argc == 4 && std::string_view(argv[3]) == "--against-database"))) {
    return RunCheckConfig(argv[2], CheckConfigOptions{.against_database = argc == 4}, std::cout,
                          std::cerr);
  }
  if (argc != 3 || flag != "--config") {
    PrintUsage();
    return 2;
  }
  const std::string path = argv[2];
  auto loaded = config::LoadDaemonConfig(path);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::cerr << p.ToString() << "\n";
    std::cerr << "special-ordersd: invalid config, not starting\n";
    return 2;
  }
  return RunDaemon(std::move(*loaded.value));
}

}  // namespace

int Main(int argc, char** argv) {
  // What the daemon's loop does not catch itself (it logs and returns 1), and what a tool or the
  // set-up throws, still ends with a message and status 1 rather than std::terminate.
  try {
    return Dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "special-ordersd: unexpected error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "special-ordersd: unexpected error of unknown type\n";
  }
  return 1;
}

}  // namespace so::daemon
