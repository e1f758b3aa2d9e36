// Reads a Linux `struct module` from guest memory with the offsets of the
// guest kernel's profile (tv/kernel_profile.hpp): what the agentless
// detector knows at do_init_module(mod) and free_module(mod). Every read is
// bounded and may fail; nothing here trusts the guest.
#pragma once
#include "tv/kernel_profile.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// Guest-virtual reads as the guest kernel sees its memory.
class GuestReader {
 public:
  virtual bool read(u64 gva, void* dst, usize len) const = 0;

 protected:
  ~GuestReader() = default;
};

inline constexpr usize kModuleNameLen = 56;  // Linux MODULE_NAME_LEN (64 - sizeof(unsigned long))

enum class ModuleReadError : u8 { BadPointer = 1, Unreadable, UnterminatedName, BadLayout };
const char* to_string(ModuleReadError e);

struct ModuleFacts {
  char name[kModuleNameLen];
  u64 base;
  u64 size;
  u64 text_size;  // the first text_size bytes from base are the core text
  u32 state;      // enum module_state: 0 LIVE, 1 COMING, 2 GOING, 3 UNFORMED
};

Result<ModuleFacts, ModuleReadError> read_module(const GuestReader& mem, u64 mod, const KernelProfile& p);

}  // namespace tv
