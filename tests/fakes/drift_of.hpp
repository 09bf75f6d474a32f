// The production drift check (rules/drift.hpp) run over the whole fake database: the fake's
// rows as the check's plain values, as the MySQL adapter reads them from the real tables.
// Pure function; thread-safe.
#pragma once

#include <vector>

#include "rules/drift.hpp"
#include "tests/fakes/fake_store.hpp"

namespace so::fakes {

// Every difference of stock, special-ordered lines and red stars in `db`.
std::vector<Drift> DriftOf(const FakeDb& db);

}  // namespace so::fakes
