// A VMM watchpoint as text, the one syntax of the `watch=` VMM option and the
// debug shell's `watch` command: "ADDR[,KIND[,LEN]]" (spaces work as well as
// commas). ADDR is hex, with or without 0x, as addresses are printed; KIND is
// x (default), w or rw; LEN is 1, 2, 4 or 8 (default 1 for x, 8 otherwise).
#pragma once
#include "tv/dr7.hpp"
#include "tv/result.hpp"

namespace tv {

enum class WatchSpecError : u8 { BadAddress = 1, BadKind, BadLength, TrailingText };
const char* to_string(WatchSpecError e);

struct WatchSpec {
  u64 addr;
  BpType type;
  u8 len;
};

Result<WatchSpec, WatchSpecError> parse_watch_spec(const char* s);

}  // namespace tv
