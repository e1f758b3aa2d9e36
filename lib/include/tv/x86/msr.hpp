// Model-specific registers thinvisor touches, with their bits. Hardware-free
// definitions shared by the VMM (vmm/arch/x86/cpu.hpp has rdmsr/wrmsr) and lib/.
#pragma once
#include "tv/types.hpp"

namespace tv::x86 {

// AMD APM vol.2 §3.1.7 "Extended Feature Enable Register (EFER)".
namespace efer {
inline constexpr u32 kMsr = 0xC0000080;
inline constexpr u64 kSce = 1ull << 0;
inline constexpr u64 kLme = 1ull << 8;
inline constexpr u64 kLma = 1ull << 10;
inline constexpr u64 kNxe = 1ull << 11;
inline constexpr u64 kSvme = 1ull << 12;
inline constexpr u64 kLmsle = 1ull << 13;
inline constexpr u64 kFfxsr = 1ull << 14;
inline constexpr u64 kTce = 1ull << 15;
// Every other bit is reserved: writing one raises #GP.
inline constexpr u64 kDefined = kSce | kLme | kLma | kNxe | kSvme | kLmsle | kFfxsr | kTce;
}  // namespace efer

// AMD APM vol.2 §15.30.1 "VM_CR MSR".
namespace vm_cr {
inline constexpr u32 kMsr = 0xC0010114;
inline constexpr u64 kLock = 1ull << 3;
inline constexpr u64 kSvmDis = 1ull << 4;
}  // namespace vm_cr

// AMD APM vol.2 §15.30.4 "VM_HSAVE_PA MSR".
inline constexpr u32 kVmHsavePa = 0xC0010117;

// AMD APM vol.2 §15.31 "SVM-Lock": the key that unlocks VM_CR.SVMDIS.
inline constexpr u32 kSvmLockKey = 0xC0010118;

// AMD APM vol.2 §7.8 "Page-Attribute Table Mechanism" (power-on value).
inline constexpr u64 kPatDefault = 0x0007040600070406ull;

}  // namespace tv::x86
