// Domain instances, endpoints and the synchronous message call.
#include "domain/domain.hpp"

#include "arch/x86/descriptors.hpp"
#include "domain/address_space.hpp"
#include "domain/program_table.hpp"
#include "domain/ring3.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/percpu.hpp"
#include "tv/domain_image.hpp"
#include "tv/endpoint_registry.hpp"
#include "tv/spinlock.hpp"
#include "tv/str.hpp"

namespace tv::dom {

// Read-only segments of a program, shared by all its instances.
struct SharedImage {
  const DomainProgram* program = nullptr;
  ImagePlan plan;
  u64 pages_pa[ImagePlan::kMaxSegments] = {};  // one contiguous run per read-only segment
  u32 refs = 0;
};

namespace {

// Shared state (SMP: every CPU's calls reach it): guarded by g_lock, which is
// never held across a message (a callee may take it again).
SpinLock g_lock;

Domain g_domains[kMaxDomains];
SharedImage g_images[kMaxDomains];
EndpointRegistry<kMaxEndpoints> g_registry;
DescriptorTable g_vmm_descs;  // the VMM's own descriptors ("pid 0")
u32 g_next_id = 1;
Stats g_stats{};

// Buffer window of nesting slot k: kMaxBufs strides, each inside one page table.
constexpr u64 kBufStride = 512 * KiB;  // > kMaxBufBytes + a page: a buffer never crosses a 2 MiB table
constexpr u64 kBufSlotBytes = kMaxBufs * kBufStride;
static_assert(kMaxNesting * kBufSlotBytes <= kUserBufWindowSize);
static_assert(kMaxBufBytes + kPageSize <= kBufStride && (2 * MiB) % kBufStride == 0);

DescriptorTable& table_of(Caller c) {
  return c != nullptr ? c->descs : g_vmm_descs;
}

Domain* domain_by_id(u32 id) {
  for (Domain& d : g_domains)
    if (d.id == id && id != 0) return &d;
  return nullptr;
}

u64 pages_of(u64 bytes) {
  return align_up(bytes, kPageSize) / kPageSize;
}

void release_image(SharedImage* img) {
  if (img == nullptr || --img->refs != 0) return;
  for (usize i = 0; i < img->plan.segment_count; ++i)
    if (img->pages_pa[i] != 0) (void)mem::free_pages(img->pages_pa[i], img->plan.segments[i].pages);
  *img = SharedImage{};
}

void fill_segment(u8* dst, const ImageSegment& s, const DomainProgram& p) {
  mem_copy(dst + s.copy_offset, p.image + s.file_offset, s.file_size);
}

Result<SharedImage*, DomainError> acquire_image(const DomainProgram& p) {
  SharedImage* free_slot = nullptr;
  for (SharedImage& img : g_images) {
    if (img.program == &p) {
      ++img.refs;
      return &img;
    }
    if (img.program == nullptr && free_slot == nullptr) free_slot = &img;
  }
  if (free_slot == nullptr) return Err{DomainError::TableFull};
  ElfError elf{};
  auto plan = plan_domain_image(p.image, p.size, &elf);
  if (!plan) {
    TV_LOG("domain program %s: bad image: %s", p.name, to_string(plan.error()));
    return Err{DomainError::NoSuchProgram};
  }
  SharedImage img{&p, *plan, {}, 1};
  for (usize i = 0; i < img.plan.segment_count; ++i) {
    const ImageSegment& s = img.plan.segments[i];
    if (s.writable) continue;
    auto pa = mem::alloc_pages(s.pages);
    if (!pa) {
      release_image(&img);
      return Err{DomainError::OutOfMemory};
    }
    img.pages_pa[i] = *pa;
    fill_segment(mem::phys_to_ptr<u8>(*pa), s, p);
  }
  *free_slot = img;
  return free_slot;
}

u64 leaf_flags(const ImageSegment& s) {
  return (s.writable ? kMapWritable : 0) | (s.executable ? 0 : kMapNoExecute);
}

// Maps every segment: the shared pages of read-only ones, fresh copies of writable ones.
Status<DomainError> map_image(Domain& d) {
  const ImagePlan& plan = d.image->plan;
  for (usize i = 0; i < plan.segment_count; ++i) {
    const ImageSegment& s = plan.segments[i];
    for (u64 p = 0; p < s.pages; ++p) {
      u64 pa = d.image->pages_pa[i] + p * kPageSize;
      u64 flags = leaf_flags(s);
      if (s.writable) {
        auto page = mem::alloc_pages(1);
        if (!page) return Err{DomainError::OutOfMemory};
        pa = *page;
        flags |= kMapOwned;
        // The part of the file that falls in this page (the rest stays zero: bss).
        u64 lo = p * kPageSize, hi = lo + kPageSize;
        u64 f_lo = s.copy_offset, f_hi = s.copy_offset + s.file_size;
        if (f_lo < hi && lo < f_hi) {
          u64 a = f_lo > lo ? f_lo : lo, b = f_hi < hi ? f_hi : hi;
          mem_copy(mem::phys_to_ptr<u8>(pa) + (a - lo), d.image->program->image + s.file_offset + (a - f_lo), b - a);
        }
      }
      if (auto st = map_page(d.pml4, s.vaddr + p * kPageSize, pa, flags); !st) {
        if (s.writable) (void)mem::free_pages(pa, 1);
        return st;
      }
    }
  }
  return Ok{};
}

void teardown(Domain& d) {
  const u32 id = d.id;
  g_registry.remove_owner(id);
  if (d.pml4 != 0) destroy_space(d.pml4);
  release_image(d.image);
  d = Domain{};
  --g_stats.live_domains;
  ++g_stats.destroyed;
  // Instances a domain created end with it (descriptors others were sent to
  // them go stale): a domain that dies, or a guest that makes a domain-hosted
  // service die again and again, must not leave orphans that use up the slots.
  for (Domain& child : g_domains) {
    if (child.id == 0 || child.creator != id) continue;
    child.exiting = true;
    g_registry.remove_owner(child.id);
    if (child.active == 0) teardown(child);
  }
}

Status<DomainError> ensure_stack(Domain& d, u32 slot) {
  if ((d.stacks & (1u << slot)) != 0) return Ok{};
  u64 top = kUserStackBase + (slot + 1) * kUserStackSlot;
  for (u64 va = top - kUserStackBytes; va < top; va += kPageSize) {
    auto page = mem::alloc_pages(1);
    if (!page) return Err{DomainError::OutOfMemory};
    if (auto st = map_page(d.pml4, va, *page, kMapWritable | kMapNoExecute | kMapOwned); !st) {
      (void)mem::free_pages(*page, 1);
      return st;
    }
  }
  d.stacks |= 1u << slot;
  return Ok{};
}

// Maps the caller's buffers into the callee's window for nesting slot `slot`
// and writes the callee's MsgBuf array to `out`.
Status<DomainError> map_buffers(Caller c, Domain& d, u32 slot, const MsgBuf* bufs, usize n, MsgBuf* out) {
  for (usize i = 0; i < n; ++i) {
    const MsgBuf& b = bufs[i];
    if (b.len == 0 || b.len > kMaxBufBytes || b.base + b.len < b.base) return Err{DomainError::BadBuffer};
    u64 win = kUserBufWindow + slot * kBufSlotBytes + i * kBufStride;
    auto pt = leaf_table(d.pml4, win);
    if (!pt) return Err{pt.error()};
    u64 first = align_down(b.base, kPageSize), count = pages_of(b.base + b.len - first);
    u64 flags =
        pte::kPresent | pte::kUser | pte::kAccessed | pte::kDirty | kMapNoExecute | (b.rw != 0 ? pte::kWritable : 0);
    for (u64 p = 0; p < count; ++p) {
      u64 pa = first + p * kPageSize;  // VMM memory is identity-mapped
      if (c != nullptr) {
        auto t = translate(c->pml4, pa, b.rw != 0);
        if (!t) return Err{DomainError::BadBuffer};
        pa = *t;
      }
      *pte_for(*pt, win + p * kPageSize) = pa | flags;
    }
    out[i] = {win + (b.base & (kPageSize - 1)), b.len, b.rw != 0 ? 1u : 0u};
  }
  return Ok{};
}

void unmap_buffers(Domain& d, u32 slot, const MsgBuf* mapped, usize n) {
  for (usize i = 0; i < n; ++i) {
    auto pt = leaf_table(d.pml4, mapped[i].base);
    if (!pt) continue;
    u64 first = align_down(mapped[i].base, kPageSize);
    for (u64 va = first; va < mapped[i].base + mapped[i].len; va += kPageSize) *pte_for(*pt, va) = 0;
  }
  (void)slot;
}

// The protected procedure call: runs `handler` of domain d on a fresh stack
// until it returns (MsgRet) or dies.
Result<i64, DomainError> call_domain(Caller c, Domain& d, u64 handler, int type, i64 value, const MsgBuf* bufs,
                                     usize n) {
  PerCpu& cpu = this_cpu();
  if (cpu.depth >= kMaxNesting) return Err{DomainError::NestingTooDeep};
  if (n > kMaxBufs) return Err{DomainError::BadBuffer};
  const u32 slot = d.active;
  if (auto st = ensure_stack(d, slot); !st) return Err{st.error()};
  MsgBuf mapped[kMaxBufs] = {};
  if (auto st = map_buffers(c, d, slot, bufs, n, mapped); !st) {
    unmap_buffers(d, slot, mapped, n);
    return Err{st.error()};
  }
  const u64 top = kUserStackBase + (slot + 1) * kUserStackSlot;
  const u64 array_va = top - sizeof mapped;
  if (n != 0) (void)copy_out(d.pml4, array_va, mapped, n * sizeof(MsgBuf));

  CallRecord rec{0, cpu.call, &d, false};
  Domain* outer = cpu.current;
  cpu.call = &rec;
  cpu.current = &d;
  ++cpu.depth;
  ++d.active;
  const Ring3Entry e{
      d.image->plan.entry, align_down(array_va, 16), d.pml4, u64(type), u64(value), array_va, n, handler};
  const u64 result = enter_ring3(&rec, &e);
  // Not `cpu`: a message suspended in a coroutine (dbgsh) may end on another CPU.
  PerCpu& now = this_cpu_reload();
  --d.active;
  --now.depth;
  now.current = outer;
  now.call = rec.prev;
  now.trap_rsp = rec.prev != nullptr ? rec.prev->kernel_rsp : 0;
  unmap_buffers(d, slot, mapped, n);
  ++g_stats.messages;
  if ((d.dead || d.exiting) && d.active == 0) teardown(d);
  if (rec.died) return Err{DomainError::CalleeDied};
  return i64(result);
}

struct Target {
  const Endpoint* ep;
  Domain* domain;  // nullptr: a VMM handler
};

Result<Target, DomainError> resolve(Caller c, i64 desc) {
  auto e = table_of(c).get(desc);
  if (!e) return Err{e.error()};
  auto ep = g_registry.resolve(e->endpoint);
  if (!ep) return Err{ep.error()};
  if ((*ep)->owner == 0) return Target{*ep, nullptr};
  Domain* d = domain_by_id((*ep)->owner);
  if (d == nullptr || d->dead) return Err{DomainError::StaleDescriptor};
  return Target{*ep, d};
}

Result<i64, DomainError> send(Caller c, i64 desc, int type, i64 value, const MsgBuf* bufs, usize n) {
  Target t{};
  {
    SpinGuard g(g_lock);
    auto r = resolve(c, desc);
    if (!r) return Err{r.error()};
    t = *r;
  }
  if (t.domain != nullptr) return call_domain(c, *t.domain, t.ep->entry, type, value, bufs, n);
  if (n > kMaxBufs) return Err{DomainError::BadBuffer};
  BufView views[kMaxBufs];
  for (usize i = 0; i < n; ++i) {
    if (bufs[i].len == 0 || bufs[i].len > kMaxBufBytes) return Err{DomainError::BadBuffer};
    views[i] = {c, bufs[i].base, bufs[i].len, bufs[i].rw != 0};
  }
  __atomic_fetch_add(&g_stats.messages, 1, __ATOMIC_RELAXED);
  return reinterpret_cast<VmmHandler>(t.ep->entry)(type, value, views, n);
}

bool locked(Caller c) {
  return c != nullptr && c->locked;
}

}  // namespace

namespace {
constexpr u32 kNoOwner = 0xFFFFFFFF;
u32 g_exec_owner = kNoOwner;  // the CPU that runs domain code now
}  // namespace

ExecGuard::ExecGuard() {
  const u32 me = this_cpu_reload().cpu_index;
  if (__atomic_load_n(&g_exec_owner, __ATOMIC_ACQUIRE) == me) return;  // an outer frame on this CPU holds it
  for (;;) {
    u32 expected = kNoOwner;
    if (__atomic_compare_exchange_n(&g_exec_owner, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) break;
    while (__atomic_load_n(&g_exec_owner, __ATOMIC_RELAXED) != kNoOwner) __builtin_ia32_pause();
  }
  acquired_ = true;
}

ExecGuard::~ExecGuard() {
  if (acquired_) __atomic_store_n(&g_exec_owner, kNoOwner, __ATOMIC_RELEASE);
}

Status<DomainError> BufView::read(u64 off, void* dst, usize n) const {
  if (off > len || n > len - off) return Err{DomainError::BadBuffer};
  if (owner == nullptr) {
    mem_copy(dst, reinterpret_cast<const void*>(base + off), n);
    return Ok{};
  }
  return copy_in(owner->pml4, base + off, dst, n);
}

Status<DomainError> BufView::write(u64 off, const void* src, usize n) const {
  if (!rw || off > len || n > len - off) return Err{DomainError::BadBuffer};
  if (owner == nullptr) {
    mem_copy(reinterpret_cast<void*>(base + off), src, n);
    return Ok{};
  }
  return copy_out(owner->pml4, base + off, src, n);
}

Status<DomainError> init() {
  x86::set_trampoline_kernel_cr3(mem::host_cr3());
  return init_trampoline_tables();
}

Result<int, DomainError> newprocess(Caller c, const char* program) {
  ExecGuard exec;
  if (locked(c)) return Err{DomainError::LockedDown};
  const DomainProgram* p = find_domain_program(program);
  if (p == nullptr) return Err{DomainError::NoSuchProgram};
  SpinGuard g(g_lock);
  Domain* d = nullptr;
  for (Domain& s : g_domains)
    if (s.id == 0) {
      d = &s;
      break;
    }
  if (d == nullptr) return Err{DomainError::TableFull};
  auto img = acquire_image(*p);
  if (!img) return Err{img.error()};
  *d = Domain{};
  d->id = g_next_id++;
  d->creator = c != nullptr ? c->id : 0;
  d->image = *img;
  mem_copy(d->program, p->name, str_nlen(p->name, sizeof d->program - 1));
  ++g_stats.live_domains;
  ++g_stats.created;
  auto pml4 = create_space();
  if (!pml4) {
    teardown(*d);
    return Err{pml4.error()};
  }
  d->pml4 = *pml4;
  if (auto st = map_image(*d); !st) {
    teardown(*d);
    return Err{st.error()};
  }
  auto ep = g_registry.add(d->id, 0, nullptr);
  if (!ep) {
    teardown(*d);
    return Err{ep.error()};
  }
  auto desc = table_of(c).add(*ep);
  if (!desc) {
    teardown(*d);
    return Err{desc.error()};
  }
  return *desc;
}

Result<int, DomainError> msgregister(Caller c, const char* name, u64 entry) {
  ExecGuard exec;
  if (locked(c)) return Err{DomainError::LockedDown};
  SpinGuard g(g_lock);
  auto ep = g_registry.add(c != nullptr ? c->id : 0, entry, name);
  if (!ep) return Err{ep.error()};
  auto desc = table_of(c).add(*ep, true);
  if (!desc) (void)g_registry.remove(*ep, c != nullptr ? c->id : 0);
  return desc;
}

Result<int, DomainError> msgregister_vmm(const char* name, VmmHandler fn) {
  ExecGuard exec;
  return msgregister(nullptr, name, reinterpret_cast<u64>(fn));
}

Result<int, DomainError> msgopen(Caller c, const char* name) {
  ExecGuard exec;
  if (locked(c)) return Err{DomainError::LockedDown};
  SpinGuard g(g_lock);
  auto ep = g_registry.find(name);
  if (!ep) return Err{ep.error()};
  return table_of(c).add(*ep);
}

Status<DomainError> msgclose(Caller c, i64 desc) {
  ExecGuard exec;
  SpinGuard g(g_lock);
  return table_of(c).close(desc);
}

Status<DomainError> msgunregister(Caller c, i64 desc) {
  ExecGuard exec;
  SpinGuard g(g_lock);
  auto e = table_of(c).get(desc);
  if (!e) return Err{e.error()};
  if (!e->registered_here) return Err{DomainError::NotOwner};
  if (auto st = g_registry.remove(e->endpoint, c != nullptr ? c->id : 0); !st) return st;
  return table_of(c).close(desc);
}

Status<DomainError> msgsenddesc(Caller c, i64 process_desc, i64 desc) {
  ExecGuard exec;
  if (locked(c)) return Err{DomainError::LockedDown};
  SpinGuard g(g_lock);
  auto target = resolve(c, process_desc);
  if (!target) return Err{target.error()};
  if (target->domain == nullptr || target->ep->name[0] != '\0') return Err{DomainError::NotAProcess};
  auto e = table_of(c).get(desc);
  if (!e) return Err{e.error()};
  auto added = target->domain->descs.add(e->endpoint);
  if (!added) return Err{added.error()};
  return Ok{};
}

Result<i64, DomainError> msgsendint(Caller c, i64 desc, i64 value) {
  ExecGuard exec;
  return send(c, desc, kMsgInt, value, nullptr, 0);
}

Result<i64, DomainError> msgsendbuf(Caller c, i64 desc, i64 value, const MsgBuf* bufs, usize n) {
  ExecGuard exec;
  return send(c, desc, kMsgBuf, value, bufs, n);
}

void exitprocess(Domain& d) {
  SpinGuard g(g_lock);
  d.exiting = true;
  g_registry.remove_owner(d.id);  // new messages fail as stale at once
}

void setlimit(Domain& d) {
  d.locked = true;
}

void kill_current(const char* what, u64 rip, u64 detail) {
  PerCpu& cpu = this_cpu();
  Domain& d = *cpu.current;
  TV_LOG_GUEST("domain %s (id %u) killed: %s at rip %lx (detail %lx); its caller gets \"%s\"", d.program, d.id, what,
               rip, detail, to_string(DomainError::CalleeDied));
  {
    SpinGuard g(g_lock);
    if (!d.dead) ++g_stats.killed;
    d.dead = true;
    g_registry.remove_owner(d.id);
    d.descs.clear();
  }
  cpu.call->died = true;
  resume_kernel(cpu.call, 0);
}

Stats stats() {
  ExecGuard exec;
  return g_stats;
}

void for_each_domain(void (*fn)(const DomainInfo& d, void* ctx), void* ctx) {
  ExecGuard exec;
  DomainInfo snap[kMaxDomains];
  usize count = 0;
  {
    SpinGuard g(g_lock);
    for (const Domain& d : g_domains) {
      if (d.id == 0) continue;
      DomainInfo& i = snap[count++];
      i = {d.id, {}, d.active, 0, d.exiting, d.dead};
      mem_copy(i.program, d.program, sizeof i.program);
      for (usize k = 0; k < kMaxDescriptors; ++k)
        if (d.descs.get(i64(k))) i.open_descs |= 1u << k;
    }
  }
  for (usize k = 0; k < count; ++k) fn(snap[k], ctx);
}

const char* name_of(const Domain* d) {
  return d != nullptr ? d->program : "vmm";
}

}  // namespace tv::dom
