// The Virtual Machine Control Block (AMD APM vol.2 Appendix B, Tables B-1 and B-2).
// Only the SVM backend includes this file; exit handlers use the Vcpu interface.
#pragma once
#include <cstddef>

#include "tv/types.hpp"

namespace tv::svm {

// APM vol.2 §15.5.1 segment state in the VMCB (attributes in the packed 12-bit form).
struct VmcbSegment {
  u16 selector;
  u16 attrib;
  u32 limit;
  u64 base;
};
static_assert(sizeof(VmcbSegment) == 16);

// APM vol.2 Appendix B, Table B-1: control area.
struct VmcbControl {
  u16 intercept_cr_read;
  u16 intercept_cr_write;
  u16 intercept_dr_read;
  u16 intercept_dr_write;
  u32 intercept_exceptions;
  u32 intercept_misc1;
  u32 intercept_misc2;
  u32 intercept_misc3;
  u8 reserved_018[0x03C - 0x018];
  u16 pause_filter_threshold;
  u16 pause_filter_count;
  u64 iopm_base_pa;
  u64 msrpm_base_pa;
  u64 tsc_offset;
  u32 guest_asid;
  u8 tlb_control;
  u8 reserved_05d[3];
  u64 vintr;
  u64 interrupt_shadow;
  u64 exit_code;
  u64 exit_info1;
  u64 exit_info2;
  u64 exit_int_info;
  u64 np_control;
  u64 avic_apic_bar;
  u64 ghcb_pa;
  u64 event_inject;
  u64 n_cr3;
  u64 lbr_virt;
  u32 clean_bits;
  u32 reserved_0c4;
  u64 next_rip;
  u8 insn_bytes_fetched;
  u8 insn_bytes[15];
  u8 reserved_0e0[0x400 - 0x0E0];
};
static_assert(offsetof(VmcbControl, iopm_base_pa) == 0x040);
static_assert(offsetof(VmcbControl, guest_asid) == 0x058);
static_assert(offsetof(VmcbControl, exit_code) == 0x070);
static_assert(offsetof(VmcbControl, np_control) == 0x090);
static_assert(offsetof(VmcbControl, event_inject) == 0x0A8);
static_assert(offsetof(VmcbControl, n_cr3) == 0x0B0);
static_assert(offsetof(VmcbControl, next_rip) == 0x0C8);
static_assert(sizeof(VmcbControl) == 0x400);

// APM vol.2 Appendix B, Table B-2: state save area (offsets from the VMCB start).
struct VmcbSave {
  VmcbSegment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
  u8 reserved_4a0[0x4CB - 0x4A0];
  u8 cpl;
  u32 reserved_4cc;
  u64 efer;
  u8 reserved_4d8[0x548 - 0x4D8];
  u64 cr4;
  u64 cr3;
  u64 cr0;
  u64 dr7;
  u64 dr6;
  u64 rflags;
  u64 rip;
  u8 reserved_580[0x5D8 - 0x580];
  u64 rsp;
  u64 s_cet;
  u64 ssp;
  u64 isst_addr;
  u64 rax;
  u64 star;
  u64 lstar;
  u64 cstar;
  u64 sfmask;
  u64 kernel_gs_base;
  u64 sysenter_cs;
  u64 sysenter_esp;
  u64 sysenter_eip;
  u64 cr2;
  u8 reserved_648[0x668 - 0x648];
  u64 g_pat;
  u64 dbgctl;
  u64 br_from;
  u64 br_to;
  u64 last_excp_from;
  u64 last_excp_to;
  u8 reserved_698[0x1000 - 0x698];
};

struct alignas(4096) Vmcb {
  VmcbControl control;
  VmcbSave save;
};
static_assert(offsetof(Vmcb, save.cpl) == 0x4CB);
static_assert(offsetof(Vmcb, save.efer) == 0x4D0);
static_assert(offsetof(Vmcb, save.cr4) == 0x548);
static_assert(offsetof(Vmcb, save.rip) == 0x578);
static_assert(offsetof(Vmcb, save.rsp) == 0x5D8);
static_assert(offsetof(Vmcb, save.rax) == 0x5F8);
static_assert(offsetof(Vmcb, save.cr2) == 0x640);
static_assert(offsetof(Vmcb, save.g_pat) == 0x668);
static_assert(sizeof(Vmcb) == 4096);

// APM vol.2 Appendix B, Table B-1, offset 0x00C (misc1) and 0x010 (misc2) intercept bits.
namespace intercept {
inline constexpr u32 kNmi = 1u << 1;
inline constexpr u32 kCpuid = 1u << 18;
inline constexpr u32 kInvlpga = 1u << 26;
inline constexpr u32 kIoioProt = 1u << 27;
inline constexpr u32 kMsrProt = 1u << 28;
inline constexpr u32 kShutdown = 1u << 31;
inline constexpr u32 kVmrun = 1u << 0;  // misc2
inline constexpr u32 kVmmcall = 1u << 1;
inline constexpr u32 kVmload = 1u << 2;
inline constexpr u32 kVmsave = 1u << 3;
inline constexpr u32 kStgi = 1u << 4;
inline constexpr u32 kClgi = 1u << 5;
inline constexpr u32 kSkinit = 1u << 6;
// Offsets 0x000-0x006 (APM vol.2 Table B-1): one bit per CR/DR number.
inline constexpr u16 kCr0 = 1u << 0;
inline constexpr u16 kDr0To7 = 0xFF;
}  // namespace intercept

// APM vol.2 Appendix C: SVM intercept exit codes.
namespace exit_code {
inline constexpr u64 kExceptionBase = 0x40;  // + vector
inline constexpr u64 kIntr = 0x60;
inline constexpr u64 kNmi = 0x61;
inline constexpr u64 kCpuid = 0x72;
inline constexpr u64 kInvlpga = 0x7A;
inline constexpr u64 kIoio = 0x7B;
inline constexpr u64 kMsr = 0x7C;
inline constexpr u64 kShutdown = 0x7F;
inline constexpr u64 kVmrun = 0x80;
inline constexpr u64 kVmmcall = 0x81;
inline constexpr u64 kVmload = 0x82;
inline constexpr u64 kVmsave = 0x83;
inline constexpr u64 kStgi = 0x84;
inline constexpr u64 kClgi = 0x85;
inline constexpr u64 kSkinit = 0x86;
inline constexpr u64 kNpf = 0x400;
inline constexpr u64 kCr0Write = 0x10;     // + n for CRn (only CR0 is intercepted)
inline constexpr u64 kDrReadBase = 0x20;   // + n for DRn
inline constexpr u64 kDrWriteBase = 0x30;  // + n for DRn
inline constexpr u64 kInvalid = ~0ull;
}  // namespace exit_code

// APM vol.2 §15.20 "Event Injection" (EVENTINJ field format).
namespace event {
inline constexpr u64 kTypeNmi = 2ull << 8;
inline constexpr u64 kTypeException = 3ull << 8;
inline constexpr u64 kTypeSoftInt = 4;  // the TYPE field value (bits 10:8) of INTn
inline constexpr u64 kErrorValid = 1ull << 11;
inline constexpr u64 kValid = 1ull << 31;
}  // namespace event

// APM vol.2 §15.10.2 IOIO intercept information in EXITINFO1.
namespace ioio {
inline constexpr u64 kIn = 1u << 0;
inline constexpr u64 kString = 1u << 2;
inline constexpr u64 kRep = 1u << 3;
inline constexpr u64 kSize8 = 1u << 4;
inline constexpr u64 kSize16 = 1u << 5;
inline constexpr u64 kSize32 = 1u << 6;
}  // namespace ioio

}  // namespace tv::svm
