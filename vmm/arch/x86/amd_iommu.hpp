// One AMD IOMMU, driven through its MMIO registers (lib tv/amdvi_mmio.hpp
// says what each register and command is). The VMM's DMA protection
// (kernel/dma_protection.cpp) gives it the tables; this file only talks to
// the hardware: program, invalidate, enable, drain the event log.
#pragma once
#include "tv/amdvi_mmio.hpp"
#include "tv/result.hpp"

namespace tv::x86 {

enum class IommuError : u8 {
  CommandTimeout = 1,  // COMPLETION_WAIT never stored its value
  BadRing,             // a command buffer or event log the registers cannot describe
};
const char* to_string(IommuError e);

struct IommuTables {
  u64 device_table_register;  // tv::device_table_base_register()
  u64 command_buffer;         // kRingBytes, 4 KiB-aligned, the VMM's
  u64 event_log;              // kRingBytes, 4 KiB-aligned, the VMM's
  u64 semaphore;              // 8 bytes the IOMMU stores to on COMPLETION_WAIT
};

class AmdIommu {
 public:
  // Disables the IOMMU (whatever the firmware left), points it at the tables,
  // turns on the command buffer and event log, flushes its caches, then
  // enables translation. Returns the Extended Feature Register.
  Result<u64, IommuError> start(u64 mmio_base, const IommuTables& t);
  // Calls on_event for each entry the IOMMU logged since the last call;
  // returns how many. An overflow (the log was full; events were lost) is
  // counted in `overflows` and the log restarted.
  template <typename F>
  usize drain(F&& on_event) {
    usize n = 0;
    u64 head = read(amdvi::reg::kEventHead) & kRingOffsetMask;
    const u64 tail = read(amdvi::reg::kEventTail) & kRingOffsetMask;
    while (head != tail && n < kMaxEntries) {
      const auto* raw = event_entry(head);
      const u32 words[4] = {raw[0], raw[1], raw[2], raw[3]};
      on_event(amdvi::decode_event(words));
      head = (head + amdvi::kRingEntryBytes) % amdvi::kRingBytes;
      ++n;
    }
    write(amdvi::reg::kEventHead, head);
    if ((read(amdvi::reg::kStatus) & amdvi::status::kEventOverflow) != 0) restart_event_log();
    return n;
  }
  u64 overflows() const { return overflows_; }
  u64 mmio_base() const { return mmio_; }
  bool running() const { return mmio_ != 0; }

 private:
  // Bits 18:4 of the head/tail registers, within the VMM's 4 KiB ring: an
  // IOMMU (or anything shadowing it) reporting more cannot make the VMM read past the log.
  static constexpr u64 kRingOffsetMask = (amdvi::kRingBytes - 1) & ~u64(amdvi::kRingEntryBytes - 1);
  static constexpr usize kMaxEntries = amdvi::kRingBytes / amdvi::kRingEntryBytes;
  const volatile u32* event_entry(u64 offset) const;
  u64 read(u32 offset) const;
  void write(u32 offset, u64 value) const;
  Status<IommuError> submit_and_wait(const amdvi::Command& c);
  void restart_event_log();

  u64 mmio_ = 0;
  u64 command_buffer_ = 0;
  u64 event_log_ = 0;
  u64 semaphore_ = 0;
  u64 tail_ = 0;  // next command's byte offset
  u64 sequence_ = 0;
  u64 overflows_ = 0;
};

}  // namespace tv::x86
