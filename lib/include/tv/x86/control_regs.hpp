// Control-register, RFLAGS and segment-attribute bits the VMM reasons about.
#pragma once
#include "tv/types.hpp"

namespace tv::x86 {

// AMD APM vol.2 §3.1.1 "CR0 Register".
namespace cr0 {
inline constexpr u64 kPe = 1ull << 0;
inline constexpr u64 kMp = 1ull << 1;
inline constexpr u64 kEm = 1ull << 2;
inline constexpr u64 kTs = 1ull << 3;
inline constexpr u64 kEt = 1ull << 4;
inline constexpr u64 kWp = 1ull << 16;
inline constexpr u64 kNw = 1ull << 29;
inline constexpr u64 kCd = 1ull << 30;
inline constexpr u64 kPg = 1ull << 31;
inline constexpr u64 kMswBits = kPe | kMp | kEm | kTs;  // what LMSW loads (APM vol.3 "LMSW")
}  // namespace cr0

// AMD APM vol.2 §3.1.3 "CR4 Register".
namespace cr4 {
inline constexpr u64 kDe = 1ull << 3;
inline constexpr u64 kPse = 1ull << 4;
inline constexpr u64 kPae = 1ull << 5;
inline constexpr u64 kLa57 = 1ull << 12;
}  // namespace cr4

// AMD APM vol.2 §3.1.6 "RFLAGS Register".
namespace rflags {
inline constexpr u64 kReserved1 = 1ull << 1;  // always 1
inline constexpr u64 kTf = 1ull << 8;         // trap flag: single-step
inline constexpr u64 kRf = 1ull << 16;        // resume flag: instruction breakpoints skipped for one instruction
inline constexpr u64 kVm = 1ull << 17;
}  // namespace rflags

// AMD APM vol.2 §13.1.1.3 "Debug-Status Register (DR6)".
namespace dr6 {
inline constexpr u64 kBreakpointHits = 0xF;    // B0-B3
inline constexpr u64 kBd = 1ull << 13;         // the #DB came from DR7.GD (a MOV DR)
inline constexpr u64 kBs = 1ull << 14;         // the #DB came from single-stepping
inline constexpr u64 kBt = 1ull << 15;         // the #DB came from a task switch
inline constexpr u64 kFixedOnes = 0xFFFF0FF0;  // bits 4-11 and 16-31 read as 1
inline constexpr u64 kInit = kFixedOnes;       // value after reset
}  // namespace dr6

// AMD APM vol.2 §13.1.1.5 "Debug-Control Register (DR7)".
namespace dr7 {
inline constexpr u64 kEnableBits = 0xFF;  // L0 G0 ... L3 G3
inline constexpr u64 kFixedOne = 1ull << 10;
inline constexpr u64 kGd = 1ull << 13;                                            // general detect
inline constexpr u64 kReservedZero = (1ull << 11) | (1ull << 12) | (3ull << 14);  // bits 11, 12, 14, 15
inline constexpr u64 kInit = kFixedOne;
}  // namespace dr7

// AMD APM vol.2 §15.5.1: the VMCB's packed segment attributes (descriptor bits 8-15 and 20-23).
namespace seg_attr {
inline constexpr u16 kLong = 1u << 9;         // L: 64-bit code segment
inline constexpr u16 kDefaultBig = 1u << 10;  // D/B: 32-bit default operand size
}  // namespace seg_attr

}  // namespace tv::x86
