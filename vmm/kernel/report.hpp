// A text report built line by line into a caller's buffer: the status
// hypercall and the vmminfo domain service share the builders that use it.
#pragma once
#include "tv/types.hpp"

namespace tv {

class Report {
 public:
  Report(char* buf, usize cap) : buf_(buf), cap_(cap) {
    if (cap_ != 0) buf_[0] = '\0';
  }
  // Appends formatted text; what does not fit is dropped but still counted,
  // so needed() tells a caller how big a buffer the whole report wants.
  void add(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  const char* text() const { return buf_; }
  usize len() const { return need_ < cap_ ? need_ : (cap_ != 0 ? cap_ - 1 : 0); }
  usize needed() const { return need_; }  // without the NUL
  bool truncated() const { return need_ >= cap_; }

 private:
  char* buf_;
  usize cap_;
  usize need_ = 0;
};

}  // namespace tv
