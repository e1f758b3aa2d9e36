// Builds 4-level x86-64 page tables (AMD APM vol.2 §5.3 "Long-Mode Page
// Translation"). The same format serves the VMM's own direct map and the nested
// page tables (APM vol.2 §15.25.5: nested tables use the long-mode format, and
// every access through them counts as a user access, so U must be set at every
// level). Hardware-free: tables live wherever the TableMemory says.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

namespace pte {
inline constexpr u64 kPresent = 1ull << 0;
inline constexpr u64 kWritable = 1ull << 1;
inline constexpr u64 kUser = 1ull << 2;
inline constexpr u64 kAccessed = 1ull << 5;
inline constexpr u64 kDirty = 1ull << 6;      // leaves only; ignored in table entries
inline constexpr u64 kLargePage = 1ull << 7;  // PS: 2 MiB in a PDE, 1 GiB in a PDPTE
inline constexpr u64 kNoExecute = 1ull << 63;
inline constexpr u64 kAddrMask = 0x000FFFFFFFFFF000ull;
}  // namespace pte

enum class PtError : u8 { OutOfMemory = 1, Misaligned, AlreadyMapped, AddressTooHigh };
const char* to_string(PtError);

enum class PageSize : u64 { k4K = 4096, k2M = 2ull << 20, k1G = 1ull << 30 };

// Where tables come from: zeroed 4 KiB pages identified by physical address.
class TableMemory {
 public:
  virtual Result<u64, PtError> alloc_table() = 0;
  virtual u64* table_at(u64 phys) = 0;

 protected:
  ~TableMemory() = default;
};

class PageTableBuilder {
 public:
  // table_flags go on every non-leaf entry it creates (e.g. P|W|U).
  PageTableBuilder(TableMemory& mem, u64 root_phys, u64 table_flags)
      : mem_(mem), root_(root_phys), table_flags_(table_flags) {}

  // Maps [va, va+size) to pa. Replaces an existing leaf of the same size;
  // refuses to replace a larger leaf with smaller ones (split it with remap_4k).
  // 1 GiB leaves need CPU support (CPUID 8000_0001h EDX bit 26, APM vol.2 §5.3.4).
  Status<PtError> map(u64 va, u64 pa, PageSize size, u64 leaf_flags);
  // Identity-maps the 1 GiB at va1g with 512 2 MiB leaves in one page directory
  // (one walk, then a tight loop: this is how a whole address space is mapped fast).
  Status<PtError> map_gib_as_2m(u64 va1g, u64 leaf_flags);
  // The entry at `level` (1 = PT .. 4 = PML4) that maps va, with the tables
  // above it created as needed: for callers that fill a whole table in one
  // loop (build_nested_identity_map's 1 GiB leaves). AlreadyMapped if a large
  // leaf above `level` covers va.
  Result<u64*, PtError> entry_at(u64 va, int level) { return walk_to(va, level); }
  // Replaces whatever maps the 2 MiB region at va2m with a fresh page table
  // whose 512 entries all come from fn(index) (a flags-included PTE).
  template <typename Fn>
  Status<PtError> remap_4k(u64 va2m, Fn&& fn) {
    auto pt = mem_.alloc_table();
    if (!pt) return Err{pt.error()};
    u64* t = mem_.table_at(*pt);
    for (u64 i = 0; i < 512; ++i) t[i] = fn(i);
    return set_pde(va2m, *pt | table_flags_);
  }
  // The leaf entry that maps va, or 0 if none.
  u64 lookup(u64 va) const;
  u64 root() const { return root_; }

 private:
  Result<u64*, PtError> walk_to(u64 va, int level);  // pointer to the entry at `level` (1=PT .. 4=PML4)
  struct Leaf {
    u64 entry;  // 0 if nothing maps va
    int level;  // 1 = PT (4 KiB), 2 = PD (2 MiB), 3 = PDPT (1 GiB)
  };
  Leaf leaf(u64 va) const;
  int existing_level(u64 va) const;  // level of the leaf mapping va (0: none)
  Status<PtError> set_pde(u64 va, u64 value);
  TableMemory& mem_;
  u64 root_;
  u64 table_flags_;
};

}  // namespace tv
