// Protection domains: ring-3 programs inside the VMM (docs/domains.md).
// The same calls serve VMM code (the caller is "the VMM", domain id 0) and
// domains (through syscalls, vmm/domain/syscalls.cpp). Names follow BitVisor.
#pragma once
#include "tv/descriptor_table.hpp"
#include "tv/domain_abi.hpp"
#include "tv/domain_error.hpp"
#include "tv/result.hpp"

namespace tv::dom {

inline constexpr usize kMaxDomains = 31;     // live instances at once (BitVisor: 31 processes)
inline constexpr usize kMaxEndpoints = 128;  // registered names + process entries, machine-wide

struct SharedImage;

struct Domain {
  u32 id = 0;       // unique per instance, never reused; 0 = a free slot
  u32 creator = 0;  // the domain that called newprocess (0: the VMM); it ends with its creator
  char program[kMaxNameBytes] = {};
  SharedImage* image = nullptr;
  u64 pml4 = 0;
  DescriptorTable descs;
  u32 active = 0;        // messages into this domain now on the call chain
  u32 stacks = 0;        // bit k: the stack of nesting slot k is mapped
  bool locked = false;   // setlimit was called
  bool exiting = false;  // exitprocess: torn down when no message is active
  bool dead = false;     // killed: its activations unwind with CalleeDied
};

// A buffer as a handler sees it. For a domain handler `base` is where the
// buffer is mapped in the callee; a VMM handler reads and writes through the
// view, which checks the owner's own permissions.
struct BufView {
  const Domain* owner;  // nullptr: VMM memory
  u64 base;
  u64 len;
  bool rw;
  Status<DomainError> read(u64 off, void* dst, usize n) const;
  Status<DomainError> write(u64 off, const void* src, usize n) const;
};

// A message handler inside the VMM.
using VmmHandler = i64 (*)(int type, i64 value, const BufView* bufs, usize n);

// Who makes a call: nullptr = VMM code.
using Caller = Domain*;

Status<DomainError> init();  // at start-up, before integrity::seal()

Result<int, DomainError> newprocess(Caller c, const char* program);
Result<int, DomainError> msgregister(Caller c, const char* name, u64 entry);
Result<int, DomainError> msgregister_vmm(const char* name, VmmHandler fn);
Result<int, DomainError> msgopen(Caller c, const char* name);
Status<DomainError> msgclose(Caller c, i64 desc);
Status<DomainError> msgunregister(Caller c, i64 desc);
Status<DomainError> msgsenddesc(Caller c, i64 process_desc, i64 desc);
Result<i64, DomainError> msgsendint(Caller c, i64 desc, i64 value);

// One CPU at a time runs protection-domain code (SMP): a domain's message
// stacks, page tables and `active` count, the endpoint registry and the
// descriptor tables belong to the CPU that holds this. Every entry point here
// takes it; a guard on a CPU that already holds it (a syscall of a running
// message, a coroutine resumed by a frame that holds it) changes nothing, and
// only the guard that took it gives it back. So a message suspended in a
// coroutine (vmm/domain/coroutine.cpp) holds nothing while it waits, and a
// message that never ends stalls other CPUs' domain calls, never their guest
// code (docs/domains.md).
class [[nodiscard]] ExecGuard {
 public:
  ExecGuard();
  ~ExecGuard();
  ExecGuard(const ExecGuard&) = delete;
  ExecGuard& operator=(const ExecGuard&) = delete;

 private:
  bool acquired_ = false;
};
// bufs: the caller's addresses (VMM pointers for VMM code).
Result<i64, DomainError> msgsendbuf(Caller c, i64 desc, i64 value, const MsgBuf* bufs, usize n);
void exitprocess(Domain& d);
void setlimit(Domain& d);

// A fault or ABI breach in ring 3: logs it, kills the current domain and
// unwinds its message with CalleeDied. Never returns.
[[noreturn]] void kill_current(const char* what, u64 rip, u64 detail);

struct Stats {
  usize live_domains;
  u64 created, destroyed, killed, messages;
};
Stats stats();
const char* name_of(const Domain* d);

// One live instance as the `domains` report shows it, copied under the lock
// so the callback may do anything (even send messages) without holding it.
struct DomainInfo {
  u32 id;
  char program[kMaxNameBytes];
  u32 active;      // messages into it now on a call chain
  u32 open_descs;  // bit k: descriptor k is open
  bool exiting, dead;
};
void for_each_domain(void (*fn)(const DomainInfo& d, void* ctx), void* ctx);

}  // namespace tv::dom
