// What the agentless module-load detector needs to know about the guest
// kernel, as data (docs/module-watch.md): a few link-time symbol addresses
// (from the kernel's -dbg vmlinux symbol table) and struct module offsets
// (from its BTF), written by tools/tvprofile into a small text file that the
// runner hands the VMM as a boot module:
//
//   thinvisor-kernel-profile 1
//   release 6.1.0-57-amd64
//   symbol entry_SYSCALL_64 ffffffff81a00000
//   symbol do_init_module ffffffff811a2b30
//   symbol free_module ffffffff811a1c40
//   offset module.state 0
//   offset module.name 24
//   offset module.core_layout.base 320
//   offset module.core_layout.size 328
//   offset module.core_layout.text_size 332
//
// Every line is required; unknown lines are ignored (newer tools may add some).
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class ProfileError : u8 { NotAProfile = 1, BadLine, Missing, TooLong };
const char* to_string(ProfileError e);

struct KernelProfile {
  char release[64];
  u64 entry_syscall_64;  // link address: the KASLR slide is LSTAR minus this
  u64 do_init_module;
  u64 free_module;
  u32 off_state;
  u32 off_name;
  u32 off_core_base;
  u32 off_core_size;
  u32 off_core_text_size;
};

inline constexpr const char* kProfileMagic = "thinvisor-kernel-profile 1";

// text need not be NUL-terminated; at most len bytes are read.
Result<KernelProfile, ProfileError> parse_kernel_profile(const char* text, usize len);

// The guest kernel's KASLR slide from its IA32_LSTAR (entry_SYSCALL_64 as
// loaded): Linux moves the kernel in 2 MiB steps and keeps its text in the
// top 1 GiB+ of the address space. Err(BadSlide) otherwise: the profile is not
// this kernel's (or LSTAR is not entry_SYSCALL_64).
enum class SlideError : u8 { BadSlide = 1 };
Result<u64, SlideError> kaslr_slide(u64 lstar, const KernelProfile& p);

}  // namespace tv
