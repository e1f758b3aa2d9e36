#include "tv/module_reader.hpp"

namespace tv {

const char* to_string(ModuleReadError e) {
  switch (e) {
    case ModuleReadError::BadPointer: return "struct module pointer is not a kernel address";
    case ModuleReadError::Unreadable: return "struct module is not readable";
    case ModuleReadError::UnterminatedName: return "module name is not NUL-terminated";
    case ModuleReadError::BadLayout: return "module base/size make no sense";
  }
  return "?";
}

Result<ModuleFacts, ModuleReadError> read_module(const GuestReader& mem, u64 mod, const KernelProfile& p) {
  // A struct module lives in kernel memory (module or direct-map addresses).
  if (mod < 0xFFFF800000000000ull) return Err{ModuleReadError::BadPointer};
  ModuleFacts f{};
  u64 base = 0;
  u32 size = 0, text_size = 0;
  if (!mem.read(mod + p.off_state, &f.state, sizeof f.state) || !mem.read(mod + p.off_name, f.name, sizeof f.name) ||
      !mem.read(mod + p.off_core_base, &base, sizeof base) || !mem.read(mod + p.off_core_size, &size, sizeof size) ||
      !mem.read(mod + p.off_core_text_size, &text_size, sizeof text_size))
    return Err{ModuleReadError::Unreadable};
  bool terminated = false;
  for (char c : f.name) terminated |= c == '\0';
  if (!terminated) return Err{ModuleReadError::UnterminatedName};
  if (size == 0 || text_size > size || base < 0xFFFF800000000000ull || base + size < base)
    return Err{ModuleReadError::BadLayout};
  f.base = base;
  f.size = size;
  f.text_size = text_size;
  return f;
}

}  // namespace tv
