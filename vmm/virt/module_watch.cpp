#include "virt/module_watch.hpp"

#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "tv/cpu_table.hpp"
#include "tv/kernel_profile.hpp"
#include "tv/module_policy.hpp"
#include "tv/module_reader.hpp"
#include "tv/sha256.hpp"
#include "tv/spinlock.hpp"
#include "virt/guest_memory.hpp"
#include "virt/guest_modules.hpp"
#include "virt/watchpoints.hpp"

namespace tv {
namespace modwatch_detail {
u32 g_unarmed_cpus = 0;
}  // namespace modwatch_detail

namespace {

KernelProfile g_profile{};
bool g_hash = false;  // modwatch.hash or modwatch.allow: hash each module's core text
ModulePolicy g_policy;
constexpr u64 kMaxHashedText = 64 * MiB;  // bounds the work one load can cost the VMM
u64 g_slide = 0;                          // set by the first CPU to arm; the others check theirs against it
bool g_slide_set = false;
// do_init_module's return, per CPU: one load followed at a time on each (a
// second load while one is in its init function there is seen at free_module
// or not at all as LIVE). The return is recognised by the stack pointer too:
// the loading task may have moved to another CPU, and another task's return
// through the same address on this one is not its return.
struct ReturnWatch {
  u8 slot = 0xFF;
  u64 module = 0;
  u64 rsp_after = 0;  // RSP once the RET has popped the watched return address
};
ReturnWatch g_return[smp::kMaxCpus];

class VcpuReader final : public GuestReader {
 public:
  explicit VcpuReader(const Vcpu& v) : vcpu_(v) {}
  bool read(u64 gva, void* dst, usize len) const override { return read_guest_virtual(vcpu_, gva, dst, len).ok(); }

