// Guest memory access for the VMM: by guest-physical address (checked against
// the guest's RAM map, never the VMM's own region) and by guest-virtual address
// (walked through the vCPU's own page tables). Bad guest addresses come back as
// errors; nothing here can fault the VMM.
#pragma once
#include "tv/e820.hpp"
#include "tv/page_walk.hpp"
#include "tv/result.hpp"
#include "virt/vcpu.hpp"

namespace tv {

enum class GuestMemError : u8 {
  NonCanonical = 1,     // the guest-virtual address is not canonical
  NotPresent,           // a page-table entry on the way is not present
  ReservedBit,          // a page-table entry has reserved bits set
  PageTableUnreadable,  // a page-table pointer leads outside guest RAM
  NotGuestRam,          // the guest-physical range is not the guest's RAM
  AccessDenied,         // the guest's own page protections forbid this access
};
const char* to_string(GuestMemError e);

class GuestPhysical final : public PhysMemory {
 public:
  // The guest's memory: every entry of its e820 map (firmware tables live in
  // reserved ones) and the first MiB, minus the VMM's region.
  void set_ram(const E820Map& guest_map, Range vmm_region, u64 reachable_top);
  bool accessible(u64 gpa, usize len) const;
  bool read(u64 gpa, void* dst, usize len) const override;
  bool write(u64 gpa, const void* src, usize len) const;

 private:
  static constexpr usize kMaxRanges = E820Map::kCapacity + 1;  // every e820 entry + the first MiB
  Range ram_[kMaxRanges] = {};
  usize count_ = 0;
  Range vmm_{};
  u64 top_ = 0;
};

GuestPhysical& guest_physical();

// Copies len bytes at guest-virtual gva (page by page) using vcpu's paging
// state. `as_user` applies user-mode page protections (a CPL 3 caller).
// Writes are all or nothing: every page is checked before any byte is written.
Status<GuestMemError> read_guest_virtual(const Vcpu& vcpu, u64 gva, void* dst, usize len, bool as_user = false);
Status<GuestMemError> write_guest_virtual(const Vcpu& vcpu, u64 gva, const void* src, usize len, bool as_user = false);
Result<u64, GuestMemError> translate_guest_virtual(const Vcpu& vcpu, u64 gva);

}  // namespace tv
