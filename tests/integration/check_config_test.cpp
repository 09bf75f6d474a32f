// `special-ordersd --check-config FILE --against-database` end to end: the real binary, run as a
// child, looks up the ids a rules file names in the private MariaDB, warns about each one missing
// at its file:line:column and still exits 0; a database it cannot reach is an error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"

namespace so::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CheckConfigTest : public ::testing::Test {
 protected:
  CheckConfigTest() : db_("check_config") {
    world_.LoadDemoData();  // stores 1, 2; vendors 10-13; products 100-102
    work_dir_ = std::string(SO_BINARY_DIR) + "/test-work/check_config_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(work_dir_);
    std::filesystem::create_directories(work_dir_);
    rules_file_ = work_dir_ + "/rules.yaml";
  }

  // Writes the rules and a daemon config naming them and `database`; returns the config's path.
  // The daemon is never started: only its config is used.
  std::string Config(const std::string& rules, const mysql::MysqlOptions& database) {
    std::ofstream(rules_file_) << rules;
    process_ = std::make_unique<DaemonProcess>(DaemonSetup{database, rules_file_, work_dir_});
    return process_->config_path();
  }

  ToolRun CheckConfig(const std::string& config, bool against_database = true) {
    std::vector<std::string> args = {"--check-config", config};
    if (against_database) args.push_back("--against-database");
    return RunDaemonTool(args, work_dir_);
  }

  TestDatabase db_;
  PosWorld world_{db_};
  std::string work_dir_, rules_file_;
  std::unique_ptr<DaemonProcess> process_;
};

TEST_F(CheckConfigTest, EachMissingIdIsAWarningAtItsPositionAndExitIsZero) {
  const std::string config = Config(
      "version: 1\n"
      "defaults:\n"
      "  transfer_from_stores: [2, 98]\n"
      "rules:\n"
      "  - name: downtown-and-nowhere\n"
      "    match: { stores: [1, 99], vendors: [10, 77] }\n"
      "  - name: ghost-product\n"
      "    match:\n"
      "      products: [100, 555]\n"
      "    transfer_from_stores: [1]\n"
      "  - name: trade\n"
      "    match: { customers: [1, 404] }\n",
      db_.options());
  const ToolRun run = CheckConfig(config);
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_THAT(LinesOf(run.err),
              ElementsAre(rules_file_ + ":3:29: warning: defaults.transfer_from_stores[1]: store "
                                        "98 does not exist (no row in stores)",
                          rules_file_ + ":6:26: warning: rules[0].match.stores[1]: store 99 does "
                                        "not exist (no row in stores)",
                          rules_file_ + ":6:45: warning: rules[0].match.vendors[1]: vendor 77 "
                                        "does not exist (no row in vendors)",
                          rules_file_ + ":9:23: warning: rules[1].match.products[1]: product 555 "
                                        "does not exist (no row in products)",
                          rules_file_ + ":12:29: warning: rules[2].match.customers[1]: customer "
                                        "404 does not exist (no row in customers)"));
  EXPECT_THAT(run.out, StartsWith(config + ": OK (rules " + rules_file_ + ", 3 rule(s), "));
  EXPECT_THAT(run.out,
              HasSubstr("; ids checked against database '" + db_.name() + "'), 5 warning(s)\n"));

  // Without --against-database the database is not asked.
  const ToolRun offline = CheckConfig(config, /*against_database=*/false);
  EXPECT_EQ(offline.exit_status, 0) << offline.err;
  EXPECT_EQ(offline.err, "");
}

TEST_F(CheckConfigTest, ValidFileGivesNoWarning) {
  const std::string config = Config(
      "version: 1\n"
      "defaults:\n"
      "  transfer_from_stores: [2]\n"
      "rules:\n"
      "  - name: downtown-chairs-from-acme\n"
      "    match: { stores: [1], vendors: [10, 11], products: [100] }\n"
      "  - name: downtown\n"
      "    match: { stores: 1 }\n"
      "    transfer_from_stores: []\n",
      db_.options());
  const ToolRun run = CheckConfig(config);
  EXPECT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, HasSubstr(": OK ("));
  EXPECT_THAT(run.out, Not(HasSubstr("warning")));
}

TEST_F(CheckConfigTest, ShadowedRuleIsAWarningWithOrWithoutTheDatabase) {
  const std::string config = Config(
      "version: 1\n"
      "rules:\n"
      "  - name: downtown\n"
      "    match: { stores: [1] }\n"
      "  - name: downtown-chairs\n"
      "    match: { stores: [1], products: [100] }\n",
      db_.options());
  for (const bool against_database : {false, true}) {
    const ToolRun run = CheckConfig(config, against_database);
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_THAT(LinesOf(run.err),
                ElementsAre(rules_file_ + ":5:5: warning: rules[1]: rule 'downtown-chairs' can "
                                          "never match: rule 'downtown' (line 3) comes first "
                                          "and matches everything it matches"));
    EXPECT_THAT(run.out, HasSubstr(", 1 warning(s)\n"));
  }
}

// Read-only for real: as an account that may only SELECT, the same warnings, and the database is
// byte for byte as before.
TEST_F(CheckConfigTest, AnAccountThatMayOnlySelectGetsTheSameWarningsAndNothingIsWritten) {
  const std::string rules =
      "version: 1\n"
      "rules:\n"
      "  - name: nowhere\n"
      "    match: { stores: [1, 99], vendors: [77], products: [555] }\n";
  const ToolRun as_daemon = CheckConfig(Config(rules, db_.options()));
  ASSERT_EQ(as_daemon.exit_status, 0) << as_daemon.err;
  ASSERT_THAT(LinesOf(as_daemon.err), ::testing::SizeIs(3)) << as_daemon.err;

  const std::string before = db_.Dump();
  const std::string reader = "check_config_ro_" + std::to_string(getpid());
  db_.Exec("CREATE USER '" + reader + "'@'localhost' IDENTIFIED BY 'ro'");
  db_.Exec("GRANT SELECT ON " + QuoteIdentifier(db_.name()) + ".* TO '" + reader + "'@'localhost'");
  mysql::MysqlOptions read_only = db_.options();
  read_only.user = reader;
  read_only.password = "ro";
  const ToolRun as_reader = CheckConfig(Config(rules, read_only));
  db_.Exec("DROP USER '" + reader + "'@'localhost'");
  EXPECT_EQ(as_reader.exit_status, 0) << as_reader.err;
  EXPECT_EQ(as_reader.err, as_daemon.err);
  EXPECT_EQ(db_.Dump(), before);
}

TEST_F(CheckConfigTest, DatabaseThatCannotBeReachedIsAnErrorNotAWarning) {
  mysql::MysqlOptions nowhere = db_.options();
  nowhere.socket = work_dir_ + "/no-server-here.sock";
  const std::string config = Config("version: 1\n", nowhere);
  const ToolRun run = CheckConfig(config);
  EXPECT_EQ(run.exit_status, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("special-ordersd --check-config: cannot check the rules' ids: "
                                 "cannot reach database '" +
                                 db_.name() + "': connection error "));
  EXPECT_EQ(run.out, "");
  // The file itself is valid: without the database it passes.
  EXPECT_EQ(CheckConfig(config, /*against_database=*/false).exit_status, 0);
}

}  // namespace
}  // namespace so::testing
