#include "tv/module_table.hpp"

#include "tv/str.hpp"

namespace tv {

const char* to_string(ModuleTableError e) {
  switch (e) {
    case ModuleTableError::BadEvent: return "event is not COMING (1), LIVE (2) or GOING (3)";
    case ModuleTableError::NameUnreadable: return "name unreadable";
    case ModuleTableError::NameUnterminated: return "name has no NUL within 56 bytes";
    case ModuleTableError::BadName: return "name empty or not [A-Za-z0-9_-]";
    case ModuleTableError::BadBase: return "base is not a canonical kernel address";
    case ModuleTableError::BadSize: return "size is 0 or 1 GiB or more";
    case ModuleTableError::RangeWraps: return "base + size wraps";
    case ModuleTableError::Full: return "module table full";
    case ModuleTableError::NotLoaded: return "module is not loading or loaded";
  }
  return "unknown module table error";
}

const char* to_string(ModuleEvent e) {
  switch (e) {
    case ModuleEvent::Coming: return "coming";
    case ModuleEvent::Live: return "live";
    case ModuleEvent::Going: return "going";
    case ModuleEvent::Failed: return "failed";
  }
  return "?";
}

const char* to_string(ModuleState s) {
  switch (s) {
    case ModuleState::Coming: return "coming";
    case ModuleState::Live: return "live";
    case ModuleState::Unloaded: return "unloaded";
    case ModuleState::Failed: return "failed";
  }
  return "?";
}

const char* detectors_string(u8 mask) {
  switch (mask & 3) {
    case 1: return "agent";
    case 2: return "agentless";
    case 3: return "agent+agentless";
    default: return "-";
  }
}

Status<ModuleTableError> check_module_name(const char* name) {
  if (name == nullptr || name[0] == '\0') return Err{ModuleTableError::BadName};
  const usize n = str_nlen(name, kModuleNameBytes);
  if (n >= kModuleNameBytes) return Err{ModuleTableError::BadName};
  for (usize i = 0; i < n; ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return Err{ModuleTableError::BadName};
  }
  return Ok{};
}

Status<ModuleTableError> check_module_range(u64 base, u64 size, u8 va_bits) {
  // The kernel half of a canonical address space: bits 63 .. va_bits - 1 all set.
  const unsigned top = va_bits == 57 ? 56 : 47;
  if ((base >> top) != (~0ull >> top)) return Err{ModuleTableError::BadBase};
  if (size == 0 || size >= kMaxModuleBytes) return Err{ModuleTableError::BadSize};
  const u64 end = base + size;  // exclusive; exactly 2^64 (0 here) is fine
  if (end < base && end != 0) return Err{ModuleTableError::RangeWraps};
  return Ok{};
}

const ModuleEntry* ModuleTable::find(const char* name) const {
  for (usize i = 0; i < count_; ++i)
    if (str_eq(entries_[i].name, name)) return &entries_[i];
  return nullptr;
}

ModuleEntry* ModuleTable::lookup(const char* name) {
  return const_cast<ModuleEntry*>(find(name));
}

usize ModuleTable::loaded() const {
  usize n = 0;
  for (usize i = 0; i < count_; ++i)
    if (entries_[i].state == ModuleState::Coming || entries_[i].state == ModuleState::Live) ++n;
  return n;
}

ModuleEntry* ModuleTable::take_entry(bool& reused) {
  reused = false;
  if (count_ < kCapacity) return &entries_[count_++];
  ModuleEntry* oldest = nullptr;
  for (ModuleEntry& m : entries_)
    if ((m.state == ModuleState::Unloaded || m.state == ModuleState::Failed) && (!oldest || m.seq < oldest->seq))
      oldest = &m;
  if (oldest != nullptr) {
    reused = true;
    oldest->loads = 0;
  }
  return oldest;
}

void ModuleTable::start_load(ModuleEntry& m, Detector d, ModuleEvent e, const char* name, u64 base, u64 size, u64 tsc) {
  const usize n = str_nlen(name, kModuleNameBytes - 1);
  mem_copy(m.name, name, n);
  mem_set(m.name + n, 0, kModuleNameBytes - n);
  m.base = base;
  m.size = size;
  m.state = e == ModuleEvent::Coming ? ModuleState::Coming : ModuleState::Live;
  mem_set(m.seen, 0, sizeof m.seen);
  m.seen[u8(e) - 1] = u8(d);
  m.detectors = 0;
  m.mismatch = false;
  ++m.loads;
  m.first_tsc = tsc;
  ++stats_.loads;
}

Status<ModuleTableError> ModuleTable::record(Detector d, ModuleEvent e, const char* name, u64 base, u64 size, u64 tsc,
                                             ModuleRecord* out) {
  auto refuse = [this](ModuleTableError err) -> Status<ModuleTableError> {
    ++(err == ModuleTableError::Full ? stats_.full : stats_.rejected);
    return Err{err};
  };
  const u8 bit = u8(d);
  if ((bit != u8(Detector::Agent) && bit != u8(Detector::Agentless)) || u8(e) < u8(ModuleEvent::Coming) ||
      u8(e) > u8(ModuleEvent::Failed))
    return refuse(ModuleTableError::BadEvent);
  if (auto st = check_module_name(name); !st) return refuse(st.error());
  // The widest kernel half (57-bit); a caller that knows the guest's paging checks more narrowly first.
  if (auto st = check_module_range(base, size, 57); !st) return refuse(st.error());

  // seen[] slots: Coming, Live, an unload, a failure (Going means one or the other).
  constexpr usize kComing = 0, kLive = 1, kUnload = 2, kFailure = 3;
  ModuleRecord r{};
  ModuleEntry* m = lookup(name);
  usize slot = 0;
  bool start = false;
  switch (e) {
    case ModuleEvent::Coming:
      slot = kComing;
      start = m == nullptr || (m->state != ModuleState::Coming && m->state != ModuleState::Live) ||
              (m->seen[kComing] & bit) != 0;
      r.merged = !start;
      break;
    case ModuleEvent::Live:
      slot = kLive;
      if (m != nullptr && m->state == ModuleState::Coming) {
        m->state = ModuleState::Live;
      } else if (m != nullptr && m->state == ModuleState::Live && (m->seen[kLive] & bit) == 0) {
        r.merged = true;
      } else {
        start = true;
      }
      break;
    case ModuleEvent::Going:
    case ModuleEvent::Failed:
      if (m == nullptr) return refuse(ModuleTableError::NotLoaded);
      if (m->state == ModuleState::Coming) {
        slot = kFailure;
        m->state = ModuleState::Failed;
      } else if (m->state == ModuleState::Live && e == ModuleEvent::Going) {
        slot = kUnload;
        m->state = ModuleState::Unloaded;
      } else if (m->state == ModuleState::Unloaded && e == ModuleEvent::Going && (m->seen[kUnload] & bit) == 0) {
        slot = kUnload;
        r.merged = true;
      } else if (m->state == ModuleState::Failed && (m->seen[kFailure] & bit) == 0) {
        slot = kFailure;
        r.merged = true;
      } else {
        return refuse(ModuleTableError::NotLoaded);
      }
      break;
  }

  if (start) {
    if (m == nullptr) {
      m = take_entry(r.reused);
      if (m == nullptr) return refuse(ModuleTableError::Full);
      if (r.reused) ++stats_.reused;
    }
    start_load(*m, d, e, name, base, size, tsc);
    r.new_load = true;
  } else {
    m->seen[slot] |= bit;
    if (m->base != base || m->size != size) {
      m->mismatch = true;
      r.mismatch = true;
    }
  }
  m->detectors |= bit;
  m->last_tsc = tsc;
  m->seq = ++seq_;
  ++stats_.events;
  r.index = usize(m - entries_);
  r.state = m->state;
  if (out != nullptr) *out = r;
  return Ok{};
}

}  // namespace tv
