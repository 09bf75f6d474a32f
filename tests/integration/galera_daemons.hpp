// The real daemon on the private three-node Galera cluster (scripts/private-galera.sh): the POS
// stream the galera daemon tests play, what must hold on every node after it, and their fixture.
//
// The stream: 1,000 special-order requests over 3 stores and 4 products, the 6 draft POs sent to
// their vendors, then the shipments of 500 units, which cannot serve them all, so that the
// allocations compete for the same stock rows. The POS writes each phase on node 1 (its reads
// wait for what the cluster committed: wsrep_sync_wait = 1), commits, then publishes.
//
// After a run, on every node: every invariant of CONTRACT section 5, no unit allocated twice, no
// counter negative, each message in the inbox once, none dead-lettered, the nodes' databases
// dumped identically (CheckNode, GaleraDaemons::CheckEveryNode).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"
#include "tests/support/galera_cluster.hpp"
#include "tests/support/test_db.hpp"

namespace so::testing::galera {

constexpr int kNodes = 3;
constexpr int kRequests = 1000;
constexpr int kUnits = 500;      // what the shipments bring in all
constexpr int kStores = 3;       // 1..3: partition {count: 3} gives each daemon one store
constexpr int kProducts = 4;     // 100..103: vendor 10 for 100 and 101, vendor 11 for 102 and 103
constexpr int kCustomers = 20;   // 1..20
constexpr Id kFirstOrder = 10'000;
constexpr Id kFirstShipment = 50'000;
constexpr auto kPhaseTimeout = std::chrono::seconds(150);

std::string N(int64_t v);

// What the POS published: the message, its type and the store it belongs to.
struct Sent {
  std::string id, type;
  Id store = 0;
};

// Node n's SQL address (127.0.0.1 and its port), as database.hosts names it.
so::mysql::MysqlNode NodeAddress(int n);

// The sample `series` ("name{labels}" as rendered) of a scrape, 0 when it is not there (a
// counter that never moved has no series).
double Sample(const std::string& scrape, const std::string& series);
// The sum of every series of `name` whose labels contain `label` (empty: all of them).
double SumOf(const std::string& scrape, const std::string& name, const std::string& label = "");
// The messages the daemon is done with: applied, refused, duplicates, dead letters, and those
// it skipped as another store's.
double Handled(const std::string& scrape);

// Polls `done` every `every` until it is true (true) or `timeout` has passed (false).
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(50));
double Seconds(std::chrono::steady_clock::time_point since);

// The catalog: stores 1..3, vendors 10 and 11, products 100..103, customers; no stock.
void LoadCatalog(TestDatabase& db);

// The POS's side of the run. Each Send* writes what its phase announces in `db`, commits, then
// publishes; WaitRecorded waits until the daemons have recorded every message sent so far.
class Pos {
 public:
  Pos(TestDatabase& db, PosBus& bus) : db_(db), bus_(bus) {}

  const std::vector<Sent>& sent() const { return sent_; }

  // 1,000 open orders of one special-ordered line each (1 or 2 units), spread over every store
  // and product, and their requests: 1,500 units wanted.
  void SendRequests();
  // The POS sends every draft PO to its vendor (one per store and vendor).
  void SendOpenPos();
  // 500 units in all, spread over the 12 PO lines, in shipments of 1, 2 or 3 units.
  void SendShipments();

  // Until every message sent so far is in the inbox or among the dead letters, read in `db`;
  // a fatal failure after kPhaseTimeout.
  void WaitRecorded(const std::string& phase);
  // The number of them recorded now.
  int64_t Recorded();

 private:
  void Publish(const Payload& p, Id store);

  TestDatabase& db_;
  PosBus& bus_;
  std::vector<Sent> sent_;
};

// The whole stream, each phase waited for: requests, POs opened, shipments.
void PlayStream(Pos& pos);

// What must hold on a node once every message of `sent` is applied: one readable line per
// problem.
std::vector<std::string> CheckNode(TestDatabase& db, const std::vector<Sent>& sent);

// The two inboxes equal, message for message (the same ids, types and outcomes).
void ExpectSameInbox(TestDatabase& a, TestDatabase& b);

// The database `db` read on each node, with wsrep_sync_wait = 1: its reads wait until the node
// has applied everything the cluster committed before them.
std::vector<std::unique_ptr<TestDatabase>> OnEveryNode(const TestDatabase& db);

// Daemons on the cluster, one POS bus: SetUp checks that the cluster has its three nodes and
// makes the test's work directory; TearDown stops the daemons and checks that the cluster is
// left as found (three Synced nodes).
class GaleraDaemons : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A database made on node 1 (the DDL replicates to the others), with the catalog; the test's
  // connection, the POS's, reads with wsrep_sync_wait = 1.
  TestDatabase& MakeDatabase(const std::string& prefix);

  // A daemon whose database.hosts is `nodes` (tried in that order; empty: `db`'s own server),
  // with `extra` appended to its config, subscribed to the POS of the first daemon (which the
  // POS bus binds): the sweep off, metrics on a port of its own, log at debug.
  void StartDaemon(const TestDatabase& db, const std::string& name, const std::vector<int>& nodes,
                   const std::string& extra = "");
  // Daemon i (0-based) on node i + 1 first, then the two others in order.
  void StartThreeDaemons(const TestDatabase& db, const std::vector<std::string>& extra);

  std::string Scrape(size_t daemon);
  // Until every daemon is done with all `messages` (applied, duplicate, another store's, ...),
  // so that its counters are final; returns the scrapes.
  std::vector<std::string> FinalScrapes(size_t messages);
  // The log lines of the messages that more than one daemon logged as applied (empty if none).
  std::string AppliedByMoreThanOne() const;
  void StopDaemons();
  // The daemons gone, the POS bus closed: the next StartDaemon binds a new one.
  void ForgetDaemons();

  // The reference run: the daemons gone, one daemon on `single` (database.hosts `nodes`; empty:
  // its own server) plays the whole stream, which must be `messages` long; CheckNode() on it.
  void PlayReference(TestDatabase& single, const std::vector<int>& nodes, size_t messages);

  // Every check of CheckNode() on each node, and the three nodes' dumps equal.
  void CheckEveryNode(const TestDatabase& db, const std::vector<Sent>& sent);

  std::string work_dir_;
  std::vector<std::unique_ptr<TestDatabase>> dbs_;  // dropped last, after the daemons stopped
  std::vector<int> ports_;
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;
  std::unique_ptr<PosBus> bus_;
};

}  // namespace so::testing::galera
