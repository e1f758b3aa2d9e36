#include "arch/x86/amd_iommu.hpp"

#include <initializer_list>

#include "arch/x86/cpu.hpp"
#include "kernel/memory.hpp"

namespace tv::x86 {

using namespace amdvi;

const char* to_string(IommuError e) {
  switch (e) {
    case IommuError::CommandTimeout: return "the IOMMU did not complete its commands";
    case IommuError::BadRing: return "bad IOMMU command buffer or event log";
  }
  return "unknown IOMMU error";
}

const volatile u32* AmdIommu::event_entry(u64 offset) const {
  return mem::phys_to_ptr<const volatile u32>(event_log_ + offset);
}

// 64-bit registers: one 8-byte access each, as the IOMMU takes them (§3.4).
u64 AmdIommu::read(u32 offset) const {
  return *reinterpret_cast<volatile u64*>(mem::phys_to_ptr<u8>(mmio_ + offset));
}

void AmdIommu::write(u32 offset, u64 value) const {
  *reinterpret_cast<volatile u64*>(mem::phys_to_ptr<u8>(mmio_ + offset)) = value;
}

Status<IommuError> AmdIommu::submit_and_wait(const Command& c) {
  const u64 token = ++sequence_;
  const Command wait = completion_wait(semaphore_, token);
  for (const Command* cmd : {&c, &wait}) {
    auto* slot = mem::phys_to_ptr<Command>(command_buffer_ + tail_);
    *slot = *cmd;
    tail_ = (tail_ + kRingEntryBytes) % kRingBytes;
  }
  asm volatile("sfence" ::: "memory");  // the commands are in memory before the IOMMU is told
  write(reg::kCommandTail, tail_);
  // Bounded: a real IOMMU completes in microseconds; ~10^7 polls is a fraction of a second.
  auto* sem = reinterpret_cast<volatile u64*>(mem::phys_to_ptr<u8>(semaphore_));
  for (u64 i = 0; i < 10000000; ++i) {
    if (*sem == token) return Ok{};
    __builtin_ia32_pause();
  }
  return Err{IommuError::CommandTimeout};
}

Result<u64, IommuError> AmdIommu::start(u64 mmio_base, const IommuTables& t) {
  mmio_ = mmio_base;
  command_buffer_ = t.command_buffer;
  event_log_ = t.event_log;
  semaphore_ = t.semaphore;
  auto cmd_reg = ring_base_register(t.command_buffer, kRingLog2Entries);
  auto evt_reg = ring_base_register(t.event_log, kRingLog2Entries);
  if (!cmd_reg || !evt_reg) return Err{IommuError::BadRing};

  // Off first: the registers below may only change while the IOMMU and its rings are disabled (§3.4.4).
  write(reg::kControl, 0);
  write(reg::kExclusionBase, 0);  // ExEn = 0: no range bypasses translation
  write(reg::kExclusionLimit, 0);
  write(reg::kDeviceTableBase, t.device_table_register);
  write(reg::kCommandBufferBase, *cmd_reg);
  write(reg::kEventLogBase, *evt_reg);
  write(reg::kCommandHead, 0);
  write(reg::kCommandTail, 0);
  write(reg::kEventHead, 0);
  write(reg::kEventTail, 0);
  tail_ = 0;
  write(reg::kStatus, status::kEventOverflow | status::kEventLogInterrupt | status::kCommandWaitInterrupt);  // RW1C
  // Translation on with the new tables, then the caches flushed, before the
  // guest runs (as Linux does: QEMU runs no command while IommuEn is 0).
  write(reg::kControl, control::kCommandBufferEnable | control::kEventLogEnable | control::kIommuEnable);

  // Nothing the firmware cached may outlive the new tables.
  const u64 features = read(reg::kExtendedFeatures);
  if ((features & efr::kInvalidateAllSupported) != 0) {
    TV_TRY(submit_and_wait(invalidate_all()));
  } else {
    // Without INVALIDATE_IOMMU_ALL (early IOMMUs): every DeviceID's entry, then
    // the one domain's pages. Slow (65536 round trips), and only on such parts.
    for (u32 id = 0; id <= 0xFFFF; ++id) TV_TRY(submit_and_wait(invalidate_devtab_entry(u16(id))));
    TV_TRY(submit_and_wait(invalidate_domain_pages(0)));
  }
  return features;
}

void AmdIommu::restart_event_log() {
  ++overflows_;
  // §3.4.10: clear EventOverflow with the log disabled, then start it again, empty.
  write(reg::kControl, control::kCommandBufferEnable | control::kIommuEnable);
  write(reg::kEventHead, 0);
  write(reg::kEventTail, 0);
  write(reg::kStatus, status::kEventOverflow);
  write(reg::kControl, control::kCommandBufferEnable | control::kEventLogEnable | control::kIommuEnable);
}

}  // namespace tv::x86
