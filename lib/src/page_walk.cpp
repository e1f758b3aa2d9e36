// Guest page-table walker. Entry formats: AMD APM vol.2 §5.3 (legacy 32-bit, PAE),
// §5.3.3/§5.4 (long mode, 4-level and 5-level), §5.2.3 (PSE-36); Intel SDM vol.3A §4.
#include "tv/page_walk.hpp"

#include "tv/x86/control_regs.hpp"
#include "tv/x86/msr.hpp"

namespace tv {
namespace {

// Architectural control bits the mode selection depends on.
constexpr u64 kCr0Pg = x86::cr0::kPg;
constexpr u64 kCr4Pse = x86::cr4::kPse;
constexpr u64 kCr4Pae = x86::cr4::kPae;
constexpr u64 kCr4La57 = x86::cr4::kLa57;
constexpr u64 kEferLma = x86::efer::kLma;
constexpr u64 kEferNxe = x86::efer::kNxe;

// Entry bits shared by all formats (AMD APM vol.2 §5.4.1 Field Definitions).
constexpr u64 kP = u64{1} << 0;
constexpr u64 kRw = u64{1} << 1;
constexpr u64 kUs = u64{1} << 2;
constexpr u64 kPs = u64{1} << 7;
constexpr u64 kNx = u64{1} << 63;

// Physical-address field of 64-bit entries: bits 51:12. The architectural limit is 52
// bits; we do not know the guest's MAXPHYADDR, so 52 is the bound we can enforce.
constexpr u64 kAddrMask = 0x000F'FFFF'FFFF'F000;
// Bits 62:52: MBZ in legacy-mode PAE entries, but software-available / protection-key
// bits in long mode (AMD APM vol.2 §5.4.1), where they must not be rejected.
constexpr u64 kPaeHighReserved = 0x7FF0'0000'0000'0000;

constexpr u64 bits(unsigned hi, unsigned lo) {
  return ((hi == 63 ? ~u64{0} : (u64{1} << (hi + 1)) - 1)) & ~((u64{1} << lo) - 1);
}

// Permissions accumulated while descending: a page is writable/user only if every
// level allows it, executable only if no level sets NX (AMD APM vol.2 §5.6).
struct Perms {
  bool writable = true;
  bool user = true;
  bool executable = true;

