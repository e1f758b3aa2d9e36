#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "virt/svm/svm.hpp"

namespace tv::svm {

namespace {
// NPT accesses count as user accesses: U at every level (APM vol.2 §15.25.5).
constexpr u64 kFlags = pte::kPresent | pte::kWritable | pte::kUser;
}  // namespace

bool map_nested_2m(u64 nested_cr3, u64 gpa2m, Range vmm) {
  if (Range{gpa2m, 2 * MiB}.overlaps(vmm) || (gpa2m >> 48) != 0) return false;
  PageTableBuilder npt(mem::pool_tables(), nested_cr3, kFlags);
  return npt.map(gpa2m, gpa2m, PageSize::k2M, kFlags).ok();
}

Result<u64, SvmError> build_nested_page_tables(u64 top, Range vmm) {
  auto root = mem::alloc_pages(1);
  auto scratch = mem::alloc_pages(1);
  if (!root || !scratch) return Err{SvmError::OutOfMemory};
  PageTableBuilder npt(mem::pool_tables(), *root, kFlags);
  for (u64 gpa = 0; gpa < top; gpa += 2 * MiB) {
    if (!npt.map(gpa, gpa, PageSize::k2M, kFlags).ok()) return Err{SvmError::OutOfMemory};
  }
  // The VMM's own 2 MiB pages: every 4 KiB page of them shows the guest one
  // scratch page instead, so reads find no VMM data and writes hit nothing.
  u64 scratch_pte = *scratch | kFlags;
  for (u64 gpa = align_down(vmm.base, 2 * MiB); gpa < vmm.end(); gpa += 2 * MiB) {
    if (!npt.remap_4k(gpa, [&](u64) { return scratch_pte; }).ok()) return Err{SvmError::OutOfMemory};
  }
  TV_LOG("nested paging: identity map of %lu MiB, VMM region %lx-%lx hidden behind scratch page %lx", top / MiB,
         vmm.base, vmm.end(), *scratch);
  return *root;
}

}  // namespace tv::svm
