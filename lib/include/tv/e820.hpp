// E820 physical memory maps: the host map (from multiboot), and the map we hand to the guest
// in boot_params with the VMM's own memory hidden as Reserved.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

// Region types as defined by ACPI / the BIOS INT 15h E820 interface. Types > 5 exist
// (e.g. 7 = persistent memory); they are carried through unchanged and treated as non-usable.
enum E820Type : u32 {
  Usable = 1,
  Reserved = 2,
  AcpiReclaim = 3,
  AcpiNvs = 4,
  Unusable = 5,
};

// Neutral memory region used by the parsers (multiboot mmap, ...) before it becomes an E820 map.
struct MemRegion {
  u64 base;
  u64 size;
  u32 type;
};

// struct boot_e820_entry: Linux Documentation/arch/x86/zero-page.rst (e820_table at 0x2D0).
struct E820Entry {
  u64 addr;
  u64 size;
  u32 type;

  constexpr u64 end() const { return addr + size; }
} __attribute__((packed));
static_assert(sizeof(E820Entry) == 20);
static_assert(__builtin_offsetof(E820Entry, addr) == 0);
static_assert(__builtin_offsetof(E820Entry, size) == 8);
static_assert(__builtin_offsetof(E820Entry, type) == 16);

enum class E820Error : u8 {
  TooManyEntries = 1,  // more than E820Map::kCapacity entries would be needed
  EmptyRange,          // a range of size 0
  Overflow,            // base + size wraps past 2^64
};
const char* to_string(E820Error e);

// Fixed-capacity E820 table. Entries always have size > 0 and base + size does not wrap.
// Not kept sorted: add()/carve() preserve insertion order; normalize() sorts and cleans up.
class E820Map {
 public:
  // E820_MAX_ENTRIES_ZEROPAGE: the boot_params table has room for exactly 128 entries.
  static constexpr usize kCapacity = 128;

  Status<E820Error> add(u64 addr, u64 size, u32 type);
  Status<E820Error> add(const E820Entry& e) { return add(e.addr, e.size, e.type); }

  usize size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const E820Entry& operator[](usize i) const { return entries_[i]; }
  const E820Entry* begin() const { return entries_; }
  const E820Entry* end() const { return entries_ + count_; }
  void clear() {
    count_ = 0;
    overflowed_ = false;
  }

  // Turns every part of r that overlaps an existing entry into new_type, splitting entries as
  // needed. Parts of r outside all entries stay absent (absent already means "not RAM").
  // Atomic: on TooManyEntries the map is unchanged.
  Status<E820Error> carve(Range r, u32 new_type);

  // Sorts by address, resolves overlaps and merges touching entries of equal type.
  // Overlap rule: any non-usable type beats Usable (handing the guest RAM that someone else
  // owns is the dangerous direction); among non-usable types the higher number wins, which
  // makes e.g. AcpiNvs beat AcpiReclaim beat Reserved (a deterministic, conservative choice).
  // If the cleaned map would need more than kCapacity entries, everything from the last slot
  // upward is collapsed into one non-usable entry (losing RAM, never inventing it) and
  // overflowed() becomes true.
  void normalize();
  bool overflowed() const { return overflowed_; }

  // Sum of the sizes of all entries of the given type (meaningful after normalize()).
  u64 total(u32 type) const;

 private:
  E820Entry entries_[kCapacity]{};
  usize count_ = 0;
  bool overflowed_ = false;
};

// The guest's view of memory: the host map with each hidden range (the VMM's own memory)
// marked Reserved, then normalized. n may exceed kCapacity if the host map shrinks when merged.
Result<E820Map, E820Error> build_guest_e820(const MemRegion* host_map, usize n, const Range* hidden, usize n_hidden);

}  // namespace tv
