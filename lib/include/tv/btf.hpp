// BTF, the kernel's BPF Type Format (Linux Documentation/bpf/btf.rst): just
// enough to find where a struct member sits, by name, in the BTF a Debian
// kernel carries (.BTF of vmlinux, /sys/kernel/btf/vmlinux). The module-load
// detector takes struct module's offsets from there, never from C++
// constants per kernel version (docs/module-watch.md).
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class BtfError : u8 {
  Truncated = 1,  // a header, type or string runs past the data
  BadMagic,       // not 0xEB9F (or another byte order)
  UnknownKind,    // a type kind this reader does not know how to skip
  IndexTooSmall,  // the caller's type index holds fewer entries than the types
  NoSuchStruct,   // no struct or union of that name
  NoSuchMember,   // the path names a member the struct does not have
  NotAStruct,     // a path step goes through a member that is no struct or union
  Bitfield,       // the member is a bitfield (no byte offset)
};
const char* to_string(BtfError e);

class BtfReader {
 public:
  // Counts the types in data (for sizing the index). Types are numbered from 1.
  static Result<u32, BtfError> count_types(const u8* data, usize len);
  // index: one u32 per type (count_types of them), filled with where each starts.
  static Result<BtfReader, BtfError> open(const u8* data, usize len, u32* index, usize index_cap);
  // The byte offset of `path` ("core_layout.base") inside struct `name`,
  // looking through typedefs/const/volatile and into anonymous members.
  Result<u64, BtfError> member_offset(const char* name, const char* path) const;
  // The size in bytes of struct or union `name`.
  Result<u64, BtfError> struct_size(const char* name) const;
  u32 type_count() const { return count_; }

 private:
  BtfReader() = default;
  const u8* type_at(u32 id) const;  // nullptr for 0 or out of range
  const char* str(u32 off) const;
  u32 find_struct(const char* name) const;  // 0 if none
  u32 resolve(u32 id) const;                // through typedef/const/volatile/restrict/type tags
  // One path component (up to '.' or NUL) of struct `id`, into *offset_bits and *type.
  bool find_member(u32 id, const char* name, usize name_len, u64& offset_bits, u32& type, bool& bitfield,
                   int depth) const;
  const u8* types_ = nullptr;
  usize types_len_ = 0;
  const char* strings_ = nullptr;
  usize strings_len_ = 0;
  const u32* index_ = nullptr;
  u32 count_ = 0;
};

}  // namespace tv