  void apply(u64 e, bool nxe) {
    writable = writable && (e & kRw) != 0;
    user = user && (e & kUs) != 0;
    if (nxe && (e & kNx) != 0) executable = false;
  }
};

Translation make(u64 gpa, u64 size, const Perms& p) {
  return Translation{gpa, size, p.writable, p.user, p.executable};
}

template <typename T>
bool read_entry(const PhysMemory& mem, u64 gpa, T& out) {
  T v = 0;
  if (!mem.read(gpa, &v, sizeof v)) return false;
  out = v;
  return true;
}
template <>
bool read_entry<u64>(const PhysMemory& mem, u64 gpa, u64& out) {
  return mem.read_u64(gpa, out);
}

// Shift of the VA bits that index the table at `level` (1 = PT ... 5 = PML5).
constexpr unsigned level_shift(unsigned level) {
  return 12 + 9 * (level - 1);
}

// Walks 64-bit-entry tables from `level` down to the PT. Used for long mode (levels
// 5/4..1) and for the PD/PT part of legacy PAE (levels 2..1). The loop runs at most
// `level` iterations, so a self-referencing guest table cannot make us spin.
Result<Translation, WalkError> walk_64bit_entries(const PhysMemory& mem, u64 table, unsigned level, u64 va, bool nxe,
                                                  u64 extra_reserved, Perms perms) {
  for (; level >= 1; --level) {
    const unsigned shift = level_shift(level);
    const u64 entry_gpa = table + ((va >> shift) & 0x1FF) * 8;
    u64 e = 0;
    if (!read_entry(mem, entry_gpa, e)) return Err{WalkError::PhysReadFailed};
    // Reserved bits are only checked in present entries (AMD APM vol.2 §5.3.1).
    if ((e & kP) == 0) return Err{WalkError::NotPresent};
    if ((e & extra_reserved) != 0) return Err{WalkError::ReservedBit};
    if (!nxe && (e & kNx) != 0) return Err{WalkError::ReservedBit};
    // PS is MBZ in PML5E/PML4E: there are no 512 GiB pages.
    if (level >= 4 && (e & kPs) != 0) return Err{WalkError::ReservedBit};
    perms.apply(e, nxe);

    if (level == 1) {
      return make((e & kAddrMask) | (va & (kPageSize - 1)), kPageSize, perms);
    }
    if ((level == 2 || level == 3) && (e & kPs) != 0) {
      // 2 MiB / 1 GiB page: bit 12 is PAT, bits shift-1..13 are MBZ.
      const u64 size = u64{1} << shift;
      if ((e & bits(shift - 1, 13)) != 0) return Err{WalkError::ReservedBit};
      return make((e & kAddrMask & ~(size - 1)) | (va & (size - 1)), size, perms);
    }
    table = e & kAddrMask;
  }
  // Unreachable: level 1 always returns above. Kept so every path returns a value.
  return Err{WalkError::NotPresent};
}

// Legacy 32-bit paging: 2 levels of 4-byte entries (AMD APM vol.2 §5.3.2, §5.2.3).
Result<Translation, WalkError> walk_legacy32(const PhysMemory& mem, const PagingState& st, u64 gva) {
  const u32 va = static_cast<u32>(gva);
  const bool pse = (st.cr4 & kCr4Pse) != 0;
  Perms perms;

  const u64 pd = st.cr3 & 0xFFFF'F000;
  u32 pde = 0;
  if (!read_entry(mem, pd + ((va >> 22) & 0x3FF) * 4, pde)) {
    return Err{WalkError::PhysReadFailed};
  }
  if ((pde & kP) == 0) return Err{WalkError::NotPresent};
  perms.apply(pde, false);

  // PDE.PS is honoured only with CR4.PSE; otherwise the bit is ignored.
  if (pse && (pde & kPs) != 0) {
    // 4 MiB page. PSE-36: PDE bits 20:13 supply PA bits 39:32; bit 21 is MBZ.
    if ((pde & (u32{1} << 21)) != 0) return Err{WalkError::ReservedBit};
    const u64 frame = (u64{pde} & 0xFFC0'0000) | (u64{(pde >> 13) & 0xFF} << 32);
    return make(frame | (va & 0x3F'FFFF), 4 * MiB, perms);
  }

  const u64 pt = pde & 0xFFFF'F000u;
  u32 pte = 0;
  if (!read_entry(mem, pt + ((va >> 12) & 0x3FF) * 4, pte)) {
    return Err{WalkError::PhysReadFailed};
  }
  if ((pte & kP) == 0) return Err{WalkError::NotPresent};
  perms.apply(pte, false);
  return make((u64{pte} & 0xFFFF'F000) | (va & 0xFFF), kPageSize, perms);
}

// Legacy-mode PAE: 4 PDPTEs at CR3[31:5], then PD/PT with 8-byte entries
// (AMD APM vol.2 §5.3.3; Intel SDM vol.3A §4.4.1).
Result<Translation, WalkError> walk_pae(const PhysMemory& mem, const PagingState& st, u64 gva) {
  const u64 va = gva & 0xFFFF'FFFF;
  const bool nxe = (st.efer & kEferNxe) != 0;

  const u64 pdpt = st.cr3 & 0xFFFF'FFE0;
  u64 pdpte = 0;
  if (!read_entry(mem, pdpt + ((va >> 30) & 3) * 8, pdpte)) {
    return Err{WalkError::PhysReadFailed};
  }
  if ((pdpte & kP) == 0) return Err{WalkError::NotPresent};
  // A PAE PDPTE has no R/W, U/S, PS or NX: bits 2:1, 8:5 and 63:52 are MBZ.
  constexpr u64 kPdpteReserved = bits(2, 1) | bits(8, 5) | bits(63, 52);
  if ((pdpte & kPdpteReserved) != 0) return Err{WalkError::ReservedBit};

  return walk_64bit_entries(mem, pdpte & kAddrMask, 2, va, nxe, kPaeHighReserved, Perms{});
}

}  // namespace

const char* to_string(WalkError e) {
  switch (e) {
    case WalkError::NonCanonical: return "non-canonical address";
    case WalkError::NotPresent: return "page not present";
    case WalkError::ReservedBit: return "reserved bit set in paging entry";
    case WalkError::PhysReadFailed: return "paging entry not readable";
  }
  return "unknown walk error";
}

PagingMode paging_mode(const PagingState& st) {
  if ((st.cr0 & kCr0Pg) == 0) return PagingMode::Flat;
  if ((st.efer & kEferLma) != 0) {
    return (st.cr4 & kCr4La57) != 0 ? PagingMode::Long5 : PagingMode::Long4;
  }
  return (st.cr4 & kCr4Pae) != 0 ? PagingMode::Pae : PagingMode::Legacy32;
}

bool is_canonical(u64 va, bool la57) {
  // Sign-extend from bit 47 (or 56) and compare; right shift of a negative value is
  // arithmetic since C++20.
  const unsigned unused = la57 ? 7 : 16;
  const auto extended = static_cast<u64>(static_cast<i64>(va << unused) >> unused);
  return extended == va;
}

Result<Translation, WalkError> walk(const PhysMemory& mem, const PagingState& st, u64 gva) {
  switch (paging_mode(st)) {
    case PagingMode::Flat: {
      // Without paging, linear == physical; outside long mode linear addresses are
      // 32 bits wide (AMD APM vol.2 §5.1).
      const u64 gpa = (st.efer & kEferLma) != 0 ? gva : (gva & 0xFFFF'FFFF);
      return Translation{gpa, kPageSize, true, true, true};
    }
    case PagingMode::Legacy32: return walk_legacy32(mem, st, gva);
    case PagingMode::Pae: return walk_pae(mem, st, gva);
    case PagingMode::Long4:
    case PagingMode::Long5: {
      const bool la57 = paging_mode(st) == PagingMode::Long5;
      // A non-canonical access faults (#GP/#SS) before any table is consulted.
      if (!is_canonical(gva, la57)) return Err{WalkError::NonCanonical};
      const bool nxe = (st.efer & kEferNxe) != 0;
      return walk_64bit_entries(mem, st.cr3 & kAddrMask, la57 ? 5 : 4, gva, nxe, 0, Perms{});
    }
  }
  return Err{WalkError::NotPresent};
}

}  // namespace tv

namespace tv {
bool access_permitted(const Translation& t, GuestAccess a, const PagingState& st) {
  if (a.user && !t.user) return false;
  if (a.write && !t.writable && (a.user || (st.cr0 & x86::cr0::kWp) != 0)) return false;
  return true;
}
}  // namespace tv
