// The metrics registry: the text format 0.0.4 as Prometheus reads it (names, # HELP and # TYPE,
// label escaping, histogram buckets), checked by hand and by promtool; and the daemon's metrics
// over it.
#include "daemon/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/daemon_metrics.hpp"
#include "tests/support/promtool.hpp"

namespace so::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CounterGetsThePrefixAndTotalAndCountsPerLabelSet) {
  Registry r;
  MetricFamily& c = r.AddCounter("messages", "Messages seen.", {"type", "fate"});
  c.Add({"order.cancelled", "applied"});
  c.Add({"order.cancelled", "applied"});
  c.Add({"po.status_changed", "refused"}, 3);
  c.Add({"po.status_changed", "refused"}, -1);  // a counter never goes down
  EXPECT_EQ(r.Render(),
            "# HELP special_ordersd_messages_total Messages seen.\n"
            "# TYPE special_ordersd_messages_total counter\n"
            "special_ordersd_messages_total{type=\"order.cancelled\",fate=\"applied\"} 2\n"
            "special_ordersd_messages_total{type=\"po.status_changed\",fate=\"refused\"} 3\n");
}

TEST(MetricsTest, GaugeIsSetAndClearedAndUnlabelledHasNoBraces) {
  Registry r;
  MetricFamily& g = r.AddGauge("up", "Up.");
  g.Set({}, 1);
  MetricFamily& by = r.AddGauge("open", "Open.", {"status"});
  by.Set({"ready"}, 4);
  by.Set({"ready"}, 2);
  EXPECT_THAT(r.Render(), HasSubstr("# TYPE special_ordersd_up gauge\nspecial_ordersd_up 1\n"));
  EXPECT_THAT(r.Render(), HasSubstr("special_ordersd_open{status=\"ready\"} 2\n"));
  by.Clear();
  EXPECT_THAT(r.Render(), Not(HasSubstr("special_ordersd_open{")));
  EXPECT_THAT(r.Render(), HasSubstr("# TYPE special_ordersd_open gauge\n"));
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
  Registry r;
  r.AddGauge("info", "Line one\nline \\two.", {"version"}).Set({"v\"1\"\n"}, 1);
  EXPECT_EQ(r.Render(),
            "# HELP special_ordersd_info Line one\\nline \\\\two.\n"
            "# TYPE special_ordersd_info gauge\n"
            "special_ordersd_info{version=\"v\\\"1\\\"\\n\"} 1\n");
}

TEST(MetricsTest, ValuesAreWrittenAsTheTextFormatWantsThem) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(1764662400.5), "1764662400.5");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  Histogram& h = r.AddHistogram("latency_seconds", "Latency.", {0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 2.0}) h.Observe(v);
  EXPECT_EQ(r.Render(),
            "# HELP special_ordersd_latency_seconds Latency.\n"
            "# TYPE special_ordersd_latency_seconds histogram\n"
            "special_ordersd_latency_seconds_bucket{le=\"0.01\"} 2\n"  // le: 0.01 itself is in
            "special_ordersd_latency_seconds_bucket{le=\"0.1\"} 3\n"
            "special_ordersd_latency_seconds_bucket{le=\"1\"} 4\n"
            "special_ordersd_latency_seconds_bucket{le=\"+Inf\"} 5\n"
            "special_ordersd_latency_seconds_sum 2.565\n"
            "special_ordersd_latency_seconds_count 5\n");
}

TEST(MetricsTest, FamiliesRenderInTheOrderTheyWereAdded) {
  Registry r;
  r.AddGauge("b", "B.").Set({}, 1);
  r.AddCounter("a", "A.").Set({}, 2);
  const std::string out = r.Render();
  EXPECT_LT(out.find("special_ordersd_b "), out.find("special_ordersd_a_total "));
}

TEST(MetricsDeathTest, AMetricDefinedWronglyStopsTheProgram) {
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("x", "X.");
        r.AddGauge("x", "X again.");
      },
      "defined twice");
  EXPECT_DEATH(Registry().AddCounter("x_total", "X."), "given with _total");
  EXPECT_DEATH(Registry().AddGauge("bad-name", "X."), "bad metric name");
  EXPECT_DEATH(Registry().AddGauge("x", "X.", {"le"}), "bad label name");
  EXPECT_DEATH(Registry().AddHistogram("h", "H.", {1, 1}), "not strictly ascending");
  EXPECT_DEATH(Registry().AddGauge("x", "X.", {"a"}).Set({}, 1), "wrong number of label values");
}

