// The invariants of CONTRACT.md section 5, checked over the fake database: every test that
// applies messages checks them after each one. Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "tests/fakes/fake_store.hpp"

namespace so::fakes {

// Returns one readable line per broken invariant; empty when all hold. Assumes, as the tests
// arrange, that the daemon is the only writer of committed and backordered.
std::vector<std::string> CheckInvariants(const FakeDb& db);

}  // namespace so::fakes
