#include "tv/multiboot2.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(Mb2Error e) {
  switch (e) {
    case Mb2Error::TooShort: return "boot information shorter than its 8-byte header";
    case Mb2Error::BadTotalSize: return "bad total_size (under 16, past the buffer, or not a multiple of 8)";
    case Mb2Error::TagPastEnd: return "a tag runs past the end of the boot information";
    case Mb2Error::TagTooSmall: return "a tag is smaller than its type's fixed part";
    case Mb2Error::NoEndTag: return "no end tag";
    case Mb2Error::BadString: return "a string without its NUL inside its tag";
    case Mb2Error::BadMmap: return "a memory map tag with a bad entry size or a ragged entry";
    case Mb2Error::TooManyModules: return "more modules than the VMM takes";
    case Mb2Error::TooManyRegions: return "more memory-map entries than the VMM takes";
    case Mb2Error::BadModule: return "a module whose end is below its start";
    case Mb2Error::DuplicateTag: return "a tag given twice that the specification gives once";
  }
  return "unknown multiboot2 error";
}

namespace {

constexpr usize kHeaderBytes = 8;      // total_size, reserved (§3.6.1)
constexpr usize kTagHeaderBytes = 8;   // type, size
constexpr usize kMmapFixedBytes = 16;  // type, size, entry_size, entry_version (§3.6.8)
constexpr usize kMmapEntryMin = 24;    // base_addr, length, type, reserved
constexpr usize kRsdpV1Bytes = 20;     // ACPI 6.5 §5.2.5.3: the 1.0 RSDP
constexpr usize kRsdpV2MinBytes = 36;  // the 2.0+ RSDP (its length field may say more)
constexpr usize kFbColourInfo = 24;    // in the framebuffer tag's body: after the u16 reserved field

// The NUL-terminated string that fills [p, p + n), or nullptr if it has no NUL there.
const char* string_in(const u8* p, usize n) {
  for (usize i = 0; i < n; ++i)
    if (p[i] == 0) return reinterpret_cast<const char*>(p);
  return nullptr;
}

// The fixed part each known tag type needs (header included); 8 for the rest.
usize fixed_bytes_of(u32 type) {
  switch (type) {
    case mb2::kTagModule: return 16;  // start, end, then the string (at least its NUL)
    case mb2::kTagBasicMeminfo: return 16;
    case mb2::kTagMmap: return kMmapFixedBytes;
    case mb2::kTagFramebuffer: return 31;  // address, pitch, width, height, bpp, type (§3.6.12)
    case mb2::kTagEfi32SystemTable: return 12;
    case mb2::kTagEfi64SystemTable: return 16;
    case mb2::kTagAcpiOldRsdp: return kTagHeaderBytes + kRsdpV1Bytes;
    case mb2::kTagAcpiNewRsdp: return kTagHeaderBytes + kRsdpV2MinBytes;
    case mb2::kTagEfiMmap: return 16;  // descriptor size, descriptor version
    case mb2::kTagLoadBaseAddr: return 12;
    default: return kTagHeaderBytes;
  }
}

// A tag the specification gives at most once: a second one is refused rather
// than silently preferring either.
bool once_only(u32 type) {
  switch (type) {
    case mb2::kTagCmdline:
    case mb2::kTagLoaderName:
    case mb2::kTagMmap:
    case mb2::kTagFramebuffer:
    case mb2::kTagEfi32SystemTable:
    case mb2::kTagEfi64SystemTable:
    case mb2::kTagAcpiOldRsdp:
    case mb2::kTagAcpiNewRsdp:
    case mb2::kTagEfiMmap:
    case mb2::kTagLoadBaseAddr: return true;
    default: return false;
  }
}

Status<Mb2Error> take_mmap(const u8* tag, u32 size, Multiboot2Info& out) {
  const u32 entry_size = load_le32(tag + 8);
  if (entry_size < kMmapEntryMin || entry_size % 8 != 0) return Err{Mb2Error::BadMmap};
  const usize body = size - kMmapFixedBytes;
  if (body % entry_size != 0) return Err{Mb2Error::BadMmap};
  for (usize at = 0; at < body; at += entry_size) {
    if (out.region_count == Multiboot2Info::kMaxRegions) return Err{Mb2Error::TooManyRegions};
    const u8* e = tag + kMmapFixedBytes + at;
    out.regions[out.region_count++] = {load_le64(e), load_le64(e + 8), load_le32(e + 16)};
  }
  out.has_mmap = true;
  return Ok{};
}

Status<Mb2Error> take_tag(u32 type, const u8* tag, u32 size, Multiboot2Info& out) {
  const u8* body = tag + kTagHeaderBytes;
  const usize body_len = size - kTagHeaderBytes;
  switch (type) {
    case mb2::kTagCmdline:
    case mb2::kTagLoaderName: {
      const char* s = string_in(body, body_len);
      if (s == nullptr) return Err{Mb2Error::BadString};
      (type == mb2::kTagCmdline ? out.cmdline : out.loader_name) = s;
      return Ok{};
    }
    case mb2::kTagModule: {
      if (out.module_count == Multiboot2Info::kMaxModules) return Err{Mb2Error::TooManyModules};
      const u32 start = load_le32(body), end = load_le32(body + 4);
      if (end < start) return Err{Mb2Error::BadModule};
      const char* s = string_in(body + 8, body_len - 8);
      if (s == nullptr) return Err{Mb2Error::BadString};
      out.modules[out.module_count++] = {start, end, s};
      return Ok{};
    }
    case mb2::kTagMmap: return take_mmap(tag, size, out);
    case mb2::kTagFramebuffer: {
      Mb2Framebuffer& fb = out.framebuffer;
      fb = {};
      fb.address = load_le64(body);
      fb.pitch = load_le32(body + 8);
      fb.width = load_le32(body + 12);
      fb.height = load_le32(body + 16);
      fb.bpp = body[20];
      fb.type = body[21];
      if (fb.type == kFramebufferRgb && body_len >= kFbColourInfo + 6) {
        const u8* c = body + kFbColourInfo;
        fb.has_rgb_fields = true;
        fb.red_pos = c[0], fb.red_size = c[1], fb.green_pos = c[2], fb.green_size = c[3];
        fb.blue_pos = c[4], fb.blue_size = c[5];
      }
      out.has_framebuffer = true;
      return Ok{};
    }
    case mb2::kTagEfi32SystemTable:
      if (out.efi_system_table == 0) out.efi_system_table = load_le32(body);  // tag 12 wins (below)
      return Ok{};
    case mb2::kTagEfi64SystemTable:
      out.efi_system_table = load_le64(body);
      out.efi_system_table_64 = true;
      return Ok{};
    case mb2::kTagAcpiOldRsdp: out.rsdp_v1 = body; return Ok{};
    case mb2::kTagAcpiNewRsdp:
      out.rsdp_v2 = body;
      out.rsdp_v2_len = body_len;
      return Ok{};
    case mb2::kTagEfiMmap:
      out.efi_mmap_descriptor_size = load_le32(body);
      if (out.efi_mmap_descriptor_size == 0 || (body_len - 8) % out.efi_mmap_descriptor_size != 0)
        return Err{Mb2Error::BadMmap};
      out.efi_mmap = body + 8;
      out.efi_mmap_bytes = body_len - 8;
      return Ok{};
    case mb2::kTagEfiBootServices: out.efi_boot_services_running = true; return Ok{};
    case mb2::kTagLoadBaseAddr: out.load_base = load_le32(body); return Ok{};
    default: return Ok{};  // unknown or unneeded: ignored, as §3.6.1 asks
  }
}

}  // namespace

