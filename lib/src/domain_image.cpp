#include "tv/domain_image.hpp"

#include "tv/domain_abi.hpp"

namespace tv {

const char* to_string(ImageError e) {
  switch (e) {
    case ImageError::Elf: return "bad ELF file";
    case ImageError::Not64Bit: return "not an x86-64 ELF64 program";
    case ImageError::OutsideWindow: return "segment outside the user image window";
    case ImageError::Overlap: return "segments share a page";
    case ImageError::WritableAndExecutable: return "segment is writable and executable";
    case ImageError::EntryNotExecutable: return "entry point not in an executable segment";
    case ImageError::TooBig: return "program too big";
    case ImageError::Count: break;
  }
  return "unknown";
}

namespace {

constexpr u64 kWindowBase = dom::kUserImageBase;
constexpr u64 kWindowEnd = dom::kUserImageBase + dom::kUserImageMax;
static_assert(kWindowBase % kPageSize == 0 && kWindowEnd % kPageSize == 0);

// Compares by subtraction from the window's ends, so a vaddr + mem_size that
// would wrap 64 bits is rejected instead of looking small.
bool inside_window(const LoadSegment& s) {
  return s.vaddr >= kWindowBase && s.vaddr < kWindowEnd && s.mem_size <= kWindowEnd - s.vaddr;
}

Result<ImageSegment, ImageError> plan_segment(const LoadSegment& s) {
  if (!inside_window(s)) return Err{ImageError::OutsideWindow};
  const bool w = (s.flags & kPfW) != 0;
  const bool x = (s.flags & kPfX) != 0;
  if (w && x) return Err{ImageError::WritableAndExecutable};
  const u64 start = align_down(s.vaddr, kPageSize);
  const u64 end = align_up(s.vaddr + s.mem_size, kPageSize);  // <= kWindowEnd: cannot wrap
  return ImageSegment{start, (end - start) / kPageSize, w, x, s.vaddr - start, s.file_offset, s.file_size};
}

bool pages_overlap(const ImageSegment& a, const ImageSegment& b) {
  return a.vaddr < b.vaddr + b.pages * kPageSize && b.vaddr < a.vaddr + a.pages * kPageSize;
}

bool any_overlap(const ImagePlan& p) {
  for (usize i = 0; i < p.segment_count; ++i) {
    for (usize j = i + 1; j < p.segment_count; ++j) {
      if (pages_overlap(p.segments[i], p.segments[j])) return true;
    }
  }
  return false;
}

// The entry must lie in an executable segment's own bytes, not merely in its
// rounded-up pages, so a jump into the padding after .text is refused too.
bool entry_executable(const ElfImage& img) {
  for (usize i = 0; i < img.segment_count; ++i) {
    const LoadSegment& s = img.segments[i];
    if ((s.flags & kPfX) != 0 && img.entry >= s.vaddr && img.entry - s.vaddr < s.mem_size) return true;
  }
  return false;
}

Result<ImagePlan, ImageError> plan_segments(const ElfImage& img) {
  if (img.segment_count > ImagePlan::kMaxSegments) return Err{ImageError::TooBig};
  ImagePlan plan;
  plan.entry = img.entry;
  for (usize i = 0; i < img.segment_count; ++i) {
    auto seg = plan_segment(img.segments[i]);
    if (!seg) return Err{seg.error()};
    plan.segments[plan.segment_count++] = *seg;
    // Each segment is < 2^18 pages (inside a 1 GiB window), so eight of them cannot overflow.
    (seg->writable ? plan.private_pages : plan.shared_pages) += seg->pages;
  }
  return plan;
}

}  // namespace

Result<ImagePlan, ImageError> plan_domain_image(const u8* elf, usize len, ElfError* elf_error) {
  auto img = parse_elf(elf, len);
  if (!img) {
    if (elf_error != nullptr) *elf_error = img.error();
    return Err{ImageError::Elf};
  }
  if (img->elf_class != ElfClass::Elf64 || img->machine != kEmX86_64) return Err{ImageError::Not64Bit};
  auto plan = plan_segments(*img);
  if (!plan) return plan;
  if (any_overlap(*plan)) return Err{ImageError::Overlap};
  if (!entry_executable(*img)) return Err{ImageError::EntryNotExecutable};
  if (plan->shared_pages + plan->private_pages > kMaxImagePages) return Err{ImageError::TooBig};
  return plan;
}

}  // namespace tv
