#include "virt/guest_memory.hpp"

#include <initializer_list>

#include "kernel/memory.hpp"
#include "tv/fetch_walk.hpp"
#include "tv/str.hpp"

namespace tv {

const char* to_string(GuestMemError e) {
  switch (e) {
    case GuestMemError::NonCanonical: return "non-canonical guest address";
    case GuestMemError::NotPresent: return "guest page not present";
    case GuestMemError::ReservedBit: return "reserved bit in guest page table";
    case GuestMemError::PageTableUnreadable: return "guest page table outside guest memory";
    case GuestMemError::NotGuestRam: return "not guest RAM";
    case GuestMemError::AccessDenied: return "guest page protections forbid the access";
  }
  return "unknown guest memory error";
}

void GuestPhysical::set_map(const E820Map& map, Range vmm_region, u64 direct_map_top) {
  ram_.clear();
  readable_.clear();
  readable_.add({0, 1 * MiB});  // real-mode area: BIOS data, EBDA, option ROMs, ACPI RSDP
  for (const E820Entry& e : map) {
    readable_.add({e.addr, e.size});
    if (e.type == E820Type::Usable || e.type == E820Type::AcpiReclaim) ram_.add({e.addr, e.size});
  }
  // Never the VMM's own memory, and nothing the VMM's direct map does not reach.
  for (RangeSet* s : {&ram_, &readable_}) {
    s->remove(vmm_region);
    s->remove({direct_map_top, ~0ull - direct_map_top});
  }
}

bool GuestPhysical::read(u64 gpa, void* dst, usize len) const {
  if (!readable_.contains(gpa, len)) return false;
  mem_copy(dst, mem::phys_to_ptr(gpa), len);
  return true;
}

bool GuestPhysical::read_ram(u64 gpa, void* dst, usize len) const {
  if (!ram_.contains(gpa, len)) return false;
  mem_copy(dst, mem::phys_to_ptr(gpa), len);
  return true;
}

bool GuestPhysical::write_ram(u64 gpa, const void* src, usize len) const {
  if (!ram_.contains(gpa, len)) return false;
  mem_copy(mem::phys_to_ptr(gpa), src, len);
  return true;
}

constinit GuestPhysical g_guest_physical;

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
                       [&](u64 gpa, usize off, usize n) { return guest_physical().read_ram(gpa, out + off, n); });
}

Status<GuestMemError> write_guest_virtual(const Vcpu& vcpu, u64 gva, const void* src, usize len, bool as_user) {
  const auto* in = static_cast<const u8*>(src);
  // First pass only checks, so a bad page late in the range leaves the guest untouched.
  TV_TRY(for_each_page(vcpu, gva, len, {true, as_user},
                       [&](u64 gpa, usize, usize n) { return guest_physical().is_ram(gpa, n); }));
  return for_each_page(vcpu, gva, len, {true, as_user},
                       [&](u64 gpa, usize off, usize n) { return guest_physical().write_ram(gpa, in + off, n); });
}

Result<u64, GuestMemError> translate_guest_virtual(const Vcpu& vcpu, u64 gva) {
  auto t = walk(guest_physical(), vcpu.paging_state(), gva);
  if (!t) return Err{from_walk(t.error())};
  return t->gpa;
}

usize fetch_guest_code(const PagingState& st, u64 gva, u8 (&dst)[16], FetchTranslation& cache) {
  const GuestPhysical& gm = guest_physical();
  auto gpa = translate_fetched_cached(gm, st, gva, cache);
  if (!gpa) return 0;
  u64 in_page = kPageSize - (*gpa & (kPageSize - 1));
  // The common case: all 16 bytes in one page, copied with two loads.
  if (in_page >= sizeof dst && gm.readable(*gpa, sizeof dst)) {
    __builtin_memcpy(dst, mem::phys_to_ptr(*gpa), sizeof dst);
    return sizeof dst;
  }
  if (!gm.read(*gpa, dst, in_page)) return 0;
  auto next = translate_fetched_cached(gm, st, gva + in_page, cache);  // the instruction crosses into the next page
  usize rest = sizeof dst - in_page;
  if (!next || !gm.read(*next, dst + in_page, rest)) return in_page;
  return sizeof dst;
}

}  // namespace tv
