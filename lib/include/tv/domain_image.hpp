// Segment planning for domain programs: a static ELF64 x86-64 executable linked
// inside the user image window (tv/domain_abi.hpp) becomes a list of page ranges
// to map. Read-only segments are loaded once and shared by every instance of the
// program; writable ones are templates copied into fresh pages per instance
// (BitVisor's processbin_add). The input is an embedded blob, but it is checked
// as if untrusted: a bad program must fail to load, not map over something else.
#pragma once
#include "tv/elf.hpp"
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class ImageError : u8 {
  Elf = 1,                // parse_elf failed; see the ElfError out-parameter
  Not64Bit,               // ELF32, or not x86-64
  OutsideWindow,          // a segment is not inside [kUserImageBase, + kUserImageMax)
  Overlap,                // two segments share a page after rounding to pages
  WritableAndExecutable,  // a segment is both W and X
  EntryNotExecutable,     // e_entry is not inside an executable segment
  TooBig,                 // more than ImagePlan::kMaxSegments segments, or more than kMaxImagePages pages
  Count
};
const char* to_string(ImageError e);

// Upper bound on one program's pages (shared + private): 4 MiB. Domain programs
// are small services; the bound keeps one bad image from draining the VMM's pool.
inline constexpr u64 kMaxImagePages = 1024;

struct ImageSegment {
  u64 vaddr;      // page-aligned start in the domain's address space
  u64 pages;      // pages to map
  bool writable;  // writable segments are copied per instance; read-only ones are shared by all instances
  bool executable;
  u64 copy_offset;  // where in the first page the file bytes start (vaddr of the PT_LOAD minus the page-aligned vaddr)
  u64 file_offset;  // file bytes to copy: [file_offset, file_offset + file_size)
  u64 file_size;    // the rest of the pages is zero (bss)
};

struct ImagePlan {
  static constexpr usize kMaxSegments = 8;
  u64 entry = 0;
  usize segment_count = 0;
  ImageSegment segments[kMaxSegments]{};
  u64 shared_pages = 0, private_pages = 0;  // read-only vs writable page totals
};

// Segments keep program-header order. Segments that share a page after rounding
// are an Overlap (the domain linker script page-aligns segments), because a page
// cannot be both shared and per-instance. An ElfError from parse_elf is reported
// as ImageError::Elf with *elf_error set (if elf_error is not null).
Result<ImagePlan, ImageError> plan_domain_image(const u8* elf, usize len, ElfError* elf_error = nullptr);

}  // namespace tv
