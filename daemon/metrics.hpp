// A small Prometheus registry (Debian 12 packages no C++ client): counters and gauges with label
// sets, histograms with fixed buckets, rendered in the text exposition format 0.0.4. Not
// thread-safe: the daemon updates and renders it on its loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace so::daemon {

// Every metric name starts with it.
inline constexpr std::string_view kMetricPrefix = "special_ordersd_";

// Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

// A counter or a gauge with its series, one per label set.
class MetricFamily {
 public:
  enum class Kind { kCounter, kGauge };

  MetricFamily(Kind kind, std::string name, std::string help, std::vector<std::string> labels);

  // Counters: adds `n` (>= 0) to the series, created at 0 the first time.
  void Add(const LabelValues& values, double n = 1);
  // Gauges, and counters mirrored from a count kept elsewhere (which must only grow).
  void Set(const LabelValues& values, double value);
  // Removes every series (a gauge read afresh, whose label sets may have gone).
  void Clear() { series_.clear(); }
  // The series' value, 0 when it does not exist.
  double Value(const LabelValues& values) const;

  void Render(std::string& out) const;

 private:
  Kind kind_;
  std::string name_;  // with the prefix, and _total for a counter
  std::string help_;
  std::vector<std::string> labels_;
  std::map<LabelValues, double> series_;  // ordered: the output is stable
};

// A histogram without labels, with buckets fixed at creation.
class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, ascending; +Inf is added.
  Histogram(std::string name, std::string help, std::vector<double> bounds);

  void Observe(double value);
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

  void Render(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last one is +Inf
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Registry {
 public:
  // `name` without the prefix (and, for a counter, without _total: it is added). Names and label
  // names must be valid Prometheus names, and unique; a wrong one is a bug and asserts. The
  // reference stays valid as long as the registry.
  MetricFamily& AddCounter(std::string_view name, std::string help,
                           std::vector<std::string> labels = {});
  MetricFamily& AddGauge(std::string_view name, std::string help,
                         std::vector<std::string> labels = {});
  Histogram& AddHistogram(std::string_view name, std::string help, std::vector<double> bounds);

  // Every metric in the order it was added, with # HELP and # TYPE.
  std::string Render() const;

 private:
  void Claim(const std::string& name);

  struct Entry {
    std::unique_ptr<MetricFamily> family;
    std::unique_ptr<Histogram> histogram;
  };
  std::vector<Entry> entries_;
  std::vector<std::string> names_;
};

// The text format's escaping: of a label value (\\, \" and \n) and of a HELP text (\\ and \n).
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// A sample value as the text format writes it: integers without a fraction, +Inf, -Inf, NaN.
std::string FormatValue(double value);

}  // namespace so::daemon
