#include "tv/btf.hpp"

#include "tv/str.hpp"

namespace tv {
namespace {

// btf_header (include/uapi/linux/btf.h).
constexpr u16 kMagic = 0xEB9F;
constexpr usize kTypeHeader = 12;  // name_off, info, size/type

enum Kind : u8 {
  kInt = 1,
  kPtr,
  kArray,
  kStruct,
  kUnion,
  kEnum,
  kFwd,
  kTypedef,
  kVolatile,
  kConst,
  kRestrict,
  kFunc,
  kFuncProto,
  kVar,
  kDatasec,
  kFloat,
  kDeclTag,
  kTypeTag,
  kEnum64,
};

u32 rd32(const u8* p) {
  return load_le32(p);
}
u8 kind_of(u32 info) {
  return u8((info >> 24) & 0x1F);
}
u16 vlen_of(u32 info) {
  return u16(info & 0xFFFF);
}
bool kind_flag(u32 info) {
  return (info >> 31) != 0;
}

// Bytes after the 12-byte header that a type of this kind carries.
bool extra_bytes(u8 kind, u16 vlen, usize& out) {
  switch (kind) {
    case kInt:
    case kVar:
    case kDeclTag: out = 4; return true;
    case kPtr:
    case kFwd:
    case kTypedef:
    case kVolatile:
    case kConst:
    case kRestrict:
    case kFunc:
    case kFloat:
    case kTypeTag: out = 0; return true;
    case kArray: out = 12; return true;
    case kStruct:
    case kUnion:
    case kDatasec:
    case kEnum64: out = 12 * usize(vlen); return true;
    case kEnum:
    case kFuncProto: out = 8 * usize(vlen); return true;
    default: return false;
  }
}

struct Sections {
  const u8* types;
  usize types_len;
  const char* strings;
  usize strings_len;
};

Result<Sections, BtfError> sections(const u8* data, usize len) {
  if (len < 24) return Err{BtfError::Truncated};
  if (load_le16(data) != kMagic) return Err{BtfError::BadMagic};
  const u32 hdr_len = rd32(data + 4), type_off = rd32(data + 8), type_len = rd32(data + 12);
  const u32 str_off = rd32(data + 16), str_len = rd32(data + 20);
  const u64 t0 = u64(hdr_len) + type_off, s0 = u64(hdr_len) + str_off;
  if (hdr_len < 24 || t0 + type_len > len || s0 + str_len > len) return Err{BtfError::Truncated};
  return Sections{data + t0, type_len, reinterpret_cast<const char*>(data + s0), str_len};
}

}  // namespace

const char* to_string(BtfError e) {
  switch (e) {
    case BtfError::Truncated: return "BTF data truncated";
    case BtfError::BadMagic: return "not BTF (bad magic)";
    case BtfError::UnknownKind: return "unknown BTF type kind";
    case BtfError::IndexTooSmall: return "BTF type index too small";
    case BtfError::NoSuchStruct: return "no such struct in the BTF";
    case BtfError::NoSuchMember: return "no such member in the struct";
    case BtfError::NotAStruct: return "a path step is not a struct or union";
    case BtfError::Bitfield: return "the member is a bitfield";
  }
  return "?";
}

Result<u32, BtfError> BtfReader::count_types(const u8* data, usize len) {
  auto s = sections(data, len);
  if (!s) return Err{s.error()};
  u32 n = 0;
  for (usize at = 0; at < s->types_len; ++n) {
    if (at + kTypeHeader > s->types_len) return Err{BtfError::Truncated};
    const u32 info = rd32(s->types + at + 4);
    usize extra = 0;
    if (!extra_bytes(kind_of(info), vlen_of(info), extra)) return Err{BtfError::UnknownKind};
    at += kTypeHeader + extra;
    if (at > s->types_len) return Err{BtfError::Truncated};
  }
  return n;
}

Result<BtfReader, BtfError> BtfReader::open(const u8* data, usize len, u32* index, usize index_cap) {
  auto n = count_types(data, len);
  if (!n) return Err{n.error()};
  if (*n > index_cap) return Err{BtfError::IndexTooSmall};
  auto s = sections(data, len);
  BtfReader r;
  r.types_ = s->types;
  r.types_len_ = s->types_len;
  r.strings_ = s->strings;
  r.strings_len_ = s->strings_len;
  usize at = 0;
  for (u32 i = 0; i < *n; ++i) {
    index[i] = u32(at);
    const u32 info = rd32(r.types_ + at + 4);
    usize extra = 0;
    extra_bytes(kind_of(info), vlen_of(info), extra);
    at += kTypeHeader + extra;
  }
  r.index_ = index;
  r.count_ = *n;
  return r;
}

const u8* BtfReader::type_at(u32 id) const {
  return id == 0 || id > count_ ? nullptr : types_ + index_[id - 1];
}

const char* BtfReader::str(u32 off) const {
  // The string section ends with a NUL (checked loosely: an offset past it is "").
  return off < strings_len_ ? strings_ + off : "";
}

u32 BtfReader::find_struct(const char* name) const {
  for (u32 id = 1; id <= count_; ++id) {
    const u8* t = type_at(id);
    const u8 k = kind_of(rd32(t + 4));
    if ((k == kStruct || k == kUnion) && str_eq(str(rd32(t)), name)) return id;
  }
  return 0;
}

u32 BtfReader::resolve(u32 id) const {
  for (int hops = 0; hops < 16; ++hops) {
    const u8* t = type_at(id);
    if (t == nullptr) return 0;
    const u8 k = kind_of(rd32(t + 4));
    if (k != kTypedef && k != kVolatile && k != kConst && k != kRestrict && k != kTypeTag) return id;
    id = rd32(t + 8);
  }
  return 0;
}

bool BtfReader::find_member(u32 id, const char* name, usize name_len, u64& offset_bits, u32& type, bool& bitfield,
                            int depth) const {
  const u8* t = type_at(id);
  if (t == nullptr || depth > 8) return false;
  const u32 info = rd32(t + 4);
  const u8 k = kind_of(info);
  if (k != kStruct && k != kUnion) return false;
  for (u16 i = 0; i < vlen_of(info); ++i) {
    const u8* m = t + kTypeHeader + 12 * usize(i);
    const char* mname = str(rd32(m));
    const u32 raw = rd32(m + 8);
    const u64 bits = kind_flag(info) ? (raw & 0xFFFFFF) : raw;
    const bool is_bitfield = kind_flag(info) && (raw >> 24) != 0;
    if (mname[0] == '\0') {
      // An anonymous struct or union: its members are the outer struct's.
      u64 inner = 0;
      if (find_member(resolve(rd32(m + 4)), name, name_len, inner, type, bitfield, depth + 1)) {
        offset_bits = bits + inner;
        return true;
      }
      continue;
    }
    if (str_len(mname) == name_len && mem_cmp(mname, name, name_len) == 0) {
      offset_bits = bits;
      type = rd32(m + 4);
      bitfield = is_bitfield;
      return true;
    }
  }
  return false;
}

Result<u64, BtfError> BtfReader::member_offset(const char* name, const char* path) const {
  u32 id = find_struct(name);
  if (id == 0) return Err{BtfError::NoSuchStruct};
  u64 total_bits = 0;
  const char* p = path;
  for (;;) {
    usize n = 0;
    while (p[n] != '\0' && p[n] != '.') ++n;
    u64 bits = 0;
    u32 type = 0;
    bool bitfield = false;
    if (!find_member(id, p, n, bits, type, bitfield, 0)) return Err{BtfError::NoSuchMember};
    total_bits += bits;
    if (p[n] == '\0') {
      if (bitfield || total_bits % 8 != 0) return Err{BtfError::Bitfield};
      return total_bits / 8;
    }
    id = resolve(type);
    const u8* t = type_at(id);
    const u8 k = t == nullptr ? 0 : kind_of(rd32(t + 4));
    if (k != kStruct && k != kUnion) return Err{BtfError::NotAStruct};
    p += n + 1;
  }
}

Result<u64, BtfError> BtfReader::struct_size(const char* name) const {
  const u32 id = find_struct(name);
  if (id == 0) return Err{BtfError::NoSuchStruct};
  return u64(rd32(type_at(id) + 8));
}

}  // namespace tv
