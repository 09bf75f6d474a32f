// A canonical text form of the fake database: every table, every column, rows in key order, one
// line per row. Two databases are equal exactly when their dumps are. Pure function; thread-safe.
#pragma once

#include <string>

#include "tests/fakes/fake_store.hpp"

namespace so::fakes {

std::string Dump(const FakeDb& db);

}  // namespace so::fakes
