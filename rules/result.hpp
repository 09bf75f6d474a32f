// Errors as values across the ports (after leveldb's Status): a Status says whether a port call
// succeeded and, if not, what failed and whether retrying can help. Plain values,
// thread-compatible.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace so {

// What kind of failure it is decides what the caller does next.
enum class ErrorKind {
  kTransient,   // retry the whole transaction: deadlock, lock wait timeout, write conflict
  kConnection,  // the connection is gone: reconnect, then retry the transaction
  kPermanent,   // retrying will not help: bad data, constraint violation, missing table
  kFatal,       // the daemon cannot go on: another run of it took its event source; stop
};

struct Error {
  ErrorKind kind = ErrorKind::kPermanent;
  int code = 0;  // the MySQL error code when there is one, else 0
  std::string message;

  std::string ToString() const;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Status status() const { return ok() ? Status() : Status(error()); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

inline std::string Error::ToString() const {
  const char* kind_name = kind == ErrorKind::kTransient    ? "transient"
                          : kind == ErrorKind::kConnection ? "connection"
                          : kind == ErrorKind::kFatal      ? "fatal"
                                                           : "permanent";
  std::string s = std::string(kind_name) + " error";
  if (code != 0) s += " " + std::to_string(code);
  return s + ": " + message;
}

}  // namespace so

// Propagation helpers for code that calls several ports in a row. They only return early; they
// never hide an error.
#define SO_CONCAT_INNER(a, b) a##b
#define SO_CONCAT(a, b) SO_CONCAT_INNER(a, b)

#define SO_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::so::Status so_status_ = (expr);                \
    if (!so_status_.ok()) return so_status_.error(); \
  } while (false)

#define SO_ASSIGN_OR_RETURN(lhs, expr) \
  SO_ASSIGN_OR_RETURN_IMPL(SO_CONCAT(so_result_, __LINE__), lhs, expr)
#define SO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.error();             \
  lhs = std::move(tmp).value()
