// The BTF reader over a small hand-built type section: a struct module-like
// layout with a nested struct, a typedef, an anonymous union and a bitfield.
#include "tv/btf.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
using namespace tv;

class BtfBuilder {
 public:
  BtfBuilder() { strings_.push_back('\0'); }
  u32 str(const std::string& s) {
    if (s.empty()) return 0;
    u32 off = u32(strings_.size());
    strings_.insert(strings_.end(), s.begin(), s.end());
    strings_.push_back('\0');
    return off;
  }
  // Returns the new type's id.
  u32 type(u32 name, u8 kind, u16 vlen, u32 size_or_type, bool kflag = false) {
    put(name);
    put((u32(kind) << 24) | vlen | (kflag ? 1u << 31 : 0));
    put(size_or_type);
    return ++count_;
  }
  void member(const std::string& name, u32 type, u32 offset_bits) {
    put(str(name));
    put(type);
    put(offset_bits);
  }
  void put(u32 v) {
    for (int i = 0; i < 4; ++i) types_.push_back(u8(v >> (8 * i)));
  }
  std::vector<u8> blob() const {
    // magic 0xEB9F, version 1, flags 0; hdr_len; type off/len; str off/len
    const u32 hdr[6] = {0x0001EB9Fu, 24, 0, u32(types_.size()), u32(types_.size()), u32(strings_.size())};
    std::vector<u8> b;
    for (u32 v : hdr)
      for (int i = 0; i < 4; ++i) b.push_back(u8(v >> (8 * i)));
    for (u8 c : types_) b.push_back(c);
    for (char c : strings_) b.push_back(u8(c));
    return b;
  }

 private:
  std::vector<u8> types_;
  std::vector<char> strings_;
  u32 count_ = 0;
};

std::vector<u8> sample() {
  BtfBuilder b;
  const u32 int_t = b.type(b.str("int"), 1, 0, 4);
  b.put(0x20);                           // INT encoding: 32 bits
  const u32 ptr_t = b.type(0, 2, 0, 0);  // void *
  const u32 layout = b.type(b.str("module_layout"), 4, 2, 16);
  b.member("base", ptr_t, 0);
  b.member("size", int_t, 64);
  const u32 layout_td = b.type(b.str("layout_t"), 8, 0, layout);  // typedef
  const u32 anon = b.type(0, 5, 2, 8);                            // anonymous union
  b.member("refs", int_t, 0);
  b.member("flags", int_t, 0);
  b.type(b.str("module"), 4, 5, 96, true);  // kind_flag: bitfield offsets
  b.member("state", int_t, 0);
  b.member("", anon, 64);
  b.member("core_layout", layout_td, 256);
  b.member("bits", int_t, (3u << 24) | 512);  // a 3-bit bitfield at bit 512
  b.member("name", int_t, 576);
  return b.blob();
}

TEST(Btf, FindsMembersThroughTypedefsAndAnonymousUnions) {
  std::vector<u8> blob = sample();
  auto n = BtfReader::count_types(blob.data(), blob.size());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
  std::vector<u32> index(*n);
  auto r = BtfReader::open(blob.data(), blob.size(), index.data(), index.size());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(*r->member_offset("module", "state"), 0u);
  EXPECT_EQ(*r->member_offset("module", "flags"), 8u);  // inside the anonymous union
  EXPECT_EQ(*r->member_offset("module", "core_layout.base"), 32u);
  EXPECT_EQ(*r->member_offset("module", "core_layout.size"), 40u);
  EXPECT_EQ(*r->member_offset("module", "name"), 72u);
  EXPECT_EQ(*r->struct_size("module"), 96u);
  EXPECT_EQ(r->member_offset("module", "bits").error(), BtfError::Bitfield);
  EXPECT_EQ(r->member_offset("module", "nope").error(), BtfError::NoSuchMember);
  EXPECT_EQ(r->member_offset("module", "state.x").error(), BtfError::NotAStruct);
  EXPECT_EQ(r->member_offset("task_struct", "pid").error(), BtfError::NoSuchStruct);
}

TEST(Btf, RefusesBrokenData) {
  std::vector<u8> blob = sample();
  std::vector<u32> index(16);
  EXPECT_EQ(BtfReader::open(blob.data(), 10, index.data(), index.size()).error(), BtfError::Truncated);
  EXPECT_EQ(BtfReader::open(blob.data(), blob.size(), index.data(), 2).error(), BtfError::IndexTooSmall);
  std::vector<u8> bad = blob;
  bad[0] = 0x12;
  EXPECT_EQ(BtfReader::open(bad.data(), bad.size(), index.data(), index.size()).error(), BtfError::BadMagic);
  std::vector<u8> kind = blob;
  kind[24 + 7] = 31;  // the first type's kind byte: no such kind
  EXPECT_EQ(BtfReader::count_types(kind.data(), kind.size()).error(), BtfError::UnknownKind);
  std::vector<u8> cut = blob;
  cut[12] = u8(cut[12] + 4);  // type_len runs into the strings, and past their end
  cut[20] = 0xFF;
  EXPECT_FALSE(BtfReader::count_types(cut.data(), cut.size()).ok());
}

}  // namespace
