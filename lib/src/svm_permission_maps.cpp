#include "tv/svm_permission_maps.hpp"

namespace tv {

void set_io_intercept(u8 (&iopm)[kIopmBytes], u16 port) {
  iopm[port / 8] |= u8(1u << (port % 8));
}

namespace {
struct Span {
  u32 first;
  u32 byte_offset;
};
constexpr Span kSpans[] = {{0x00000000, 0x000}, {0xC0000000, 0x800}, {0xC0010000, 0x1000}};
}  // namespace

bool msrpm_covers(u32 msr) {
  for (const Span& s : kSpans)
    if (msr >= s.first && msr - s.first <= 0x1FFF) return true;
  return false;
}

bool set_msr_intercept(u8 (&msrpm)[kMsrpmBytes], u32 msr, bool on_read, bool on_write) {
  for (const Span& s : kSpans) {
    if (msr < s.first || msr - s.first > 0x1FFF) continue;
    u32 bit = (msr - s.first) * 2;  // read bit; the write bit follows it
    u8& byte = msrpm[s.byte_offset + bit / 8];
    if (on_read) byte |= u8(1u << (bit % 8));
    if (on_write) byte |= u8(2u << (bit % 8));
    return true;
  }
  return false;
}

}  // namespace tv
