// The module-load detector's integrity policy (docs/module-watch.md,
// "Policy"): an allow-list of module names with the SHA-256 of their core
// text, given on the VMM command line as
//   modwatch.allow=NAME:HEX64[,NAME:HEX64...]
// and the verdict for a module the detector hashed.
#pragma once
#include "tv/result.hpp"
#include "tv/sha256.hpp"
#include "tv/types.hpp"

namespace tv {

enum class PolicyError : u8 { TooMany = 1, BadEntry, BadHash };
const char* to_string(PolicyError e);

enum class ModuleVerdict : u8 { Allowed, Unknown, HashMismatch };
const char* to_string(ModuleVerdict v);

class ModulePolicy {
 public:
  static constexpr usize kMaxEntries = 32;
  static constexpr usize kMaxName = 56;
  static Result<ModulePolicy, PolicyError> parse(const char* spec);
  ModuleVerdict judge(const char* name, const u8 (&digest)[Sha256::kDigestBytes]) const;
  usize size() const { return count_; }

 private:
  struct Entry {
    char name[kMaxName];
    u8 digest[Sha256::kDigestBytes];
  };
  Entry entries_[kMaxEntries] = {};
  usize count_ = 0;
};

}  // namespace tv
