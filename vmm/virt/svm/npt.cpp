// Nested paging (AMD APM vol.2 §15.25): the whole guest-physical space,
// identity-mapped once at start-up (lib/src/nested_identity_map.cpp), with the
// VMM's own region shown to the guest as one zeroed scratch page.
#include "arch/x86/cpu.hpp"
#include "kernel/integrity.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/nested_identity_map.hpp"
#include "virt/svm/svm.hpp"

namespace tv::svm {

namespace {
// NPT accesses count as user accesses: U at every level (APM vol.2 §15.25.5).
// Accessed and Dirty preset: the CPU never writes the tables, so they stay
// byte-for-byte what the VMM built (the integrity check fingerprints them).
constexpr u64 kFlags = pte::kPresent | pte::kWritable | pte::kUser | pte::kAccessed | pte::kDirty;
}  // namespace

NestedPagingFacts nested_paging_facts() {
  u32 max_ext = x86::cpuid(0x80000000).eax;
  NestedPagingFacts f{};
  f.phys_bits = max_ext >= 0x80000008 ? u8(x86::cpuid(0x80000008).eax & 0xFF) : 36;
  f.gib_pages = (x86::cpuid(0x80000001).edx & (1u << 26)) != 0;
  return f;
}

Result<u64, SvmError> build_nested_page_tables(Range vmm, const Range* hidden, usize hidden_count,
                                               const Range* read_only, usize read_only_count) {
  auto root = mem::alloc_pages(1);
  auto scratch = mem::alloc_pages(1);
  if (!root || !scratch) return Err{SvmError::OutOfMemory};
  NestedPagingFacts f = nested_paging_facts();
  NestedMapSpec spec{f.phys_bits, f.gib_pages, kFlags, {vmm}, 1, *scratch, {}, 0};
  if (hidden_count + 1 > NestedMapSpec::kMaxRanges || read_only_count > NestedMapSpec::kMaxRanges)
    return Err{SvmError::OutOfMemory};
  for (usize i = 0; i < hidden_count; ++i) spec.hidden[spec.hidden_count++] = hidden[i];
  for (usize i = 0; i < read_only_count; ++i) spec.read_only[spec.read_only_count++] = read_only[i];
  mem::RunTableMemory tables;  // one run of pages: one integrity region
  PageTableBuilder npt(tables, *root, kFlags);
  auto st = build_nested_identity_map(npt, tables, spec);
  if (!st) return Err{SvmError::OutOfMemory};
  // The scratch page is the guest's to scribble on; every table page must never change.
  integrity::protect("nested page table root", *root, kPageSize);
  integrity::protect("nested page tables", tables.run().base, tables.run().size);
  TV_LOG(
      "nested paging: all %u bits of guest-physical space identity-mapped (%lu x 1 GiB, %lu x 2 MiB, %lu x 4 KiB); "
      "VMM region %lx-%lx hidden behind scratch page %lx",
      unsigned(f.phys_bits > kMaxNestedPhysBits ? kMaxNestedPhysBits : f.phys_bits), st->gib_leaves, st->mib2_leaves,
      st->kib4_leaves, vmm.base, vmm.end(), *scratch);
  return *root;
}

}  // namespace tv::svm
