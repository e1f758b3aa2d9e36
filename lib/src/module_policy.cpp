#include "tv/module_policy.hpp"

#include "tv/str.hpp"

namespace tv {
const char* to_string(PolicyError e) {
  switch (e) {
    case PolicyError::TooMany: return "more than 32 allow-list entries";
    case PolicyError::BadEntry: return "an entry is not NAME:HASH (name 1-55 characters)";
    case PolicyError::BadHash: return "a hash is not 64 hex digits";
  }
  return "?";
}

const char* to_string(ModuleVerdict v) {
  switch (v) {
    case ModuleVerdict::Allowed: return "allowed";
    case ModuleVerdict::Unknown: return "UNKNOWN MODULE (not in the allow-list)";
    case ModuleVerdict::HashMismatch: return "HASH MISMATCH (allow-listed name, different text)";
  }
  return "?";
}

Result<ModulePolicy, PolicyError> ModulePolicy::parse(const char* spec) {
  ModulePolicy p;
  const char* s = spec;
  while (*s != '\0') {
    if (p.count_ == kMaxEntries) return Err{PolicyError::TooMany};
    Entry& e = p.entries_[p.count_];
    usize n = 0;
    while (s[n] != '\0' && s[n] != ':' && s[n] != ',') ++n;
    if (n == 0 || n >= kMaxName || s[n] != ':') return Err{PolicyError::BadEntry};
    mem_copy(e.name, s, n);
    e.name[n] = '\0';
    s += n + 1;
    for (usize i = 0; i < Sha256::kDigestBytes; ++i) {
      const int hi = hex_digit_value(s[2 * i]);
      const int lo = hi < 0 ? -1 : hex_digit_value(s[2 * i + 1]);
      if (hi < 0 || lo < 0) return Err{PolicyError::BadHash};
      e.digest[i] = u8(hi << 4 | lo);
    }
    s += 2 * Sha256::kDigestBytes;
    if (*s != '\0' && *s != ',') return Err{PolicyError::BadHash};
    if (*s == ',') ++s;
    ++p.count_;
  }
  return p;
}

ModuleVerdict ModulePolicy::judge(const char* name, const u8 (&digest)[Sha256::kDigestBytes]) const {
  bool named = false;
  for (usize i = 0; i < count_; ++i) {
    if (!str_eq(entries_[i].name, name)) continue;
    named = true;
    if (mem_cmp(entries_[i].digest, digest, sizeof digest) == 0) return ModuleVerdict::Allowed;
  }
  return named ? ModuleVerdict::HashMismatch : ModuleVerdict::Unknown;
}

}  // namespace tv
