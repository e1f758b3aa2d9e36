#include "tv/move_plan.hpp"

namespace tv {

const char* to_string(MovePlanError e) {
  switch (e) {
    case MovePlanError::TooMany: return "too many payloads to move";
    case MovePlanError::Cycle: return "payload destinations overlap each other's sources in a cycle";
    case MovePlanError::Overflow: return "payload address range wraps around";
  }
  return "unknown move-plan error";
}

Status<MovePlanError> plan_moves(const Move* moves, usize n, usize* order) {
  if (n > kMaxMoves) return Err{MovePlanError::TooMany};
  for (usize i = 0; i < n; ++i)
    if (moves[i].src + moves[i].size < moves[i].src || moves[i].dst + moves[i].size < moves[i].dst)
      return Err{MovePlanError::Overflow};
  bool done[kMaxMoves] = {};
  for (usize step = 0; step < n; ++step) {
    usize pick = n;
    for (usize i = 0; i < n && pick == n; ++i) {
      if (done[i]) continue;
      Range dst{moves[i].dst, moves[i].size};
      bool clobbers = false;
      for (usize j = 0; j < n; ++j)
        if (j != i && !done[j] && dst.overlaps({moves[j].src, moves[j].size})) clobbers = true;
      if (!clobbers) pick = i;
    }
    if (pick == n) return Err{MovePlanError::Cycle};
    done[pick] = true;
    order[step] = pick;
  }
  return Ok{};
}

}  // namespace tv
