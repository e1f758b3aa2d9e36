#include "tv/aml_sleep.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include "test_data.hpp"

namespace {
using namespace tv;
using Bytes = std::vector<u8>;

constexpr usize kHeader = 36;  // ACPI 6.5 §5.2.6 system description table header

Bytes read_table(const char* name) {
  return test::read_test_data(std::string("acpi/") + name);
}

void expect_type(const Bytes& aml, u8 state, u8 a, u8 b) {
  auto r = find_sleep_type(aml.data(), aml.size(), state);
  ASSERT_TRUE(r.ok()) << "S" << int(state) << ": " << to_string(r.error());
  EXPECT_EQ(r->a, a) << "S" << int(state);
  EXPECT_EQ(r->b, b) << "S" << int(state);
}

void expect_error(const Bytes& aml, u8 state, AmlError e) {
  auto r = find_sleep_type(aml.data(), aml.size(), state);
  ASSERT_FALSE(r.ok()) << "S" << int(state);
  EXPECT_STREQ(to_string(r.error()), to_string(e)) << "S" << int(state);
}

Bytes body_of(const char* name) {
  Bytes t = read_table(name);
  EXPECT_GT(t.size(), kHeader) << name;
  if (t.size() <= kHeader) return {};
  EXPECT_EQ(std::string(t.begin(), t.begin() + 4), "DSDT");
  u32 length = t[4] | t[5] << 8 | t[6] << 16 | u32(t[7]) << 24;
  EXPECT_EQ(length, t.size());
  return Bytes(t.begin() + kHeader, t.end());
}

// QEMU 7.2 hw/i386/acpi-build.c build_dsdt: \_S3 {1,1,0,0}, \_S4 {s4_val=2,2,0,0}, \_S5 {0,0,0,0}.
void check_qemu_dsdt(const char* name) {
  Bytes body = body_of(name);
  expect_type(body, 5, 0, 0);
  expect_type(body, 3, 1, 1);
  expect_type(body, 4, 2, 2);
  for (u8 s : {0, 1, 2}) expect_error(body, s, AmlError::NotFound);
  expect_error(body, 6, AmlError::BadState);
}

TEST(AmlSleep, QemuPcDsdt) {
  check_qemu_dsdt("pc-DSDT");
}

TEST(AmlSleep, QemuQ35Dsdt) {
  check_qemu_dsdt("q35-DSDT");
}

// PkgLength (ACPI 6.5 §20.2.4) of `length` in `bytes` bytes (non-minimal encodings are legal).
Bytes pkg_length(usize length, usize bytes) {
  if (bytes == 1) return {u8(length)};
  Bytes out{u8(((bytes - 1) << 6) | (length & 0x0F))};
  for (usize i = 1; i < bytes; ++i) out.push_back(u8(length >> (4 + 8 * (i - 1))));
  return out;
}

// Name(_S5_, Package(n) {elements...}) with the PkgLength in `len_bytes` bytes.
Bytes sleep_object(const Bytes& elements, u8 count, usize len_bytes, bool root = false, char digit = '5') {
  Bytes out{0x08};
  if (root) out.push_back(0x5C);
  for (char c : {'_', 'S', digit, '_'}) out.push_back(u8(c));
  out.push_back(0x12);
  Bytes pl = pkg_length(len_bytes + 1 + elements.size(), len_bytes);
  out.insert(out.end(), pl.begin(), pl.end());
  out.push_back(count);
  out.insert(out.end(), elements.begin(), elements.end());
  return out;
}

TEST(AmlSleep, EachPkgLengthEncoding) {
  Bytes elems{0x0A, 0x05, 0x0A, 0x06, 0x00, 0x00};
  for (usize n = 1; n <= 4; ++n) expect_type(sleep_object(elems, 4, n), 5, 5, 6);
}

TEST(AmlSleep, LongPackagesNeedLongerPkgLength) {
  Bytes two{0x0A, 0x03, 0x01};
  two.resize(100, 0x00);  // 100 + 2 > 63: two PkgLength bytes
  Bytes obj = sleep_object(two, 99, 2);
  EXPECT_EQ(obj[6], 0x40 | ((2 + 1 + 100) & 0x0F));
  expect_type(obj, 5, 3, 1);
  Bytes three{0x01, 0x0A, 0x07};
  three.resize(5000, 0x00);  // > 4095: three bytes
  expect_type(sleep_object(three, 255, 3), 5, 1, 7);
}

TEST(AmlSleep, RootPrefixAndOtherStates) {
  Bytes elems{0x01, 0x01, 0x00, 0x00};
  expect_type(sleep_object(elems, 4, 1, true), 5, 1, 1);
  expect_type(sleep_object(elems, 4, 1, true, '3'), 3, 1, 1);
  expect_error(sleep_object(elems, 4, 1, true, '3'), 5, AmlError::NotFound);
  expect_type(sleep_object(elems, 4, 1, false, '0'), 0, 1, 1);
}

TEST(AmlSleep, IntegerEncodings) {
  expect_type(sleep_object({0x00, 0x01}, 2, 1), 5, 0, 1);
  expect_type(sleep_object({0xFF, 0x0A, 0x07}, 2, 1), 5, 0xFF, 7);
  expect_type(sleep_object({0x0B, 0x05, 0x12, 0x0C, 0x06, 0x00, 0x00, 0x00}, 2, 1), 5, 5, 6);
  expect_type(sleep_object({0x0E, 0x02, 0, 0, 0, 0, 0, 0, 0, 0x00}, 2, 1), 5, 2, 0);
}

TEST(AmlSleep, FalseMatchesInsideOtherNames) {
  // Name(X_S5, ...) followed by '_': "_S5_" preceded by 'X', not by NameOp.
  Bytes x{0x08, 'X', '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01};
  expect_error(x, 5, AmlError::NotFound);
  // A reference \_S5_ (Store(\_S5_, Local0)) is not a declaration.
  Bytes ref{0x70, 0x5C, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01};
  expect_error(ref, 5, AmlError::NotFound);
  Bytes at_start{'_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01};
  expect_error(at_start, 5, AmlError::NotFound);
  Bytes root_no_nameop{0x5C, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01};
  expect_error(root_no_nameop, 5, AmlError::NotFound);
}

TEST(AmlSleep, BadPackages) {
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x0A, 0x05}, 5, AmlError::BadPackage);        // not a package
  expect_error(sleep_object({0x01}, 1, 1), 5, AmlError::BadPackage);                         // one element
  expect_error(sleep_object({0x0D, 'a', 0x00, 0x01}, 2, 1), 5, AmlError::BadPackage);        // a string
  expect_error(sleep_object({0x01, 0x0A}, 2, 1), 5, AmlError::BadPackage);                   // BytePrefix past the end
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x00, 0x02}, 5, AmlError::BadPackage);  // PkgLength 0
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x01, 0x02}, 5, AmlError::BadPackage);  // no NumElements
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x02, 0x01}, 5, AmlError::BadPackage);  // 0 elements fit
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x02, 0x01, 0x01}, 5, AmlError::BadPackage);
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x50, 0x00, 0x02, 0x01, 0x01}, 5, AmlError::BadPackage);
  expect_error(Bytes{0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x00, 0x02, 0x01, 0x01}, 5, AmlError::BadPackage);
}

