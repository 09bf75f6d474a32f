#include "rules/audit_counters.hpp"

#include <cctype>
#include <optional>

namespace so {
namespace {

// The signed number right after `at` ("+2", "-13"), if there is one.
std::optional<Qty> SignedNumberAt(std::string_view text, size_t at) {
  if (at >= text.size() || (text[at] != '+' && text[at] != '-')) return std::nullopt;
  const bool minus = text[at] == '-';
  size_t i = at + 1;
  if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  Qty n = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    n = n * 10 + (text[i] - '0');
  }
  return minus ? -n : n;
}

// Adds up every "<word> <signed number>" in `text` where the word starts the text or follows a
// character that is not a letter (so "overcommitted +1" would not count).
bool AddUp(std::string_view text, std::string_view word, Qty& sum) {
  bool named = false;
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    if (at > 0 && std::isalpha(static_cast<unsigned char>(text[at - 1]))) continue;
    const size_t after = at + word.size();
    if (after >= text.size() || text[after] != ' ') continue;
    if (auto n = SignedNumberAt(text, after + 1)) {
      sum += *n;
      named = true;
    }
  }
  return named;
}

}  // namespace

CountersMoved ParseCountersMoved(std::string_view detail) {
  CountersMoved c;
  const bool committed = AddUp(detail, "committed", c.committed);
  const bool backordered = AddUp(detail, "backordered", c.backordered);
  c.named = committed || backordered;
  return c;
}

}  // namespace so
