#include "config/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace so::config::internal {
namespace {

// Tags yaml-cpp gives scalars: "?" for a plain scalar, "!" for a quoted one, else an explicit tag.
constexpr std::string_view kPlainTag = "?";
constexpr std::string_view kQuotedTag = "!";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";

std::string Prefixed(std::string_view path, std::string_view message) {
  if (path.empty()) return std::string(message);
  return std::string(path) + ": " + std::string(message);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A suggestion for a likely typo. Only a hint in the message: the value stays refused.
std::optional<std::string_view> Closest(std::string_view text,
                                        std::span<const std::string_view> allowed) {
  std::optional<std::string_view> best;
  size_t best_distance = 3;  // further than this is a different word, not a typo
  for (std::string_view name : allowed) {
    size_t d = Lower(text) == Lower(name) ? 0 : EditDistance(text, name);
    if (d < best_distance && d < name.size()) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view text, std::span<const std::string_view> allowed) {
  std::optional<std::string_view> closest = Closest(text, allowed);
  if (!closest) return "";
  return " (did you mean '" + std::string(*closest) + "'?)";
}

bool IsPlainOr(const YAML::Node& node, std::string_view tag) {
  return node.Tag() == kPlainTag || node.Tag() == tag;
}

}  // namespace

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "an empty value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar: {
      constexpr size_t kMaxShown = 40;
      std::string text = node.Scalar();
      if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
      if (node.Tag() == kQuotedTag) return "the quoted string '" + text + "'";
      if (node.Tag() != kPlainTag) return "'" + text + "' tagged " + node.Tag();
      return "'" + text + "'";
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string JoinNames(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

FileContent ReadFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return {.text = std::nullopt, .error = "is a directory"};
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno != 0 ? errno : EIO;
    return {.text = std::nullopt,
            .error = std::error_code(error, std::generic_category()).message()};
  }
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return {.text = std::nullopt, .error = "read error"};
  return {.text = std::move(text), .error = ""};
}

int LineOf(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }

const Value* Mapping::Find(std::string_view key) const {
  for (const auto& [name, value] : fields) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::vector<Problem> Reader::TakeProblems() {
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(problems_);
}

void Reader::Report(const YAML::Mark& mark, std::string message) {
  bool known = mark.line >= 0 && mark.column >= 0;
  problems_.push_back(Problem{.file = file_,
                              .line = known ? mark.line + 1 : 0,
                              .column = known ? mark.column + 1 : 0,
                              .message = std::move(message)});
}

void Reader::ReportFile(std::string message) {
  problems_.push_back(Problem{.file = file_, .message = std::move(message)});
}

void Reader::Report(const Value& value, std::string_view message) {
  Report(value.mark, Prefixed(value.path, message));
}

namespace {

// Notes where documents start and ignores everything else: enough to count them.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  // YAML::EventHandler
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

// Not YAML::LoadAll: yaml-cpp 0.7.0 (Debian 12) loops on some inputs (a lone ",") adding empty
// documents until memory runs out (jbeder/yaml-cpp#1040). Documents are counted with the event
// parser, at most two, and only the first is loaded.
std::optional<Value> Reader::Parse(std::string_view text) {
  YAML::Node root;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentStarts starts;
    for (int i = 0; i < 2 && parser.HandleNextDocument(starts); ++i) {
    }
    if (starts.marks.empty()) {
      ReportFile("the file is empty");
      return std::nullopt;
    }
    if (starts.marks.size() > 1) {
      Report(starts.marks[1], "a second YAML document; the file must hold exactly one");
      return std::nullopt;
    }
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Report(e.mark, "YAML syntax error: " + e.msg);
    return std::nullopt;
  } catch (const std::exception& e) {
    ReportFile(std::string("cannot parse the file: ") + e.what());
    return std::nullopt;
  }
  return Value{.node = root, .mark = root.Mark(), .anchor = root.Mark(), .path = ""};
}

std::optional<Mapping> Reader::ReadMapping(const Value& value,
                                           std::span<const std::string_view> allowed) {
  if (!value.node.IsMap()) {
    Report(value, "expected a mapping with keys among " + JoinNames(allowed) + ", got " +
                      Describe(value.node));
    return std::nullopt;
  }
  Mapping mapping{.anchor = value.anchor, .path = value.path, .fields = {}};
  std::vector<std::pair<std::string, YAML::Mark>> seen;
  for (const auto& pair : value.node) {
    const YAML::Node& key = pair.first;
    const YAML::Node& child = pair.second;
    if (!key.IsScalar()) {
      Report(key.Mark(), Prefixed(value.path, "expected a key name, got " + Describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    auto previous =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == name; });
    if (previous != seen.end()) {
      Report(key.Mark(), Prefixed(value.path, "key '" + name + "' is given twice (first at line " +
                                                  std::to_string(LineOf(previous->second)) + ")"));
      continue;
    }
    seen.emplace_back(name, key.Mark());
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      Report(key.Mark(),
             Prefixed(value.path, "unknown key '" + name + "'" + DidYouMean(name, allowed) +
                                      "; allowed keys: " + JoinNames(allowed)));
      continue;
    }
    std::string path = value.path.empty() ? name : value.path + "." + name;
    mapping.fields.emplace_back(name, Value{.node = child,
                                            .mark = child.IsNull() ? key.Mark() : child.Mark(),
                                            .anchor = key.Mark(),
                                            .path = std::move(path)});
  }
  return mapping;
}

const Value* Reader::Require(const Mapping& mapping, std::string_view key) {
  const Value* value = mapping.Find(key);
  if (value == nullptr) {
    Report(mapping.anchor,
           Prefixed(mapping.path, "missing required key '" + std::string(key) + "'"));
  }
  return value;
}

std::optional<std::string> Reader::ReadString(const Value& value, bool allow_empty) {
  if (!value.node.IsScalar()) {
    Report(value, "expected a string, got " + Describe(value.node));
    return std::nullopt;
  }
  if (!allow_empty && value.node.Scalar().empty()) {
    Report(value, "must not be empty");
    return std::nullopt;
  }
  return value.node.Scalar();
}

std::optional<int64_t> Reader::ReadInteger(const Value& value, int64_t min, int64_t max) {
  std::string text = value.node.IsScalar() ? value.node.Scalar() : std::string();
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  bool decimal =
      value.node.IsScalar() && IsPlainOr(value.node, kIntTag) && !digits.empty() &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!decimal) {
    Report(value, "expected an integer, got " + Describe(value.node));
    return std::nullopt;
  }
  if (digits.size() > 1 && digits.front() == '0') {
    Report(value, "'" + text + "' has a leading zero, which YAML 1.1 reads as octal; write it " +
                      "without the leading zero");
    return std::nullopt;
  }
  std::string range;
  if (min == 1 && max == INT64_MAX) {
    range = "expected a positive integer";
  } else if (min == 0 && max == INT64_MAX) {
    range = "expected 0 or a positive integer";
  } else {
    range = "expected " + std::to_string(min) + ".." + std::to_string(max);
  }
  int64_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n < min || n > max) {
    Report(value, text + " is out of range; " + range);
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Reader::ReadBool(const Value& value) {
  if (value.node.IsScalar() && IsPlainOr(value.node, kBoolTag)) {
    const std::string& text = value.node.Scalar();
    if (text == "true") return true;
    if (text == "false") return false;
    static constexpr std::string_view kOtherSpellings[] = {
        "True", "TRUE", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "on",   "On",   "ON",    "off",   "Off", "OFF", "y",   "Y",  "n",  "N"};
    if (std::find(std::begin(kOtherSpellings), std::end(kOtherSpellings), text) !=
        std::end(kOtherSpellings)) {
      Report(value, "'" + text + "' is not accepted as a boolean; write true or false");
      return std::nullopt;
    }
  }
  Report(value, "expected true or false, got " + Describe(value.node));
  return std::nullopt;
}

std::optional<std::vector<Value>> Reader::ReadList(const Value& value,
                                                   std::string_view empty_hint) {
  if (value.node.IsScalar()) return std::vector<Value>{value};
  if (!value.node.IsSequence()) {
    Report(value, "expected a list, got " + Describe(value.node));
    return std::nullopt;
  }
  if (value.node.size() == 0) {
    Report(value, "the list is empty; " + std::string(empty_hint));
    return std::nullopt;
  }
  std::vector<Value> items;
  size_t index = 0;
  for (const YAML::Node& item : value.node) {
    items.push_back(Value{.node = item,
                          .mark = item.Mark(),
                          .anchor = item.Mark(),
                          .path = value.path + "[" + std::to_string(index++) + "]"});
  }
  return items;
}

void Reader::ReportUnknownValue(const Value& value, std::span<const std::string_view> allowed) {
  Report(value, Describe(value.node) + " is not allowed" +
                    DidYouMean(value.node.Scalar(), allowed) +
                    "; expected one of: " + JoinNames(allowed));
}

}  // namespace so::config::internal