TEST(AmlSleep, BadCandidateDoesNotHideAGoodOne) {
  Bytes aml{0x08, '_', 'S', '5', '_', 0x0A, 0x05};
  Bytes good = sleep_object({0x0A, 0x05, 0x0A, 0x05}, 2, 1, true);
  aml.insert(aml.end(), good.begin(), good.end());
  expect_type(aml, 5, 5, 5);
}

TEST(AmlSleep, NotFoundAndBadArguments) {
  expect_error(Bytes{}, 5, AmlError::NotFound);
  EXPECT_FALSE(find_sleep_type(nullptr, 0, 5).ok());
  expect_error(sleep_object({0x01, 0x01}, 2, 1), 6, AmlError::BadState);
  expect_error(sleep_object({0x01, 0x01}, 2, 1), 255, AmlError::BadState);
}

// Every prefix of a sleep object is NotFound before the name is complete, Truncated after.
void check_every_truncation(const Bytes& full, usize name_end) {
  for (usize n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + n);  // exact size: reading past it would be a heap overflow
    expect_error(cut, 5, n < name_end ? AmlError::NotFound : AmlError::Truncated);
  }
  expect_type(full, 5, 5, 6);
}

TEST(AmlSleep, TruncationAtEveryLength) {
  Bytes elems{0x0B, 0x05, 0x00, 0x0C, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
  for (usize n = 1; n <= 4; ++n) {
    check_every_truncation(sleep_object(elems, 4, n), 5);
    check_every_truncation(sleep_object(elems, 4, n, true), 6);
  }
}

TEST(AmlSleep, TruncatedQemuTable) {
  Bytes body = body_of("q35-DSDT");
  const u8 decl[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00};
  auto it = std::search(body.begin(), body.end(), std::begin(decl), std::end(decl));
  ASSERT_NE(it, body.end());
  usize at = usize(it - body.begin());
  for (usize cut = at; cut < at + sizeof(decl); ++cut) {
    Bytes part(body.begin(), body.begin() + cut);
    expect_error(part, 5, cut < at + 5 ? AmlError::NotFound : AmlError::Truncated);
  }
  expect_type(Bytes(body.begin(), body.begin() + at + sizeof(decl)), 5, 0, 0);
}

}  // namespace
