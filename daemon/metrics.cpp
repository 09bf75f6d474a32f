#include "daemon/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace so::daemon {
namespace {

// A metric defined wrongly is a bug in the daemon, found by its first test run: stop with why.
void Require(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

bool ValidName(std::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += EscapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// The text format's escapes: backslash and line feed always, the double quote in label values.
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) { return Escape(value, true); }

std::string EscapeHelp(std::string_view help) { return Escape(help, false); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Counts are whole numbers: written without a fraction or an exponent up to 2^53, where a
  // double still holds every integer.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(value));
  }
  // The shortest text that reads back the same; without an exponent in the range of everyday
  // values, as the bucket bounds (le="0.0005") of other exporters are written.
  char buf[400];
  const double magnitude = std::fabs(value);
  const auto format =
      magnitude >= 1e-6 && magnitude < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, format);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

// --- MetricFamily ---

MetricFamily::MetricFamily(Kind kind, std::string name, std::string help,
                           std::vector<std::string> labels)
    : kind_(kind), name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {
  for (const auto& l : labels_) {
    Require(ValidName(l, false) && l.rfind("__", 0) != 0 && l != "le",
            "bad label name '" + l + "' of " + name_);
  }
}

void MetricFamily::Add(const LabelValues& values, double n) {
  // Checked before the message is built: this runs for every message.
  if (values.size() != labels_.size()) Require(false, "wrong number of label values for " + name_);
  if (!(n >= 0)) return;  // a counter never goes down
  series_[values] += n;
}

void MetricFamily::Set(const LabelValues& values, double value) {
  if (values.size() != labels_.size()) Require(false, "wrong number of label values for " + name_);
  series_[values] = value;
}

double MetricFamily::Value(const LabelValues& values) const {
  const auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second;
}

void MetricFamily::Render(std::string& out) const {
  AppendHeader(out, name_, help_, kind_ == Kind::kCounter ? "counter" : "gauge");
  for (const auto& [values, value] : series_) {
    out += name_;
    if (!labels_.empty()) {
      out += '{';
      for (size_t i = 0; i < labels_.size(); ++i) {
        if (i > 0) out += ',';
        out += labels_[i];
        out += "=\"";
        out += EscapeLabelValue(values[i]);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    out += FormatValue(value);
    out += '\n';
  }
}

// --- Histogram ---

Histogram::Histogram(std::string name, std::string help, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      bounds_(std::move(bounds)),
      counts_(bounds_.size() + 1, 0) {
  Require(std::is_sorted(bounds_.begin(), bounds_.end()) &&
              std::adjacent_find(bounds_.begin(), bounds_.end()) == bounds_.end(),
          "the buckets of " + name_ + " are not strictly ascending");
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  ++counts_[bucket];
  ++count_;
  sum_ += value;
}

void Histogram::Render(std::string& out) const {
  AppendHeader(out, name_, help_, "histogram");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    out += name_;
    out += "_bucket{le=\"";
    out += i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  out += name_ + "_sum " + FormatValue(sum_) + "\n";
  out += name_ + "_count " + std::to_string(count_) + "\n";
}

// --- Registry ---

void Registry::Claim(const std::string& name) {
  Require(ValidName(name, true), "bad metric name '" + name + "'");
  Require(std::find(names_.begin(), names_.end(), name) == names_.end(),
          "metric '" + name + "' defined twice");
  names_.push_back(name);
}

MetricFamily& Registry::AddCounter(std::string_view name, std::string help,
                                   std::vector<std::string> labels) {
  Require(!name.ends_with("_total"), "counter '" + std::string(name) + "' given with _total");
  std::string full = std::string(kMetricPrefix) + std::string(name) + "_total";
  Claim(full);
  entries_.push_back({std::make_unique<MetricFamily>(MetricFamily::Kind::kCounter, std::move(full),
                                                     std::move(help), std::move(labels)),
                      nullptr});
  return *entries_.back().family;
}

MetricFamily& Registry::AddGauge(std::string_view name, std::string help,
                                 std::vector<std::string> labels) {
  std::string full = std::string(kMetricPrefix) + std::string(name);
  Claim(full);
  entries_.push_back({std::make_unique<MetricFamily>(MetricFamily::Kind::kGauge, std::move(full),
                                                     std::move(help), std::move(labels)),
                      nullptr});
  return *entries_.back().family;
}

Histogram& Registry::AddHistogram(std::string_view name, std::string help,
                                  std::vector<double> bounds) {
  std::string full = std::string(kMetricPrefix) + std::string(name);
  Claim(full);
  entries_.push_back(
      {nullptr, std::make_unique<Histogram>(std::move(full), std::move(help), std::move(bounds))});
  return *entries_.back().histogram;
}

std::string Registry::Render() const {
  std::string out;
  for (const Entry& e : entries_) {
    if (e.family) e.family->Render(out);
    if (e.histogram) e.histogram->Render(out);
  }
  return out;
}

}  // namespace so::daemon
