// Internal to config/: the checks shared by the daemon config and the rules file, turning yaml-cpp
// nodes into values or Problems with their file:line:column. A Reader collects the problems of one
// file; use one per load, from one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_loader.hpp"

namespace so::config::internal {

// A node with what is needed to report about it.
struct Value {
  YAML::Node node;
  // Where problems with the value point. For an empty value this is its key, since yaml-cpp marks
  // an empty value at the next token, often on a later line.
  YAML::Mark mark;
  // Where "missing key" problems of a mapping point: its key when it has one (`bus:`), else the
  // node itself.
  YAML::Mark anchor;
  // Where the value sits in the file, for messages: "rules[0].match.stores".
  std::string path;
};

// A mapping whose keys have been checked against the allowed ones. Unknown and repeated keys are
// reported and left out.
struct Mapping {
  YAML::Mark anchor;
  std::string path;
  std::vector<std::pair<std::string, Value>> fields;

  const Value* Find(std::string_view key) const;
};

// One allowed value of an enumeration, as the file spells it.
template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  bool ok() const { return problems_.empty(); }
  // The problems so far, sorted by position.
  std::vector<Problem> TakeProblems();

  void Report(const YAML::Mark& mark, std::string message);
  // A problem with the file as a whole (no position).
  void ReportFile(std::string message);
  // A problem with `value`, the message prefixed with its path.
  void Report(const Value& value, std::string_view message);

  // Parses the text into its single document; nullopt after reporting a syntax error, an empty
  // file or more than one document.
  std::optional<Value> Parse(std::string_view text);

  std::optional<Mapping> ReadMapping(const Value& value, std::span<const std::string_view> allowed);
  // Reports a missing key at the mapping's anchor.
  const Value* Require(const Mapping& mapping, std::string_view key);

  // Any scalar, quoted or not, read as text. Empty text is refused unless allowed.
  std::optional<std::string> ReadString(const Value& value, bool allow_empty = false);
  // A plain decimal integer in [min, max]. Floats, quoted numbers, hex, octal, leading zeros and
  // trailing garbage are refused rather than read in one of their possible meanings.
  std::optional<int64_t> ReadInteger(const Value& value, int64_t min, int64_t max);
  // Exactly `true` or `false`; YAML 1.1's yes/no/on/off and other spellings are refused.
  std::optional<bool> ReadBool(const Value& value);
  template <class E, size_t N>
  std::optional<E> ReadEnum(const Value& value, const std::array<EnumName<E>, N>& names);
  // A non-empty sequence, or a single scalar standing for a list of one. `empty_hint` says what
  // to do instead of an empty list.
  std::optional<std::vector<Value>> ReadList(const Value& value, std::string_view empty_hint);

  // Reads every item of a list with `read_item`, refusing repeated items. nullopt if any item
  // is bad.
  template <class T, class ReadItem>
  std::optional<std::vector<T>> ReadUniqueList(const Value& value, std::string_view empty_hint,
                                               ReadItem read_item);

 private:
  void ReportUnknownValue(const Value& value, std::span<const std::string_view> allowed);

  std::string file_;
  std::vector<Problem> problems_;
};

// The whole content of the file at `path`, or why it cannot be read ("No such file or directory").
struct FileContent {
  std::optional<std::string> text;
  std::string error;
};
FileContent ReadFile(const std::string& path);

// "a list", "an empty value", "'text'": what a node is, for "expected X, got Y" messages.
std::string Describe(const YAML::Node& node);

// "a, b, c"
std::string JoinNames(std::span<const std::string_view> names);

// 1-based line for messages; 0 when the mark is unknown.
int LineOf(const YAML::Mark& mark);

template <class E, size_t N>
std::optional<E> Reader::ReadEnum(const Value& value, const std::array<EnumName<E>, N>& names) {
  std::optional<std::string> text = ReadString(value, /*allow_empty=*/true);
  if (!text) return std::nullopt;
  for (const EnumName<E>& n : names) {
    if (n.name == *text) return n.value;
  }
  std::vector<std::string_view> allowed;
  for (const EnumName<E>& n : names) allowed.push_back(n.name);
  ReportUnknownValue(value, allowed);
  return std::nullopt;
}

template <class T, class ReadItem>
std::optional<std::vector<T>> Reader::ReadUniqueList(const Value& value,
                                                     std::string_view empty_hint,
                                                     ReadItem read_item) {
  std::optional<std::vector<Value>> items = ReadList(value, empty_hint);
  if (!items) return std::nullopt;
  std::vector<T> result;
  std::vector<const Value*> seen;  // the item each entry of `result` came from
  bool ok = true;
  for (const Value& item : *items) {
    std::optional<T> v = read_item(item);
    if (!v) {
      ok = false;
      continue;
    }
    bool repeated = false;
    for (size_t i = 0; i < result.size(); ++i) {
      if (result[i] == *v) {
        Report(item, "'" + item.node.Scalar() + "' is listed twice (first at line " +
                         std::to_string(LineOf(seen[i]->mark)) + ")");
        repeated = true;
        ok = false;
        break;
      }
    }
    if (!repeated) {
      result.push_back(std::move(*v));
      seen.push_back(&item);
    }
  }
  if (!ok) return std::nullopt;
  return result;
}

}  // namespace so::config::internal
