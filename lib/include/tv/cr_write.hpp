// What a guest's write to CR0 does, judged as the CPU would (AMD APM vol.2
// §3.1.1 "CR0 Register", §14.6 "Enabling and Activating Long Mode"; vol.3
// "MOV CRn", "LMSW", "CLTS"). The VMM intercepts CR0 writes because QEMU's
// TCG accepts values real hardware refuses (NW=1 with CD=0, bits 63:32),
// which VMRUN then rejects: emulating the write with the architectural checks
// gives the guest the #GP it would get on hardware instead.
#pragma once
#include "tv/types.hpp"

namespace tv {

// The guest state a CR0 write is judged against.
struct CrContext {
  u64 cr0;
  u64 cr4;
  u64 efer;      // as the guest sees it
  bool cs_long;  // CS.L: the guest runs 64-bit code
};

enum class CrFault : u8 {
  None,
  HighBits,          // bits 63:32 set
  NwWithoutCd,       // NW=1 with CD=0
  PagingWithoutPe,   // PG=1 with PE=0
  LongModeNeedsPae,  // PG 0->1 with EFER.LME=1 and CR4.PAE=0
  LongModeFromCsL,   // PG 0->1 with EFER.LME=1 while CS.L=1
  PagingOffIn64Bit,  // PG 1->0 in 64-bit mode (only compatibility mode may)
};
const char* to_string(CrFault f);

struct CrWrite {
  CrFault fault;   // None: apply cr0 and efer; otherwise the guest gets #GP(0)
  u64 cr0;         // the new CR0 (ET reads as 1)
  u64 efer;        // the new EFER: LMA follows LME and PG
  bool flush_tlb;  // PG, PE, WP or CD changed: the guest's TLB must go
};

CrWrite mov_to_cr0(u64 value, const CrContext& ctx);
// LMSW loads PE, MP, EM, TS from the low bits and cannot clear PE.
CrWrite lmsw(u16 msw, const CrContext& ctx);
// CLTS clears TS.
CrWrite clts(const CrContext& ctx);

}  // namespace tv