 private:
  const Vcpu& vcpu_;
};

Result<ModuleFacts, ModuleReadError> module_at(const Vcpu& vcpu, u64 mod) {
  return read_module(VcpuReader(vcpu), mod, g_profile);
}

void on_init_returned(Vcpu& vcpu, u8 slot, const Watchpoint&) {
  ReturnWatch& w = g_return[this_cpu().cpu_index];
  if (vcpu.gpr(Gpr::Rsp) != w.rsp_after) return;  // another task passing the same return address
  const i64 ret = i64(vcpu.gpr(Gpr::Rax));
  auto m = module_at(vcpu, w.module);
  (void)release_watch(vcpu, slot);
  w.slot = 0xFF;
  if (!m) {
    TV_LOG_GUEST("modwatch: a module's init returned %ld; its struct module: %s", ret, to_string(m.error()));
    return;
  }
  // A failed init is reported when free_module follows (Going after Coming: failed).
  if (ret == 0) (void)modules::report_module(Detector::Agentless, ModuleEvent::Live, m->name, m->base, m->size);
}

// SHA-256 of the module's core text, read through the guest's page tables,
// judged against the allow-list (docs/module-watch.md, "Policy").
void hash_text(const Vcpu& vcpu, const ModuleFacts& m) {
  if (m.text_size == 0 || m.text_size > kMaxHashedText) {
    TV_LOG_GUEST("modwatch: %s: text size %lu not hashed", m.name, m.text_size);
    return;
  }
  Sha256 h;
  u8 chunk[512];
  for (u64 off = 0; off < m.text_size; off += sizeof chunk) {
    const usize n = m.text_size - off < sizeof chunk ? usize(m.text_size - off) : sizeof chunk;
    if (!read_guest_virtual(vcpu, m.base + off, chunk, n)) {
      TV_LOG_GUEST("modwatch: %s: text at %lx unreadable; not hashed", m.name, m.base + off);
      return;
    }
    h.update(chunk, n);
  }
  u8 digest[Sha256::kDigestBytes];
  h.finish(digest);
  char hex[2 * Sha256::kDigestBytes + 1];
  sha256_hex(digest, hex);
  const ModuleVerdict v = g_policy.judge(m.name, digest);
  if (g_policy.size() == 0 || v == ModuleVerdict::Allowed)
    TV_LOG_GUEST("guest module %s text sha256 %s (%lu bytes)%s", m.name, hex, m.text_size,
                 g_policy.size() == 0 ? "" : ": allowed");
  else
    TV_LOG_GUEST_AT(LogLevel::Warn, "guest module %s text sha256 %s (%lu bytes): %s", m.name, hex, m.text_size,
                    to_string(v));
}

void on_do_init_module(Vcpu& vcpu, u8, const Watchpoint&) {
  const u64 mod = vcpu.gpr(Gpr::Rdi);
  auto m = module_at(vcpu, mod);
  if (!m) {
    TV_LOG_GUEST("modwatch: do_init_module(%lx): %s", mod, to_string(m.error()));
    return;
  }
  (void)modules::report_module(Detector::Agentless, ModuleEvent::Coming, m->name, m->base, m->size);
  if (g_hash) hash_text(vcpu, *m);
  ReturnWatch& w = g_return[this_cpu().cpu_index];
  if (w.slot != 0xFF) return;  // another load is in its init on this CPU: LIVE is not seen for this one
  u64 ret_addr = 0;
  if (!read_guest_virtual(vcpu, vcpu.gpr(Gpr::Rsp), &ret_addr, sizeof ret_addr)) return;
  auto slot = claim_watch(vcpu, ret_addr, BpType::Execute, 1, on_init_returned);
  if (!slot) return;
  w = {*slot, mod, vcpu.gpr(Gpr::Rsp) + 8};
}

void on_free_module(Vcpu& vcpu, u8, const Watchpoint&) {
  const u64 mod = vcpu.gpr(Gpr::Rdi);
  auto m = module_at(vcpu, mod);
  if (!m) {
    TV_LOG_GUEST("modwatch: free_module(%lx): %s", mod, to_string(m.error()));
    return;
  }
  (void)modules::report_module(Detector::Agentless, ModuleEvent::Going, m->name, m->base, m->size);
}

}  // namespace

void module_watch_forget_cpu(Vcpu& vcpu) {
  ReturnWatch& w = g_return[this_cpu().cpu_index];
  if (w.slot == 0xFF) return;
  (void)release_watch(vcpu, w.slot);
  w = {};
}

void init_module_policy(bool hash, const char* allow) {
  g_hash = hash || allow != nullptr;
  if (allow == nullptr) return;
  auto p = ModulePolicy::parse(allow);
  if (!p) {
    TV_LOG_AT(LogLevel::Warn, "modwatch.allow=%s: %s; every module will be reported as unknown", allow,
              to_string(p.error()));
    return;
  }
  g_policy = *p;
  TV_LOG("modwatch: allow-list of %lu module(s); others are reported loudly", u64(g_policy.size()));
}

void init_module_watch(const BootModule* modules, usize count) {
  for (usize i = 2; i < count; ++i) {
    const usize len = modules[i].size < 4096 ? usize(modules[i].size) : 4096;
    const char* text = mem::phys_to_ptr<const char>(modules[i].base);
    auto p = parse_kernel_profile(text, len);
    if (!p) {
      if (p.error() != ProfileError::NotAProfile) TV_LOG("modwatch: boot module %lu: %s", u64(i), to_string(p.error()));
      continue;
    }
    g_profile = *p;
    const u32 n = cpu_count();
    modwatch_detail::g_unarmed_cpus = n >= 32 ? ~0u : (1u << n) - 1;
    TV_LOG("modwatch: kernel profile for %s: agentless detection once the guest sets LSTAR", g_profile.release);
    return;
  }
}

namespace modwatch_detail {
void arm(Vcpu& vcpu) {
  const u32 cpu = this_cpu().cpu_index;
  const u32 bit = cpu < 32 ? 1u << cpu : 0;
  if ((__atomic_load_n(&g_unarmed_cpus, __ATOMIC_RELAXED) & bit) == 0) return;  // armed; another CPU is not yet
  const u64 lstar = vcpu.guest_lstar();
  if (lstar == 0) return;
  __atomic_fetch_and(&g_unarmed_cpus, ~bit, __ATOMIC_RELAXED);
  auto slide = kaslr_slide(lstar, g_profile);
  if (!slide) {
    TV_LOG("modwatch: CPU %u: LSTAR %lx gives an implausible KASLR slide %lx: is the profile for this kernel? off", cpu,
           lstar, lstar - g_profile.entry_syscall_64);
    return;
  }
  static SpinLock lock;  // the first CPU to arm sets the slide, the others must agree
  {
    SpinGuard g(lock);
    if (!g_slide_set) g_slide = *slide;
    g_slide_set = true;
  }
  if (*slide != g_slide) {
    TV_LOG("modwatch: CPU %u: KASLR slide %lx differs from the first CPU's %lx; not watched here", cpu, *slide,
           g_slide);
    return;
  }
  auto a = claim_watch(vcpu, g_profile.do_init_module + g_slide, BpType::Execute, 1, on_do_init_module);
  auto b = claim_watch(vcpu, g_profile.free_module + g_slide, BpType::Execute, 1, on_free_module);
  TV_LOG("modwatch: CPU %u: KASLR slide %lx; do_init_module %s, free_module %s", cpu, g_slide,
         a ? "watched" : "NOT watched", b ? "watched" : "NOT watched");
}
}  // namespace modwatch_detail

}  // namespace tv
