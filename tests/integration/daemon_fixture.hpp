// The fixture of the daemon's end-to-end tests: the real binary, a private MariaDB and real ZeroMQ
// sockets. The POS simulator writes what the POS writes, publishes the contract's messages and
// checks every invariant of CONTRACT section 5 after each one. Single-threaded.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"

namespace so::testing {

class DaemonTest : public ::testing::Test {
 protected:
  // `db_prefix` names the test's private database (<prefix>_<pid>_<n>).
  explicit DaemonTest(const std::string& db_prefix = "daemon") : db_(db_prefix) {}

  // Starts the daemon with these rules, in build/test-work/<test name>/, and connects the POS;
  // `adjust` changes the set-up first (a sweep timer, config to add).
  void StartDaemon(const std::string& rules_yaml,
                   const std::function<void(DaemonSetup&)>& adjust = {}) {
    work_dir_ = std::string(SO_BINARY_DIR) + "/test-work/" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(work_dir_);
    std::filesystem::create_directories(work_dir_);
    rules_file_ = work_dir_ + "/rules.yaml";
    WriteRules(rules_yaml);
    DaemonSetup setup{db_.options(), rules_file_, work_dir_};
    setup.metrics_port = metrics_port_;
    if (adjust) adjust(setup);
    daemon_ = std::make_unique<DaemonProcess>(std::move(setup));
    daemon_->Start();
    bus_ = std::make_unique<PosBus>(daemon_->pos_endpoint(), daemon_->events_endpoint());
    bus_->WaitForDaemon();
  }

  void WriteRules(const std::string& yaml) { std::ofstream(rules_file_) << yaml; }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      EXPECT_EQ(daemon_->Stop(), 0) << daemon_->Log();
    }
  }

  // Publishes, waits until the daemon recorded it, and checks every invariant.
  std::string Send(const Payload& p) {
    const std::string id = bus_->Publish(p);
    WaitProcessed(db_, id);
    EXPECT_THAT(CheckInvariants(db_), ::testing::IsEmpty()) << "after " << id;
    return id;
  }

  std::string Str(const std::string& sql) {
    auto rows = db_.Query(sql);
    return rows.empty() || rows[0].empty() ? "<none>" : rows[0][0].value_or("NULL");
  }
  int64_t Int(const std::string& sql) { return db_.QueryInt(sql); }

  // The events the daemon published for message `id`, in order. The daemon logs the seq its run
  // starts from, then one line per message listing its events; their seqs follow from the lines
  // before it, so exactly those events are taken from the bus, however late they come and
  // whatever events of earlier messages were left unread. For the daemon's current run only.
  std::vector<json::DecodedEvent> EventsOf(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    uint64_t before = 0;
    uint64_t mine = 0;
    std::string source;
    while (!CountEventsInLog(id, before, mine, source)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "no log line for message " << id << ":\n" << daemon_->Log();
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Events of an earlier run of the daemon (its source differs) are not this run's.
    if (source != seen_source_) {
      seen_.clear();
      seen_source_ = source;
    }
    const uint64_t last = before + mine;
    while (mine > 0 && !seen_.contains(last)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the daemon's event " << last << " for " << id << " never came";
        return {};
      }
      for (auto& e : bus_->TakeEvents(std::chrono::milliseconds(50))) {
        if (e.envelope.source != seen_source_) continue;
        const uint64_t seq = e.envelope.seq;
        seen_.insert_or_assign(seq, std::move(e));
      }
    }
    std::vector<json::DecodedEvent> out;
    for (uint64_t seq = before + 1; seq <= last; ++seq) out.push_back(seen_.at(seq));
    return out;
  }

  static std::vector<std::string> Types(const std::vector<json::DecodedEvent>& events) {
    std::vector<std::string> types;
    for (const auto& e : events) types.push_back(e.envelope.type);
    return types;
  }

  template <typename T>
  static std::vector<T> Only(const std::vector<json::DecodedEvent>& events) {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const T* t = std::get_if<T>(&e.event)) out.push_back(*t);
    }
    return out;
  }

  // The status changes among the events, as "<special order>: <from> -> <to>".
  static std::vector<std::string> Moves(const std::vector<json::DecodedEvent>& events) {
    std::vector<std::string> moves;
    for (const auto& c : Only<StatusChangedEvent>(events)) {
      moves.push_back(std::to_string(c.special_order_id) + ": " + std::string(ToString(c.from)) +
                      " -> " + std::string(ToString(c.to)));
    }
    return moves;
  }

  TestDatabase db_;
  PosWorld world_{db_};
  std::string work_dir_, rules_file_;
  int metrics_port_ = 0;  // set before StartDaemon(): the daemon serves /metrics on it
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<PosBus> bus_;

 private:
  static uint64_t CountEventTags(const std::string& line) {
    uint64_t n = 0;
    for (const char* prefix : {" [special_order.", " [purchase_order.", " [transfer."}) {
      for (size_t at = line.find(prefix); at != std::string::npos; at = line.find(prefix, at + 1)) {
        ++n;
      }
    }
    return n;
  }

  // Over the log of the daemon's current run: its events' source, and the events published before
  // the report line of message `id` (`before`) and on it (`mine`). False while that line is not
  // written yet.
  bool CountEventsInLog(const std::string& id, uint64_t& before, uint64_t& mine,
                        std::string& source) const {
    const std::string log = daemon_->Log();
    // "events: source <source> at seq <n>…": this run's first event is n + 1.
    const std::string opened = " events: source ";
    const size_t at_open = log.rfind(opened);
    if (at_open == std::string::npos) return false;
    const size_t name = at_open + opened.size();
    const size_t at_seq = log.find(" at seq ", name);
    if (at_seq == std::string::npos) return false;
    source = log.substr(name, at_seq - name);
    std::istringstream in(log.substr(at_seq + 8));
    in >> before;
    std::string rest_of_line;
    std::getline(in, rest_of_line);
    const std::string tag = " id=" + id;
    for (std::string line; std::getline(in, line);) {
      if (in.eof()) return false;  // a line still being written
      const size_t at = line.find(tag);
      const size_t end = at == std::string::npos ? 0 : at + tag.size();
      const bool report = at != std::string::npos &&
                          (end == line.size() || line[end] == ':' || line[end] == ' ') &&
                          line.find(" duplicate ") == std::string::npos;
      if (report) {
        mine = CountEventTags(line);
        return true;
      }
      before += CountEventTags(line);
    }
    return false;
  }

  std::string seen_source_;
  std::map<uint64_t, json::DecodedEvent> seen_;  // the daemon's events taken so far, by seq
};

}  // namespace so::testing
