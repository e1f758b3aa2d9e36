// Hiding an ACPI table from the guest: its entry is removed, in place, from
// the RSDT (ACPI 6.5 §5.2.7, 32-bit pointers) and the XSDT (§5.2.8, 64-bit
// pointers) that the RSDP (§5.2.5) names. The VMM does this for the IVRS, so
// the guest never finds (and never programs) the IOMMU the VMM owns.
#pragma once
#include "tv/page_walk.hpp"
#include "tv/result.hpp"

namespace tv {

enum class AcpiEditError : u8 {
  Truncated = 1,  // shorter than its header, or its length field exceeds the buffer
  BadSignature,   // not "RSD PTR ", "RSDT" or "XSDT"
  BadChecksum,    // refused before any change
  BadLength,      // an RSDT/XSDT whose entry array is not a whole number of pointers
};
const char* to_string(AcpiEditError e);

// §5.2.5.3: the RSDT address, and the XSDT's for revision >= 2 (else 0).
// Checks the 20-byte checksum, and the extended one when revision >= 2.
struct AcpiRootPointers {
  u64 rsdt;
  u64 xsdt;
};
Result<AcpiRootPointers, AcpiEditError> read_rsdp(const u8* rsdp, usize len);

// Removes every entry of sdt (an RSDT or XSDT, by its signature; sdt[0,
// capacity) writable) whose table, read through mem, has `signature`: the
// later entries move down, the length shrinks, the freed tail is zeroed and
// the checksum fixed. Returns how many entries went (0: none listed, nothing
// written). A table listed twice goes twice. An entry whose header cannot be
// read is kept (it is not the table asked for, as far as anyone can tell).
Result<usize, AcpiEditError> remove_sdt_entries(u8* sdt, usize capacity, const PhysMemory& mem,
                                                const char (&signature)[5]);

}  // namespace tv
