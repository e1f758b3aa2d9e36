// The VMM's own command line (multiboot cmdline):
//   key key=value key="value with spaces" ... [ -- guest command line verbatim]
// Tokens are separated by blanks (space, tab, CR, LF). Double quotes group characters into one
// token and are removed (they may appear anywhere in a token, e.g. key="a b"). A bare `--`
// token ends the options; everything after it, with leading blanks trimmed, is passed to the
// guest unchanged (quotes included). Parsing stops at a NUL byte even if len is larger.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class CmdlineError : u8 {
  TooLong = 1,        // the stored keys, values and guest command line exceed kStorage
  TooManyOptions,     // more than kMaxOptions options
  UnterminatedQuote,  // odd number of double quotes in an option token
  BadNumber,          // get_u64: not a decimal/0x-hex number with optional K/M/G suffix
  NumberOverflow,     // get_u64: value (after the suffix) does not fit in 64 bits
  EmptyKey,           // "=value" or an empty quoted token
};
const char* to_string(CmdlineError e);

class Cmdline {
 public:
  static constexpr usize kStorage = 4096;  // bytes for all strings, NULs included
  static constexpr usize kMaxOptions = 32;

  static Result<Cmdline, CmdlineError> parse(const char* s, usize len);

  // If a key is repeated, the last occurrence wins (like the Linux kernel's parameters).
  bool has(const char* key) const;
  // nullptr if absent, "" for a bare key.
  const char* get(const char* key) const;
  // fallback if absent. Accepts decimal or 0x/0X hex, optionally followed by one of K/M/G
  // (either case; binary multiples). A bare key is BadNumber.
  Result<u64, CmdlineError> get_u64(const char* key, u64 fallback) const;
  // Text after ` -- `, or "" if there was none.
  const char* guest_cmdline() const { return buf_ + guest_; }
  bool has_guest_cmdline() const { return has_guest_; }
  usize option_count() const { return count_; }
  // Options in command-line order (duplicates included); i < option_count().
  const char* key_at(usize i) const { return buf_ + opts_[i].key; }
  const char* value_at(usize i) const { return buf_ + opts_[i].value; }

 private:
  // Offsets rather than pointers so that copying a Cmdline (e.g. out of a Result) stays valid.
  struct Option {
    u16 key;
    u16 value;
  };
  static_assert(kStorage <= 0xFFFF, "offsets are u16");

  const Option* find(const char* key) const;

  char buf_[kStorage]{};
  Option opts_[kMaxOptions]{};
  usize count_ = 0;
  usize used_ = 1;  // buf_[0] is the shared empty string
  u16 guest_ = 0;
  bool has_guest_ = false;
};

}  // namespace tv
