#include "tv/cr_write.hpp"

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {
namespace {

CrFault check_cr0(u64 v, const CrContext& c) {
  namespace cr0 = x86::cr0;
  if ((v >> 32) != 0) return CrFault::HighBits;
  if ((v & cr0::kNw) != 0 && (v & cr0::kCd) == 0) return CrFault::NwWithoutCd;
  if ((v & cr0::kPg) != 0 && (v & cr0::kPe) == 0) return CrFault::PagingWithoutPe;
  const bool paging_was_on = (c.cr0 & cr0::kPg) != 0;
  const bool paging_on = (v & cr0::kPg) != 0;
  const bool lme = (c.efer & x86::efer::kLme) != 0;
  if (!paging_was_on && paging_on && lme) {
    if ((c.cr4 & x86::cr4::kPae) == 0) return CrFault::LongModeNeedsPae;
    if (c.cs_long) return CrFault::LongModeFromCsL;
  }
  const bool in_64bit = (c.efer & x86::efer::kLma) != 0 && c.cs_long;
  if (paging_was_on && !paging_on && in_64bit) return CrFault::PagingOffIn64Bit;
  return CrFault::None;
}

CrWrite write_cr0(u64 v, const CrContext& c) {
  namespace cr0 = x86::cr0;
  CrFault f = check_cr0(v, c);
  if (f != CrFault::None) return {f, c.cr0, c.efer, false};
  v |= cr0::kEt;  // hard-wired to 1 since the 486
  u64 efer = c.efer & ~x86::efer::kLma;
  if ((v & cr0::kPg) != 0 && (c.efer & x86::efer::kLme) != 0) efer |= x86::efer::kLma;
  constexpr u64 kTlbBits = cr0::kPg | cr0::kPe | cr0::kWp | cr0::kCd;
  return {CrFault::None, v, efer, ((v ^ c.cr0) & kTlbBits) != 0};
}

}  // namespace

const char* to_string(CrFault f) {
  switch (f) {
    case CrFault::None: return "none";
    case CrFault::HighBits: return "CR0 bits 63:32 set";
    case CrFault::NwWithoutCd: return "CR0.NW set with CR0.CD clear";
    case CrFault::PagingWithoutPe: return "CR0.PG set with CR0.PE clear";
    case CrFault::LongModeNeedsPae: return "long mode activated without CR4.PAE";
    case CrFault::LongModeFromCsL: return "long mode activated while CS.L is set";
    case CrFault::PagingOffIn64Bit: return "paging turned off in 64-bit mode";
  }
  return "?";
}

CrWrite mov_to_cr0(u64 value, const CrContext& ctx) {
  return write_cr0(value, ctx);
}

CrWrite lmsw(u16 msw, const CrContext& ctx) {
  namespace cr0 = x86::cr0;
  u64 v = (ctx.cr0 & ~(cr0::kMswBits & ~cr0::kPe)) | (msw & cr0::kMswBits);  // PE can be set, not cleared
  return write_cr0(v, ctx);
}

CrWrite clts(const CrContext& ctx) {
  return write_cr0(ctx.cr0 & ~x86::cr0::kTs, ctx);
}

}  // namespace tv
