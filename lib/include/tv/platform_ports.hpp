// What the VMM does with a guest OUT to a platform control port. After a
// platform reset the firmware runs code the guest controls (the PAM shadow of
// the BIOS area, the CMOS shutdown byte, the BDA reset vector); with A20 off
// QEMU masks address bit 20 for the VMM too; ACPI S1-S4 resume through the
// firmware. So: resets end the run, A20 stays on, S5 passes, other sleeps fail.
//
// An access is judged by the bytes it covers (I/O byte lanes; the SVM IOPM
// checks every covered port, AMD APM vol.2 §15.10.1). QEMU 7.2 additionally
// hands every byte from a byte-wide port onwards to that port's handler (its
// memory core, softmmu/memory.c access_with_adjusted_size, splits a wide write
// into byte calls that ignore the offset), so bytes at and after 0x60, 0x64,
// 0x92, 0xCF9 and the ACPI reset port are all judged as writes to that port.
// Exception: a dword at 0xCF8 is PCI CONFIG_ADDRESS and reaches nothing else.
#pragma once
#include "tv/types.hpp"

namespace tv {

namespace platform_port {
constexpr u16 kKbdData = 0x60;        // 8042 data (after command 0xD1: the output port)
constexpr u16 kKbdCommand = 0x64;     // 8042 command
constexpr u16 kSysCtlA = 0x92;        // System Control Port A (fast reset, fast A20)
constexpr u16 kPciConfAddr = 0xCF8;   // PCI CONFIG_ADDRESS, dword only (PCI 3.0 §3.2.2.3.2)
constexpr u16 kResetControl = 0xCF9;  // PIIX3 RCR / ICH9 RST_CNT
}  // namespace platform_port

// From the FADT (ACPI 6.5 §5.2.9) and the DSDT's \_S5 (see aml_sleep.hpp); 0 = absent.
struct PlatformPortConfig {
  u16 pm1a_control = 0;          // PM1a_CNT_BLK
  u16 pm1b_control = 0;          // PM1b_CNT_BLK
  bool reset_reg_is_io = false;  // RESET_REG is in system I/O space
  u16 reset_port = 0;            // RESET_REG address
  u8 reset_value = 0;            // RESET_VALUE
  bool s5_known = false;         // \_S5 was found
  u8 s5_type_a = 0;              // SLP_TYP for PM1a in S5
  u8 s5_type_b = 0;              // SLP_TYP for PM1b in S5
};

enum class PortAction : u8 {
  Pass,          // perform the write as is
  PassModified,  // perform the write with `value` instead (A20 forced on)
  Drop,          // do not perform the write (8042 "A20 off")
  GuestReset,    // do not perform the write; end the run as "guest reset"
  PowerOff,      // S5 requested: perform the write (`value`); the machine turns off
  RefuseSleep,   // S1-S4 requested: write `value` (SLP_EN cleared) so the sleep "fails"
};
const char* to_string(PortAction a);

struct PortDecision {
  PortAction action;
  u32 value;           // what to write (Pass*: as given or modified; others: informational)
  const char* reason;  // static string for logs
};

// Most ports intercepted_ports() can list.
constexpr usize kMaxPlatformPorts = 9;

// Stateful: remembers a pending 8042 "write output port" (0xD1) command.
class PlatformPortPolicy {
 public:
  explicit PlatformPortPolicy(const PlatformPortConfig& cfg) : cfg_(cfg) {}

  // A guest OUT of `size` bytes (1, 2 or 4; larger is judged as 4) at `port`.
  PortDecision on_out(u16 port, u8 size, u32 value);

  // Writes up to `max` ports the VMM must intercept (deduplicated, no zeros)
  // to `out`; returns how many there are (> max means some were left out).
  usize intercepted_ports(u16* out, usize max) const;

  bool output_port_write_pending() const { return outport_pending_; }

 private:
  struct Verdict;
  void judge_byte_ports(u16 port, usize size, Verdict& v);
  void judge_lane(u32 target, Verdict& v, usize lane, bool whole_access);
  void judge_sys_ctl_a(Verdict& v, usize lane);
  void judge_kbd_command(Verdict& v, usize lane, bool whole_access);
  void judge_kbd_data(Verdict& v, usize lane);
  void judge_pm1(u16 base, u8 s5_type, u16 port, usize size, Verdict& v) const;

  PlatformPortConfig cfg_;
  bool outport_pending_ = false;
};

}  // namespace tv
