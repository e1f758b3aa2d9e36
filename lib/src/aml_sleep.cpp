#include "tv/aml_sleep.hpp"

namespace tv {
namespace {

// ACPI 6.5 §20.2: opcodes and prefixes of the objects in a sleep package.
constexpr u8 kNameOp = 0x08;
constexpr u8 kRootChar = 0x5C;  // '\'
constexpr u8 kPackageOp = 0x12;
constexpr u8 kZeroOp = 0x00;
constexpr u8 kOneOp = 0x01;
constexpr u8 kBytePrefix = 0x0A;
constexpr u8 kWordPrefix = 0x0B;
constexpr u8 kDWordPrefix = 0x0C;
constexpr u8 kQWordPrefix = 0x0E;
constexpr u8 kOnesOp = 0xFF;

struct Span {
  usize value;  // the decoded number (PkgLength) or SLP_TYP (integers)
  usize bytes;  // how many bytes its encoding takes
};

// §20.2.4 PkgLength: lead bits 7:6 = count of following bytes; with none, bits 5:0 are the
// length, otherwise bits 3:0 are its low nibble (5:4 reserved 0) and each byte adds 8 bits.
Result<Span, AmlError> pkg_length(const u8* aml, usize pos, usize end) {
  if (pos >= end) return Err{AmlError::Truncated};
  u8 lead = aml[pos];
  usize follow = lead >> 6;
  if (follow == 0) return Span{usize(lead & 0x3F), 1};
  if (lead & 0x30) return Err{AmlError::BadPackage};
  if (end - pos < follow + 1) return Err{AmlError::Truncated};
  usize length = lead & 0x0F;
  for (usize i = 0; i < follow; ++i) length |= usize(aml[pos + 1 + i]) << (4 + 8 * i);
  return Span{length, follow + 1};
}

usize int_payload(u8 op) {
  switch (op) {
    case kZeroOp:
    case kOneOp:
    case kOnesOp: return 0;
    case kBytePrefix: return 1;
    case kWordPrefix: return 2;
    case kDWordPrefix: return 4;
    case kQWordPrefix: return 8;
    default: return usize(-1);
  }
}

// §20.2.3 ComputationalData constants; SLP_TYP is 3 bits, so only the low byte is kept (as ACPICA does).
Result<Span, AmlError> integer(const u8* aml, usize pos, usize end) {
  if (pos >= end) return Err{AmlError::BadPackage};  // the package says it ends here
  u8 op = aml[pos];
  usize payload = int_payload(op);
  if (payload == usize(-1)) return Err{AmlError::BadPackage};
  if (end - pos - 1 < payload) return Err{AmlError::BadPackage};
  if (payload > 0) return Span{aml[pos + 1], payload + 1};
  return Span{usize(op == kOnesOp ? 0xFF : op), 1};
}

// The object after the name at pos: PackageOp PkgLength NumElements a b ...
Result<SleepType, AmlError> sleep_package(const u8* aml, usize pos, usize len) {
  if (pos >= len) return Err{AmlError::Truncated};
  if (aml[pos] != kPackageOp) return Err{AmlError::BadPackage};
  auto pl = pkg_length(aml, pos + 1, len);
  if (!pl) return Err{pl.error()};
  if (pl->value < pl->bytes + 1) return Err{AmlError::BadPackage};  // PkgLength counts itself + NumElements
  if (pl->value > len - (pos + 1)) return Err{AmlError::Truncated};
  usize end = pos + 1 + pl->value;
  usize at = pos + 1 + pl->bytes;
  if (aml[at] < 2) return Err{AmlError::BadPackage};  // NumElements
  auto a = integer(aml, at + 1, end);
  if (!a) return Err{a.error()};
  auto b = integer(aml, at + 1 + a->bytes, end);
  if (!b) return Err{b.error()};
  return SleepType{u8(a->value), u8(b->value)};
}

// True if the 4 bytes at i are _Sx_ declared by NameOp, directly or as \_Sx_.
bool is_declared_name(const u8* aml, usize i, usize len, u8 digit) {
  if (len - i < 4) return false;
  if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != digit || aml[i + 3] != '_') return false;
  if (i >= 1 && aml[i - 1] == kNameOp) return true;
  return i >= 2 && aml[i - 1] == kRootChar && aml[i - 2] == kNameOp;
}

}  // namespace

const char* to_string(AmlError e) {
  switch (e) {
    case AmlError::NotFound: return "sleep object not found";
    case AmlError::Truncated: return "sleep object truncated";
    case AmlError::BadPackage: return "sleep object is not a well-formed package";
    case AmlError::BadState: return "sleep state is not 0-5";
  }
  return "?";
}

// A malformed candidate does not hide a later good one; if none is good, the first error is returned.
Result<SleepType, AmlError> find_sleep_type(const u8* aml, usize len, u8 state) {
  if (state > 5) return Err{AmlError::BadState};
  if (aml == nullptr) return Err{AmlError::NotFound};
  AmlError first = AmlError::NotFound;
  for (usize i = 0; i < len; ++i) {
    if (!is_declared_name(aml, i, len, u8('0' + state))) continue;
    auto r = sleep_package(aml, i + 4, len);
    if (r) return r;
    if (first == AmlError::NotFound) first = r.error();
  }
  return Err{first};
}

}  // namespace tv
