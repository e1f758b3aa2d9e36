// Loaders move payloads (kernel, initrd, modules) from where the boot loader
// put them to where the guest needs them. A move must not overwrite a payload
// that has not been moved yet; this orders the moves so none does.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

struct Move {
  u64 src;
  u64 dst;
  u64 size;
};

enum class MovePlanError : u8 { TooMany = 1, Cycle, Overflow };
const char* to_string(MovePlanError e);

inline constexpr usize kMaxMoves = 16;

// Writes a safe order of indices into order[0..n). A move's own source may
// overlap its destination (the copy must then be a memmove).
Status<MovePlanError> plan_moves(const Move* moves, usize n, usize* order);

}  // namespace tv
