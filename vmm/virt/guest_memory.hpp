// Guest memory access for the VMM: by guest-physical address (checked against
// the guest's memory map, never the VMM's own region) and by guest-virtual
// address (walked through the vCPU's own page tables). Bad guest addresses come
// back as errors; nothing here can fault the VMM.
//
// Two views of guest-physical memory:
//  - RAM (e820 Usable and ACPI reclaimable): the only memory a hypercall may
//    read or write on the guest's behalf; a buffer in ROM, MMIO, a reserved
//    range or a hole is an error (TV_ERR_BAD_ADDRESS), never a silent no-op.
//  - readable (every range of the guest's map, plus the first MiB): where the
//    guest's page tables and instructions may live and where the VMM looks
//    for firmware tables (ACPI). The VMM only ever reads there.
#pragma once
#include "tv/e820.hpp"
#include "tv/fetch_walk.hpp"
#include "tv/page_walk.hpp"
#include "tv/range_set.hpp"
#include "tv/result.hpp"
#include "virt/vcpu.hpp"

namespace tv {

enum class GuestMemError : u8 {
  NonCanonical = 1,     // the guest-virtual address is not canonical
  NotPresent,           // a page-table entry on the way is not present
  ReservedBit,          // a page-table entry has reserved bits set
  PageTableUnreadable,  // a page-table pointer leads outside guest memory
  NotGuestRam,          // the guest-physical range is not the guest's RAM
  AccessDenied,         // the guest's own page protections forbid this access
};
const char* to_string(GuestMemError e);

class GuestPhysical final : public PhysMemory {
 public:
  void set_map(const E820Map& guest_map, Range vmm_region, u64 direct_map_top);
  bool is_ram(u64 gpa, usize len) const { return ram_.contains(gpa, len); }
  bool readable(u64 gpa, usize len) const { return readable_.contains(gpa, len); }
  // PhysMemory (page walks, firmware tables): the readable view.
  bool read(u64 gpa, void* dst, usize len) const override;
  bool read_u64(u64 gpa, u64& out) const override {
    if (!readable_.contains(gpa, sizeof out)) return false;
    __builtin_memcpy(&out, reinterpret_cast<const void*>(gpa), sizeof out);  // one load (identity map)
    return true;
  }
  // For addresses read_u64 accepted before (tv/fetch_walk.hpp's cache).
  u64 load_u64(u64 gpa) const {
    u64 v;
    __builtin_memcpy(&v, reinterpret_cast<const void*>(gpa), sizeof v);
    return v;
  }
  // Guest RAM only.
  bool read_ram(u64 gpa, void* dst, usize len) const;
  bool write_ram(u64 gpa, const void* src, usize len) const;

 private:
  RangeSet ram_;
  RangeSet readable_;
};

extern constinit GuestPhysical g_guest_physical;  // constinit: no constructor to run, no guard
inline GuestPhysical& guest_physical() {
  return g_guest_physical;
}

// Copies len bytes at guest-virtual gva (page by page) using vcpu's paging
// state; the data must be guest RAM. `as_user` applies user-mode page
// protections (a CPL 3 caller). Writes are all or nothing: every page is
// checked before any byte is written.
Status<GuestMemError> read_guest_virtual(const Vcpu& vcpu, u64 gva, void* dst, usize len, bool as_user = false);
Status<GuestMemError> write_guest_virtual(const Vcpu& vcpu, u64 gva, const void* src, usize len, bool as_user = false);
Result<u64, GuestMemError> translate_guest_virtual(const Vcpu& vcpu, u64 gva);
// Reads the 16 bytes of code at guest-virtual gva (the readable view: code may
// be ROM), or as many as lie in reachable pages; returns the count. An
// instruction is at most 15 bytes; the 16th makes the common case two loads.
// `cache` is the vCPU's last code translation (re-validated on every use).
usize fetch_guest_code(const PagingState& st, u64 gva, u8 (&dst)[16], FetchTranslation& cache);

}  // namespace tv
