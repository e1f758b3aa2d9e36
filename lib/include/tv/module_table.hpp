// The guest's kernel modules as the VMM's detectors report them
// (docs/module-watch.md): a bounded table, hardware-free. Two detectors feed
// it, the in-guest agent (thinvisor_modwatch.ko through the `drvhook`
// hypercall) and the VMM's agentless detector; both report the same events
// of one load, in the order the guest's loader runs them:
//
//   Coming -> Live -> (Going) Unloaded        a load, then an unload
//   Coming -> (Going or Failed) Failed        a load whose init failed
//
// Everything given to record() comes from the guest and is checked here, so
// a detector cannot put a bad entry in the table whatever it read.
// Not thread-safe: the VMM's one instance sits behind a SpinLock
// (vmm/virt/guest_modules.hpp).
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class ModuleEvent : u8 { Coming = 1, Live = 2, Going = 3, Failed = 4 };
enum class Detector : u8 { Agent = 1, Agentless = 2 };
enum class ModuleState : u8 { Coming = 1, Live, Unloaded, Failed };

// One error list for the table and the `drvhook` service, whose refusals are
// -(63 + code) (abi::module_error; docs/module-watch.md has the table).
// NameUnreadable and NameUnterminated are the name reader's, never record()'s.
enum class ModuleTableError : u8 {
  BadEvent = 1,      // -64: not Coming, Live, Going (or Failed)
  NameUnreadable,    // -65: the name's bytes could not be read
  NameUnterminated,  // -66: no NUL within kModuleNameBytes
  BadName,           // -67: empty, or a byte outside [A-Za-z0-9_-]
  BadBase,           // -68: not a canonical kernel-half address
  BadSize,           // -69: 0, or kMaxModuleBytes or more
  RangeWraps,        // -70: base + size runs past the end of the address space
  Full,              // -71: every entry holds a loading or loaded module
  NotLoaded,         // -72: Going/Failed for a module that is neither loading nor loaded
};
inline constexpr u8 kModuleTableErrorCount = 9;
const char* to_string(ModuleTableError e);
const char* to_string(ModuleEvent e);
const char* to_string(ModuleState s);
// "agent", "agentless", "agent+agentless" or "-" for a detector bit mask.
const char* detectors_string(u8 mask);

// Linux's MODULE_NAME_LEN: the name with its NUL.
inline constexpr usize kModuleNameBytes = 56;
// No module's core is this big (Debian's largest are a few MiB).
inline constexpr u64 kMaxModuleBytes = 1ull << 30;

// The checks record() makes, for callers that want them first: a name of 1 to
// kModuleNameBytes - 1 bytes of [A-Za-z0-9_-] (so it can never forge a log
// line), and a range in the kernel half of a va_bits-bit (48 or 57) address space.
Status<ModuleTableError> check_module_name(const char* name);
Status<ModuleTableError> check_module_range(u64 base, u64 size, u8 va_bits);

struct ModuleEntry {
  char name[kModuleNameBytes];
  u64 base;
  u64 size;
  ModuleState state;
  u8 seen[4];     // per ModuleEvent (index event - 1): the detectors that reported it, this load
  u8 detectors;   // all of them, this load
  bool mismatch;  // a later report of this load gave another base or size (the first is kept)
  u32 loads;      // loads of this name that this entry has held
  u64 first_tsc;  // the first report of this load
  u64 last_tsc;   // the latest report
  u64 seq;        // table-wide order of the latest report (oldest is reused first)
};

// What a successful record() did, for the caller's log line.
struct ModuleRecord {
  usize index;
  ModuleState state;  // the entry's state afterwards
  bool new_load;      // this report started a new load (a new or reused entry)
  bool merged;        // another detector's report of an event already recorded
  bool mismatch;      // this report's base or size differs from the entry's
  bool reused;        // a new load that took over another module's Unloaded/Failed entry
};

struct ModuleTableStats {
  u64 events;    // accepted reports
  u64 loads;     // new loads
  u64 reused;    // entries taken over from other modules
  u64 full;      // Full refusals
  u64 rejected;  // every other refusal
};

class ModuleTable {
 public:
  static constexpr usize kCapacity = 64;

  // `tsc` is the detector's time of the event (the VMM's TSC at the report).
  // Going means Failed for a module still Coming, Unloaded for a Live one.
  // A name loaded again after it was unloaded or failed refreshes its entry;
  // a new name takes a free entry, else the Unloaded/Failed entry with the
  // oldest report; else Full.
  Status<ModuleTableError> record(Detector d, ModuleEvent e, const char* name, u64 base, u64 size, u64 tsc,
                                  ModuleRecord* out = nullptr);

  usize count() const { return count_; }
  const ModuleEntry* at(usize i) const { return i < count_ ? &entries_[i] : nullptr; }
  // The entry holding `name` (any state), or nullptr.
  const ModuleEntry* find(const char* name) const;
  // Entries in state Coming or Live.
  usize loaded() const;
  const ModuleTableStats& stats() const { return stats_; }

 private:
  ModuleEntry* lookup(const char* name);
  ModuleEntry* take_entry(bool& reused);
  void start_load(ModuleEntry& m, Detector d, ModuleEvent e, const char* name, u64 base, u64 size, u64 tsc);

  ModuleEntry entries_[kCapacity] = {};
  usize count_ = 0;
  u64 seq_ = 0;
  ModuleTableStats stats_ = {};
};

}  // namespace tv