// Every family of the daemon, each with series, as a scrape shows them.
DaemonMetrics BusyDaemonMetrics() {
  DaemonMetrics m("0.1.0");
  m.SetRules("fnv1a64:0123456789abcdef");
  m.SetReload(true, std::chrono::system_clock::time_point(std::chrono::seconds(1764662400)));
  m.CountReceived("order.special_order_requested");
  m.CountReceived("undecodable");
  m.CountFate("order.special_order_requested", Fate::kApplied);
  m.CountFate("order.special_order_requested", Fate::kDuplicate);
  m.CountFate("order.special_order_requested", Fate::kUnavailable);  // held: not a fate
  m.CountFate("undecodable", Fate::kDeadLettered);
  m.CountUnknownType("order.voided");
  m.CountGap(false);
  m.CountRepair("sweep:shipment:9001", Fate::kApplied);
  m.CountRepair("sweep:line:5:2:x", Fate::kRefused);
  m.ObserveBatch(3);
  m.ObserveReceiveToCommit(std::chrono::milliseconds(7));
  m.SetMirrored({.read_off_socket = 5,
                 .retries = 2,
                 .reconnects = 1,
                 .unavailable = 1,
                 .published = 9,
                 .publish_errors = 0,
                 .queued = 1,
                 .queued_bytes = 735,
                 .subscription_connected = true});
  mysql::Observation o;
  o.open = {{"ordered", 1, 2, 3600}, {"ordered", 2, 1, 7200}, {"request", 1, 1, 60}};
  o.overdue = {{1, 0, 1}, {1, 77, 2}, {2, 77, 1}};
  o.dead_letters = 4;
  m.SetObservation(&o);
  return m;
}

TEST(DaemonMetricsTest, EachFigureIsRenderedUnderItsName) {
  const std::string out = BusyDaemonMetrics().Render();
  for (const char* line : {
           "special_ordersd_build_info{version=\"0.1.0\"} 1\n",
           "special_ordersd_rules_info{version=\"fnv1a64:0123456789abcdef\"} 1\n",
           "special_ordersd_config_last_reload_successful 1\n",
           "special_ordersd_config_last_reload_success_timestamp_seconds 1764662400\n",
           "special_ordersd_messages_received_total{type=\"order.special_order_requested\"} 1\n",
           "special_ordersd_messages_received_total{type=\"undecodable\"} 1\n",
           "special_ordersd_messages_processed_total{type=\"order.special_order_requested\","
           "fate=\"applied\"} 1\n",
           "special_ordersd_messages_processed_total{type=\"order.special_order_requested\","
           "fate=\"duplicate\"} 1\n",
           "special_ordersd_messages_processed_total{type=\"undecodable\",fate=\"dead_lettered\"} "
           "1\n",
           "special_ordersd_unknown_types_total{type=\"order.voided\"} 1\n",
           "special_ordersd_seq_gaps_total{cause=\"gap\"} 1\n",
           "special_ordersd_seq_gaps_total{cause=\"new_source\"} 0\n",
           "special_ordersd_sweep_repairs_total{kind=\"shipment\",fate=\"applied\"} 1\n",
           "special_ordersd_sweep_repairs_total{kind=\"line\",fate=\"refused\"} 1\n",
           "special_ordersd_database_retries_total 2\n",
           "special_ordersd_database_reconnects_total 1\n",
           "special_ordersd_batch_messages_bucket{le=\"4\"} 1\n",
           "special_ordersd_receive_to_commit_seconds_bucket{le=\"0.01\"} 1\n",
           "special_ordersd_receive_to_commit_seconds_bucket{le=\"0.005\"} 0\n",
           "special_ordersd_receive_to_commit_seconds_bucket{le=\"0.0005\"} 0\n",
           "special_ordersd_subscription_connected 1\n",
           "special_ordersd_database_up 1\n",
           "special_ordersd_special_orders{status=\"ordered\",store=\"2\"} 1\n",
           "special_ordersd_special_order_oldest_age_seconds{status=\"ordered\"} 7200\n",
           "special_ordersd_special_order_oldest_age_seconds{status=\"request\"} 60\n",
           "special_ordersd_special_orders_overdue{store=\"1\",vendor=\"\"} 1\n",
           "special_ordersd_special_orders_overdue{store=\"1\",vendor=\"77\"} 2\n",
           "special_ordersd_special_orders_overdue{store=\"2\",vendor=\"77\"} 1\n",
           "special_ordersd_dead_letters_waiting 4\n",
       }) {
    EXPECT_THAT(out, HasSubstr(line));
  }
  EXPECT_THAT(out, Not(HasSubstr("fate=\"unavailable\"")));
}