Result<Multiboot2Info, Mb2Error> parse_multiboot2(const u8* info, usize len) {
  if (info == nullptr || len < kHeaderBytes) return Err{Mb2Error::TooShort};
  const u32 total = load_le32(info);
  if (total < kHeaderBytes + kTagHeaderBytes || total > len || total % mb2::kTagAlign != 0)
    return Err{Mb2Error::BadTotalSize};
  Multiboot2Info out;
  u32 seen = 0;  // bit per once-only type (all below 32)
  for (usize at = kHeaderBytes; at + kTagHeaderBytes <= total;) {
    const u32 type = load_le32(info + at), size = load_le32(info + at + 4);
    if (size > total - at) return Err{Mb2Error::TagPastEnd};
    if (type == mb2::kTagEnd) {
      if (size != kTagHeaderBytes) return Err{Mb2Error::TagTooSmall};
      return out;
    }
    if (size < fixed_bytes_of(type)) return Err{Mb2Error::TagTooSmall};
    if (once_only(type)) {
      if ((seen & (1u << type)) != 0) return Err{Mb2Error::DuplicateTag};
      seen |= 1u << type;
    }
    TV_TRY(take_tag(type, info + at, size, out));
    at += (usize(size) + mb2::kTagAlign - 1) & ~(mb2::kTagAlign - 1);
  }
  return Err{Mb2Error::NoEndTag};
}

}  // namespace tv
