// Errors as values: Result<T, E> holds either a T or an error enum E.
// Freestanding (no exceptions, no allocation); used by the VMM and host code alike.
#pragma once
#include <new>
#include <type_traits>

namespace tv {

template <typename E>
struct Err {
  E error;
};
template <typename E>
Err(E) -> Err<E>;

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(const T& v) : ok_(true) { new (&value_) T(v); }               // NOLINT(google-explicit-constructor)
  Result(T&& v) : ok_(true) { new (&value_) T(static_cast<T&&>(v)); }  // NOLINT
  Result(Err<E> e) : ok_(false), error_(e.error) {}                    // NOLINT(google-explicit-constructor)
  Result(const Result& o) : ok_(o.ok_), error_(o.error_) {
    if (ok_) new (&value_) T(o.value_);
  }
  Result& operator=(const Result& o) {
    if (this != &o) {
      reset();
      ok_ = o.ok_;
      error_ = o.error_;
      if (ok_) new (&value_) T(o.value_);
    }
    return *this;
  }
  ~Result() { reset(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  E error() const { return error_; }
  T value_or(T fallback) const { return ok_ ? value_ : fallback; }

 private:
  void reset() {
    if (ok_) value_.~T();
  }
  bool ok_;
  E error_{};
  union {
    T value_;
  };
};

// Result<void, E>: success carries nothing.
struct Ok {};
template <typename E>
class [[nodiscard]] Status {
 public:
  Status(Ok) : ok_(true) {}                          // NOLINT(google-explicit-constructor)
  Status(Err<E> e) : ok_(false), error_(e.error) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E error() const { return error_; }

 private:
  bool ok_;
  E error_{};
};

}  // namespace tv

// TV_TRY(expr): evaluates a Result/Status; on error, returns that error from
// the enclosing function (which must return a Result/Status of the same error type).
#define TV_TRY(expr)                                  \
  do {                                                \
    auto _tv_r = (expr);                              \
    if (!_tv_r.ok()) return ::tv::Err{_tv_r.error()}; \
  } while (0)