TEST(DaemonMetricsTest, AFailedReadDropsTheDatabaseFiguresAndSaysSo) {
  DaemonMetrics m = BusyDaemonMetrics();
  m.SetObservation(nullptr);
  const std::string out = m.Render();
  EXPECT_THAT(out, HasSubstr("special_ordersd_database_up 0\n"));
  EXPECT_THAT(out, Not(HasSubstr("special_ordersd_special_orders{")));
  EXPECT_THAT(out, Not(HasSubstr("special_ordersd_special_orders_overdue{")));
  EXPECT_THAT(out, Not(HasSubstr("\nspecial_ordersd_dead_letters_waiting ")));
  EXPECT_THAT(out, HasSubstr("special_ordersd_messages_received_total{"));  // the rest stays
}

// Each observation replaces the last: an overdue count that went away leaves no series behind.
TEST(DaemonMetricsTest, AnOverdueCountThatGoesAwayLeavesTheGauge) {
  DaemonMetrics m = BusyDaemonMetrics();
  mysql::Observation o;
  o.overdue = {{2, 77, 3}};
  m.SetObservation(&o);
  const std::string out = m.Render();
  EXPECT_THAT(out,
              HasSubstr("special_ordersd_special_orders_overdue{store=\"2\",vendor=\"77\"} 3\n"));
  EXPECT_THAT(out, Not(HasSubstr("special_ordersd_special_orders_overdue{store=\"1\"")));
  EXPECT_THAT(out, HasSubstr("# HELP special_ordersd_special_orders_overdue "));
}

TEST(DaemonMetricsTest, AFailedReloadKeepsTheLastSuccessTime) {
  DaemonMetrics m("0.1.0");
  m.SetReload(true, std::chrono::system_clock::time_point(std::chrono::seconds(100)));
  m.SetReload(false, std::chrono::system_clock::time_point(std::chrono::seconds(200)));
  const std::string out = m.Render();
  EXPECT_THAT(out, HasSubstr("special_ordersd_config_last_reload_successful 0\n"));
  EXPECT_THAT(out, HasSubstr("special_ordersd_config_last_reload_success_timestamp_seconds 100\n"));
  m.SetRules("v1");
  m.SetRules("v2");
  EXPECT_THAT(m.Render(), HasSubstr("special_ordersd_rules_info{version=\"v2\"} 1\n"));
  EXPECT_THAT(m.Render(), Not(HasSubstr("version=\"v1\"")));
}

TEST(PromtoolTest, TheDaemonsMetricsPassPromtoolCheckMetrics) {
  const std::string out = BusyDaemonMetrics().Render();
  const auto check = testing::PromtoolCheckMetrics(out);
  EXPECT_EQ(check.exit_code, 0) << SO_PROMTOOL << ": " << check.output << "\n" << out;
  // An empty registry's figures (a daemon just started) too.
  const auto fresh = testing::PromtoolCheckMetrics(DaemonMetrics("0.1.0").Render());
  EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
}

// The alert rules the README gives are rules Prometheus takes.
TEST(PromtoolTest, TheReadmesAlertRulesPassPromtoolCheckRules) {
  std::ifstream readme(std::string(SO_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << readme.rdbuf();
  const std::string all = text.str();
  const std::string start = "```yaml\ngroups:\n";
  const size_t at = all.find(start);
  ASSERT_NE(at, std::string::npos) << "no alert rules in the README";
  const size_t end = all.find("```\n", at + start.size());
  ASSERT_NE(end, std::string::npos);
  const std::string rules = all.substr(at + 8, end - at - 8);
  EXPECT_THAT(rules, ::testing::HasSubstr("special_ordersd_dead_letters_waiting"));
  EXPECT_THAT(rules, ::testing::HasSubstr("special_ordersd_drift_differences"));
  const auto check = testing::PromtoolCheckRules(rules);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, ::testing::HasSubstr("SUCCESS: 3 rules found"));
}

TEST(PromtoolTest, PromtoolRejectsWhatItShould) {
  // So that the test above could fail: a counter without _total, and a broken line.
  EXPECT_NE(testing::PromtoolCheckMetrics("# HELP x X.\n# TYPE x counter\nx 1\n").exit_code, 0);
  EXPECT_NE(testing::PromtoolCheckMetrics("x{a=\"b} 1\n").exit_code, 0);
}

}  // namespace
}  // namespace so::daemon
