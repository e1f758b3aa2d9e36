#include "tv/event_combine.hpp"

namespace tv {
namespace {
constexpr u8 kDf = 8, kPf = 14;
// #DE, #TS, #NP, #SS, #GP (APM vol.2 Table 8-6 "contributory").
bool contributory(u8 v) {
  return v == 0 || v == 10 || v == 11 || v == 12 || v == 13;
}
}  // namespace

Combined combine_events(bool first_is_exception, u8 first, u8 second) {
  if (!first_is_exception) return Combined::DeliverSecond;
  if (first == kDf) return Combined::TripleFault;
  if (contributory(first) && contributory(second)) return Combined::DoubleFault;
  if (first == kPf && (contributory(second) || second == kPf)) return Combined::DoubleFault;
  return Combined::DeliverSecond;
}

}  // namespace tv
