// The journal's MESSAGE_ID of each kind of event an operator may want to find or alert on: 128
// bits, made once and never changed (journalctl MESSAGE_ID=...; docs in the README, "Operating
// it"). Constants only.
#pragma once

namespace so::daemon::log_ids {

inline constexpr const char* kStarted = "e22c17214572413a9fd0cf97370454f3";  // ready: serving
inline constexpr const char* kStopped = "72d6d128d9cb4e3fad5fe8be5461e79b";  // stopped, counters
inline constexpr const char* kUnexpectedError = "e0c936b2e8ae4360a9c0703e7e6ca9de";  // exits with 1
inline constexpr const char* kGap = "e66ad0fc5b3c4240a6ed5d57d62c8018";         // lost messages
inline constexpr const char* kDeadLetter = "08ec427303b244dab841c827f7e9f31f";  // parked
inline constexpr const char* kRefused = "d78435d455d743ddab73322db9a35c66";     // business refusal
inline constexpr const char* kReloadRefused = "dae77efb2cc749c492a3bc1b9b2c032e";  // old rules kept
inline constexpr const char* kReloaded = "13ed9919098f4f288d801a2e7e5b8e41";       // new rules
inline constexpr const char* kDatabaseLost = "e9fa81a13b5e4d5194885251a5f09bb5";  // holding, paused
inline constexpr const char* kDatabaseBack = "46c8cd9e5ccd45cf8dc737e3b7b7c76d";  // resuming
inline constexpr const char* kUnknownType = "2f600c8c4cc3438d888c6e71de92f791";   // first of a type
inline constexpr const char* kSummary = "2955629c6258420d917d0c64054a0f33";       // every few s
inline constexpr const char* kDrift =
    "c761c134fd6c4d6f99131a029a9d1589";  // counters drifted, or back
inline constexpr const char* kDatabaseNode =
    "7640141d7dd74407a333056aa6a7fe21";  // connected to a node, or moved to another

}  // namespace so::daemon::log_ids
