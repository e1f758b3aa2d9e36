#include "tv/kernel_profile.hpp"

#include "tv/str.hpp"

namespace tv {
namespace {

constexpr usize kMaxProfileBytes = 4096;

bool parse_hex(const char*& p, const char* end, u64& out) {
  u64 v = 0;
  int digits = 0;
  for (; p < end; ++p, ++digits) {
    const int d = hex_digit_value(*p);
    if (d < 0) break;
    v = (v << 4) | u64(d);
  }
  out = v;
  return digits > 0 && digits <= 16;
}

bool parse_dec(const char*& p, const char* end, u64& out) {
  u64 v = 0;
  int digits = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits) v = v * 10 + u64(*p - '0');
  out = v;
  return digits > 0 && digits <= 9;
}

// Does [p, end) start with word followed by a space? Moves p past both.
bool eat(const char*& p, const char* end, const char* word) {
  const usize n = str_len(word);
  if (usize(end - p) < n + 1 || mem_cmp(p, word, n) != 0 || p[n] != ' ') return false;
  p += n + 1;
  return true;
}

}  // namespace

const char* to_string(ProfileError e) {
  switch (e) {
    case ProfileError::NotAProfile: return "not a thinvisor kernel profile (first line)";
    case ProfileError::BadLine: return "malformed line";
    case ProfileError::Missing: return "a required symbol or offset is missing";
    case ProfileError::TooLong: return "profile longer than 4 KiB";
  }
  return "?";
}

Result<u64, SlideError> kaslr_slide(u64 lstar, const KernelProfile& p) {
  const u64 slide = lstar - p.entry_syscall_64;
  const u64 text = 0xFFFFFFFF81000000ull + slide;  // the default text base, moved
  if ((slide & 0x1FFFFF) != 0 || text < 0xFFFFFFFF80000000ull || text >= 0xFFFFFFFFC0000000ull)
    return Err{SlideError::BadSlide};
  return slide;
}

Result<KernelProfile, ProfileError> parse_kernel_profile(const char* text, usize len) {
  if (len > kMaxProfileBytes) return Err{ProfileError::TooLong};
  const usize magic = str_len(kProfileMagic);
  if (len < magic || mem_cmp(text, kProfileMagic, magic) != 0) return Err{ProfileError::NotAProfile};
  KernelProfile k{};
  u32 seen = 0;  // one bit per required line
  const char* p = text;
  const char* const end = text + len;
  while (p < end) {
    const char* eol = p;
    while (eol < end && *eol != '\n' && *eol != '\0') ++eol;
    const char* q = p;
    u64 v = 0;
    struct Field {
      const char* kind;
      const char* name;
      u32 bit;
    };
    if (eat(q, eol, "release")) {
      const usize n = usize(eol - q) < sizeof k.release - 1 ? usize(eol - q) : sizeof k.release - 1;
      mem_copy(k.release, q, n);
      k.release[n] = '\0';
      seen |= 1;
    } else if (eat(q, eol, "symbol")) {
      u64* dst = nullptr;
      u32 bit = 0;
      if (eat(q, eol, "entry_SYSCALL_64"))
        dst = &k.entry_syscall_64, bit = 2;
      else if (eat(q, eol, "do_init_module"))
        dst = &k.do_init_module, bit = 4;
      else if (eat(q, eol, "free_module"))
        dst = &k.free_module, bit = 8;
      if (dst != nullptr) {
        if (!parse_hex(q, eol, v) || q != eol) return Err{ProfileError::BadLine};
        *dst = v;
        seen |= bit;
      }
    } else if (eat(q, eol, "offset")) {
      u32* dst = nullptr;
      u32 bit = 0;
      if (eat(q, eol, "module.state"))
        dst = &k.off_state, bit = 16;
      else if (eat(q, eol, "module.name"))
        dst = &k.off_name, bit = 32;
      else if (eat(q, eol, "module.core_layout.base"))
        dst = &k.off_core_base, bit = 64;
      else if (eat(q, eol, "module.core_layout.size"))
        dst = &k.off_core_size, bit = 128;
      else if (eat(q, eol, "module.core_layout.text_size"))
        dst = &k.off_core_text_size, bit = 256;
      if (dst != nullptr) {
        if (!parse_dec(q, eol, v) || q != eol || v > 0xFFFF) return Err{ProfileError::BadLine};
        *dst = u32(v);
        seen |= bit;
      }
    }
    if (eol < end && *eol == '\0') break;
    p = eol + 1;
  }
  if (seen != 0x1FF) return Err{ProfileError::Missing};
  return k;
}

}  // namespace tv
