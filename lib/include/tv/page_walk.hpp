// Software walk of the guest's own page tables (GVA -> GPA), used by the VMM to
// read guest memory at a guest virtual address (e.g. to fetch an intercepted
// instruction, since the CPU does not hand us its bytes).
// Freestanding: no allocation, no exceptions; the guest-physical memory is abstract.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class WalkError : u8 {
  NonCanonical = 1,  // long mode address whose upper bits are not a sign extension
  NotPresent,        // some paging-structure entry has P=0
  ReservedBit,       // some present entry has a must-be-zero bit set
  PhysReadFailed,    // a paging-structure entry lies in memory PhysMemory cannot read
};
const char* to_string(WalkError);

// What the walker needs from the CPU (AMD APM vol.2 §5 Page Translation and Protection).
struct PagingState {
  u64 cr0;
  u64 cr3;
  u64 cr4;
  u64 efer;
};

enum class PagingMode : u8 { Flat, Legacy32, Pae, Long4, Long5 };
PagingMode paging_mode(const PagingState&);  // CR0.PG, CR4.PAE, EFER.LMA, CR4.LA57

class PhysMemory {  // guest-physical memory the walker reads page-table entries from
 public:
  virtual bool read(u64 gpa, void* dst, usize len) const = 0;  // false = not readable
  // One 8-byte entry: the walker's hot path (every VM exit that decodes an
  // instruction walks the guest's tables), so implementations may do better.
  virtual bool read_u64(u64 gpa, u64& out) const { return read(gpa, &out, sizeof out); }

 protected:
  ~PhysMemory() = default;
};

// gpa is the full translated address (page frame | offset of gva within the page).
// writable/user/executable are the page-table permissions accumulated over all levels
// (CR0.WP, SMEP/SMAP and protection keys are access-time policy, not part of this).
struct Translation {
  u64 gpa;
  u64 page_size;
  bool writable;
  bool user;
  bool executable;
};

Result<Translation, WalkError> walk(const PhysMemory& mem, const PagingState& st, u64 gva);

// Long-mode canonical form: bits 63:47 (63:56 with LA57) equal (AMD APM vol.2 §5.3.1).
bool is_canonical(u64 va, bool la57);

}  // namespace tv

namespace tv {
// Would the guest itself be allowed this access? (AMD APM vol.2 §5.6 "Page-
// Protection Checks": user accesses need U at every level; writes need W,
// which supervisor accesses may bypass only when CR0.WP is clear.) The VMM
// applies this to every access it makes on a guest's behalf, so a user-mode
// caller can never make the VMM touch kernel memory.
struct GuestAccess {
  bool write;
  bool user;
};
bool access_permitted(const Translation& t, GuestAccess a, const PagingState& st);
}  // namespace tv
