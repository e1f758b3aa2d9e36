#include "virt/guest_memory.hpp"

#include "kernel/memory.hpp"
#include "tv/str.hpp"

namespace tv {

const char* to_string(GuestMemError e) {
  switch (e) {
    case GuestMemError::NonCanonical: return "non-canonical guest address";
    case GuestMemError::NotPresent: return "guest page not present";
    case GuestMemError::ReservedBit: return "reserved bit in guest page table";
    case GuestMemError::PageTableUnreadable: return "guest page table outside guest RAM";
    case GuestMemError::NotGuestRam: return "not guest RAM";
    case GuestMemError::AccessDenied: return "guest page protections forbid the access";
  }
  return "unknown guest memory error";
}

void GuestPhysical::set_ram(const E820Map& map, Range vmm_region, u64 reachable_top) {
  count_ = 0;
  vmm_ = vmm_region;
  top_ = reachable_top;
  ram_[count_++] = {0, 1 * MiB};  // real-mode area: BIOS data, EBDA, ACPI RSDP
  // Every entry of the guest's map counts, reserved ones included: firmware
  // tables (ACPI) live there. The VMM's own region is excluded separately.
  for (const E820Entry& e : map)
    if (count_ < kMaxRanges) ram_[count_++] = {e.addr, e.size};
}

bool GuestPhysical::accessible(u64 gpa, usize len) const {
  if (len == 0) return true;
  u64 end = gpa + len;
  if (end < gpa || end > top_) return false;
  if (Range{gpa, len}.overlaps(vmm_)) return false;
  for (usize i = 0; i < count_; ++i)
    if (gpa >= ram_[i].base && end <= ram_[i].end()) return true;
  return false;
}

bool GuestPhysical::read(u64 gpa, void* dst, usize len) const {
  if (!accessible(gpa, len)) return false;
  mem_copy(dst, mem::phys_to_ptr(gpa), len);
  return true;
}

bool GuestPhysical::write(u64 gpa, const void* src, usize len) const {
  if (!accessible(gpa, len)) return false;
  mem_copy(mem::phys_to_ptr(gpa), src, len);
  return true;
}

GuestPhysical& guest_physical() {
  static GuestPhysical g;
  return g;
}

namespace {
GuestMemError from_walk(WalkError e) {
  switch (e) {
    case WalkError::NonCanonical: return GuestMemError::NonCanonical;
    case WalkError::NotPresent: return GuestMemError::NotPresent;
    case WalkError::ReservedBit: return GuestMemError::ReservedBit;
    case WalkError::PhysReadFailed: return GuestMemError::PageTableUnreadable;
  }
  return GuestMemError::NotPresent;
}

// Runs fn(gpa, offset, chunk) for each piece of [gva, gva+len) that stays within one guest page.
template <typename Fn>
Status<GuestMemError> for_each_page(const Vcpu& vcpu, u64 gva, usize len, GuestAccess access, Fn&& fn) {
  PagingState st = vcpu.paging_state();
  usize done = 0;
  while (done < len) {
    u64 va = gva + done;
    auto t = walk(guest_physical(), st, va);
    if (!t) return Err{from_walk(t.error())};
    if (!access_permitted(*t, access, st)) return Err{GuestMemError::AccessDenied};
    u64 in_page = t->page_size - (t->gpa & (t->page_size - 1));
    usize chunk = len - done < in_page ? len - done : usize(in_page);
    if (!fn(t->gpa, done, chunk)) return Err{GuestMemError::NotGuestRam};
    done += chunk;
  }
  return Ok{};
}
}  // namespace

Status<GuestMemError> read_guest_virtual(const Vcpu& vcpu, u64 gva, void* dst, usize len, bool as_user) {
  auto* out = static_cast<u8*>(dst);
  return for_each_page(vcpu, gva, len, {false, as_user},
                       [&](u64 gpa, usize off, usize n) { return guest_physical().read(gpa, out + off, n); });
}

Status<GuestMemError> write_guest_virtual(const Vcpu& vcpu, u64 gva, const void* src, usize len, bool as_user) {
  const auto* in = static_cast<const u8*>(src);
  // First pass only checks, so a bad page late in the range leaves the guest untouched.
  TV_TRY(for_each_page(vcpu, gva, len, {true, as_user},
                       [&](u64 gpa, usize, usize n) { return guest_physical().accessible(gpa, n); }));
  return for_each_page(vcpu, gva, len, {true, as_user},
                       [&](u64 gpa, usize off, usize n) { return guest_physical().write(gpa, in + off, n); });
}

Result<u64, GuestMemError> translate_guest_virtual(const Vcpu& vcpu, u64 gva) {
  auto t = walk(guest_physical(), vcpu.paging_state(), gva);
  if (!t) return Err{from_walk(t.error())};
  return t->gpa;
}

}  // namespace tv
