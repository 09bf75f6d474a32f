// The daemon's wall clock, for what it stamps by itself (the sweep's time, and the clock's when it
// comes). A test build (CMake SO_TEST_CLOCK) can read the time from a file instead, so that an
// end-to-end test moves the daemon's "now" by writing the file: SO_FAKE_NOW_FILE=<path>. Never in
// production: without SO_TEST_CLOCK the variable is ignored (with a warning).
#pragma once

#include <functional>
#include <string>

#include "rules/timestamp.hpp"

namespace so::daemon {

using TimeSource = std::function<Timestamp()>;
// Where the time source's warnings go (the daemon's log); called from the source's calls too.
using TimeSourceWarn = std::function<void(const std::string&)>;

// so::Now, unless this is a SO_TEST_CLOCK build and SO_FAKE_NOW_FILE names a file: then
// FileTimeSource of it (and a warning that says so).
TimeSource TimeSourceFromEnv(const TimeSourceWarn& warn);

#ifdef SO_TEST_CLOCK
// Test builds only: reads the file at every call, an RFC 3339 time (whitespace around it is
// ignored). While the file is missing or does not hold one, so::Now(), with one warning for each
// distinct problem (not one per call); a problem warned of is warned of again after the file was
// read fine meanwhile.
TimeSource FileTimeSource(std::string path, TimeSourceWarn warn);
#endif

}  // namespace so::daemon
