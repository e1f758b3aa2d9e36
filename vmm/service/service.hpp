// Hypercall services (VMMCALL). Adding a service is adding one file:
//
//   static u64 hello(HypercallContext& call) { ...; return 10; }
//   TV_SERVICE(hello, "hello", CallerPolicy::AnyMode, "logs RBX, returns 10");
//
// TV_SERVICE places a ServiceDef in the .tv_services linker section; the
// registry finds them all at start-up, numbers them (get_vmmcall_number is 0,
// the rest in name order) and refuses duplicates. See docs/hypercalls.md.
#pragma once
#include "tv/hypercall_abi.hpp"
#include "tv/insn_decode.hpp"
#include "tv/service_table.hpp"
#include "virt/guest_memory.hpp"
#include "virt/vcpu.hpp"

namespace tv {

// The typed view a service gets of one hypercall.
class HypercallContext {
 public:
  HypercallContext(Vcpu& vcpu, InsnKind instruction) : vcpu_(vcpu), instruction_(instruction) {}

  // Arguments 0..4 are RBX, RCX, RDX, RSI, RDI (only their low 32 bits for a
  // caller outside 64-bit mode, whose upper halves are undefined).
  u64 arg(usize i) const { return hypercall_arg(vcpu_.gpr(kArgRegs[i < 5 ? i : 4]), mode() == CpuMode::Long64); }
  // Extra results in RBX..RDI (RAX is the service's return value).
  void set_result(usize i, u64 v) { vcpu_.set_gpr(kArgRegs[i < 5 ? i : 4], v); }
  u8 cpl() const { return vcpu_.cpl(); }
  bool from_user_mode() const { return vcpu_.cpl() == 3; }
  CpuMode mode() const { return vcpu_.cpu_mode(); }
  InsnKind instruction() const { return instruction_; }  // Vmmcall, or Vmcall (Intel encoding)

  // Guest memory as the caller could reach it: a user-mode caller's pointers
  // must be user pages, and writes need writable pages.
  Status<GuestMemError> read(u64 gva, void* dst, usize len) const {
    return read_guest_virtual(vcpu_, gva, dst, len, from_user_mode());
  }
  Status<GuestMemError> write(u64 gva, const void* src, usize len) const {
    return write_guest_virtual(vcpu_, gva, src, len, from_user_mode());
  }
  Result<usize, NameError> read_name(u64 gva, char (&out)[abi::kMaxNameBytes]) const;
  // A name of at most cap bytes with its NUL (e.g. a module name, 56).
  Result<usize, NameError> read_name(u64 gva, char* out, usize cap) const;
  Vcpu& vcpu() { return vcpu_; }

 private:
  static constexpr Gpr kArgRegs[5] = {Gpr::Rbx, Gpr::Rcx, Gpr::Rdx, Gpr::Rsi, Gpr::Rdi};
  Vcpu& vcpu_;
  InsnKind instruction_;
};

using ServiceFn = u64 (*)(HypercallContext&);

// Entries sit back to back in .tv_services: size and alignment are pinned so the
// linker-made array has no gaps (GCC would otherwise align 32-byte objects to 32).
struct alignas(32) ServiceDef {
  const char* name;
  ServiceFn fn;
  CallerPolicy policy;
  const char* summary;
};
static_assert(sizeof(ServiceDef) == 32 && alignof(ServiceDef) == 32);

// Registry access (service/registry.cpp).
void init_services(bool kernel_only_override);
usize service_count();
const ServiceDef* service_at(u64 number);
i64 service_number(const char* name);
struct ServiceCounters {
  u64 calls;
  u64 denied;
};
const ServiceCounters& service_counters(u64 number);
struct HypercallTotals {
  u64 calls, unknown, denied;
};
const HypercallTotals& hypercall_totals();
bool kernel_only_override();

}  // namespace tv

#define TV_SERVICE_SECTION_(prefix, name) __attribute__((section(".tv_services." prefix name), used))
#define TV_SERVICE(ident, name, policy, summary) \
  static const ::tv::ServiceDef tv_service_##ident TV_SERVICE_SECTION_("1.", name) = {name, ident, policy, summary}
// Only get_vmmcall_number uses this: it must be service number 0.
#define TV_SERVICE_FIRST(ident, name, policy, summary) \
  static const ::tv::ServiceDef tv_service_##ident TV_SERVICE_SECTION_("0.", name) = {name, ident, policy, summary}
