#include "virt/guest_loader.hpp"

#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/linux_boot.hpp"
#include "tv/move_plan.hpp"
#include "tv/multiboot.hpp"
#include "virt/guest_memory.hpp"

extern "C" void* memmove(void* dst, const void* src, tv::usize n);

namespace tv {

const char* to_string(LoadError e) {
  switch (e) {
    case LoadError::NoKernel: return "no guest kernel module was given";
    case LoadError::BadImage: return "the guest kernel image is not a bzImage or multiboot kernel";
    case LoadError::NoRoom: return "guest memory has no room for the guest image";
    case LoadError::CopyFailed: return "a guest payload's destination is not guest RAM (the log says what it overlaps)";
    case LoadError::TooManyModules: return "too many guest modules";
  }
  return "unknown load error";
}

Status<LoadError> load_guest(Vcpu& vcpu, const GuestBootInfo& info) {
  if (info.module_count == 0) return Err{LoadError::NoKernel};
  const BootModule& k = info.modules[0];
  const u8* image = mem::phys_to_ptr<const u8>(k.base);
  if (parse_bzimage(image, k.size).ok()) return load_linux(vcpu, info);
  if (find_multiboot_header(image, k.size).ok()) return load_multiboot_guest(vcpu, info);
  auto lb = parse_bzimage(image, k.size);
  TV_LOG("guest kernel (%lu bytes) is neither a usable bzImage (%s) nor a multiboot kernel", k.size,
         to_string(lb.error()));
  return Err{LoadError::BadImage};
}

Status<LoadError> move_payloads(const Move* moves, usize n) {
  usize order[kMaxMoves];
  auto plan = plan_moves(moves, n, order);
  if (!plan) {
    TV_LOG("cannot place guest payloads: %s", to_string(plan.error()));
    return Err{LoadError::NoRoom};
  }
  for (usize i = 0; i < n; ++i) {
    const Move& m = moves[order[i]];
    if (!guest_physical().is_ram(m.dst, m.size)) {
      const Range vmm = mem::vmm_region();
      if (Range{m.dst, m.size}.overlaps(vmm))
        TV_LOG("guest payload destination %lx-%lx overlaps the VMM's region %lx-%lx", m.dst, m.dst + m.size, vmm.base,
               vmm.end());
      else
        TV_LOG("guest payload destination %lx-%lx is not all guest RAM (see the guest e820 lines above)", m.dst,
               m.dst + m.size);
      return Err{LoadError::CopyFailed};
    }
    memmove(mem::phys_to_ptr(m.dst), mem::phys_to_ptr(m.src), m.size);
  }
  return Ok{};
}

}  // namespace tv
