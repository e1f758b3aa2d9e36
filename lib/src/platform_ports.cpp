#include "tv/platform_ports.hpp"

namespace tv {
namespace {

namespace pp = platform_port;

constexpr u8 kRcrRstCpu = 1u << 2;     // PIIX3/ICH9 RCR bit 2 RST_CPU (bit 1 SYS_RST only picks the type)
constexpr u8 kSysCtlAReset = 1u << 0;  // Port 0x92 bit 0: fast reset
constexpr u8 kSysCtlAA20 = 1u << 1;    // Port 0x92 bit 1: A20 gate
constexpr u8 kOutPortReset = 1u << 0;  // 8042 output port bit 0: reset line (0 asserts reset)
constexpr u8 kOutPortA20 = 1u << 1;    // 8042 output port bit 1: A20 gate
constexpr u8 kKbdWriteOutPort = 0xD1;  // 8042: next data byte is the output port
constexpr u8 kKbdA20Off = 0xDD;        // 8042: A20 off
constexpr u8 kKbdA20On = 0xDF;         // 8042: A20 on
constexpr u8 kSlpEn = 1u << 5;         // ACPI 6.5 §4.8.3.2.1 PM1 control bit 13 SLP_EN (high byte bit 5)
constexpr unsigned kSlpTypShift = 2;   // SLP_TYP bits 12:10 = high byte bits 4:2
constexpr u32 kNoPort = 0x10000;       // beyond the 16-bit I/O space

int rank(PortAction a) {
  switch (a) {
    case PortAction::Pass: return 0;
    case PortAction::PassModified: return 1;
    case PortAction::Drop: return 2;
    case PortAction::PowerOff: return 3;
    case PortAction::RefuseSleep: return 4;  // refusing beats passing when PM1a and PM1b disagree
    case PortAction::GuestReset: return 5;
  }
  return 5;
}

// 8042 commands 0xF0-0xFF pulse output lines 3:0 whose bit is clear; line 0 is reset (0xFE included).
bool kbd_pulses_reset(u8 cmd) {
  return (cmd & 0xF0) == 0xF0 && (cmd & 1) == 0;
}

// QEMU 7.2 hw/input/pckbd.c kbd_write_command: only these replace the pending data-byte target.
bool kbd_selects_data_target(u8 cmd) {
  return cmd == 0x60 || cmd == 0xD1 || cmd == 0xD2 || cmd == 0xD3 || cmd == 0xD4;
}

bool covers(u16 port, usize size, u32 target) {
  return target >= port && target - port < size;
}

}  // namespace

const char* to_string(PortAction a) {
  switch (a) {
    case PortAction::Pass: return "pass";
    case PortAction::PassModified: return "pass-modified";
    case PortAction::Drop: return "drop";
    case PortAction::GuestReset: return "guest-reset";
    case PortAction::PowerOff: return "power-off";
    case PortAction::RefuseSleep: return "refuse-sleep";
  }
  return "?";
}

// The decision being built for one access; the most severe action wins.
struct PlatformPortPolicy::Verdict {
  PortAction action;
  u32 original;
  u32 value;
  u32 sleep_bits;  // SLP_EN bits of the access, cleared if the sleep is refused
  const char* reason;

  u8 byte(usize lane) const { return u8(value >> (8 * lane)); }
  void set_bit(usize lane, u8 bit) { value |= u32(bit) << (8 * lane); }
  void replace(usize lane, u8 b) { value = (value & ~(0xFFu << (8 * lane))) | (u32(b) << (8 * lane)); }
  void raise(PortAction a, const char* why) {
    if (rank(a) <= rank(action)) return;
    action = a;
    reason = why;
  }
  void modified(const char* why) { raise(PortAction::PassModified, why); }
};

void PlatformPortPolicy::judge_kbd_command(Verdict& v, usize lane, bool whole_access) {
  u8 cmd = v.byte(lane);
  if (kbd_pulses_reset(cmd)) return v.raise(PortAction::GuestReset, "8042 pulse reset line (0xF0-0xFE, bit 0 clear)");
  if (cmd == kKbdA20Off) {
    if (whole_access) return v.raise(PortAction::Drop, "8042 A20 off (0xDD) dropped");
    v.replace(lane, kKbdA20On);  // other bytes of the access still count; A20 on is harmless
    return v.modified("8042 A20 off (0xDD) replaced by A20 on (0xDF)");
  }
  if (kbd_selects_data_target(cmd)) outport_pending_ = cmd == kKbdWriteOutPort;
}

void PlatformPortPolicy::judge_kbd_data(Verdict& v, usize lane) {
  if (!outport_pending_) return;
  outport_pending_ = false;  // QEMU kbd_write_data: the data byte consumes the command
  u8 out = v.byte(lane);
  if ((out & kOutPortReset) == 0) return v.raise(PortAction::GuestReset, "8042 output port reset line asserted");
  if ((out & kOutPortA20) == 0) {
    v.set_bit(lane, kOutPortA20);
    v.modified("8042 output port A20 off; forced on");
  }
}

void PlatformPortPolicy::judge_sys_ctl_a(Verdict& v, usize lane) {
  u8 b = v.byte(lane);
  if (b & kSysCtlAReset) return v.raise(PortAction::GuestReset, "port 0x92 fast reset (bit 0)");
  if (b & kSysCtlAA20) return;
  v.set_bit(lane, kSysCtlAA20);
  v.modified("port 0x92 A20 off; forced on");
}

void PlatformPortPolicy::judge_lane(u32 target, Verdict& v, usize lane, bool whole_access) {
  u8 b = v.byte(lane);
  switch (target) {
    case pp::kKbdData: return judge_kbd_data(v, lane);
    case pp::kKbdCommand: return judge_kbd_command(v, lane, whole_access);
    case pp::kSysCtlA: return judge_sys_ctl_a(v, lane);
    case pp::kResetControl:
      if (b & kRcrRstCpu) v.raise(PortAction::GuestReset, "0xCF9 reset control RST_CPU (bit 2)");
      return;
  }
}

// Byte-wide ports: every byte from the port onwards is judged as a write to it (see the header).
void PlatformPortPolicy::judge_byte_ports(u16 port, usize size, Verdict& v) {
  const u32 reset_reg = cfg_.reset_reg_is_io && cfg_.reset_port != 0 ? cfg_.reset_port : kNoPort;
  const u32 watched[] = {pp::kKbdData, pp::kKbdCommand, pp::kSysCtlA, pp::kResetControl};
  for (u32 target : watched) {
    if (!covers(port, size, target)) continue;
    for (usize lane = target - port; lane < size; ++lane) judge_lane(target, v, lane, size == 1);
  }
  if (!covers(port, size, reset_reg)) return;  // judged on its own: it may share a port with the above
  for (usize lane = reset_reg - port; lane < size; ++lane) {
    if (u8(v.original >> (8 * lane)) == cfg_.reset_value)
      v.raise(PortAction::GuestReset, "ACPI RESET_REG written with RESET_VALUE");
  }
}

// PM1x control is 16-bit; SLP_EN and SLP_TYP live in its high byte at base + 1.
void PlatformPortPolicy::judge_pm1(u16 base, u8 s5_type, u16 port, usize size, Verdict& v) const {
  u32 high = u32(base) + 1;
  if (base == 0 || !covers(port, size, high)) return;
  usize lane = high - port;
  u8 hb = v.byte(lane);
  if ((hb & kSlpEn) == 0) return;
  v.sleep_bits |= u32(kSlpEn) << (8 * lane);
  u8 type = (hb >> kSlpTypShift) & 7;
  if (!cfg_.s5_known) return v.raise(PortAction::PowerOff, "SLP_EN with \\_S5 unknown: assumed power-off");
  if (type == s5_type) return v.raise(PortAction::PowerOff, "ACPI S5 soft-off");
  v.raise(PortAction::RefuseSleep, "ACPI sleep state other than S5 refused");
}

PortDecision PlatformPortPolicy::on_out(u16 port, u8 size, u32 value) {
  usize n = size > 4 ? 4 : size;
  u32 v32 = n == 4 ? value : value & ((1u << (8 * n)) - 1);  // the bytes the access carries
  if (n == 0) return {PortAction::Pass, value, "empty access"};
  if (port == pp::kPciConfAddr && n == 4) return {PortAction::Pass, v32, "PCI CONFIG_ADDRESS (dword at 0xCF8)"};
  Verdict v{PortAction::Pass, v32, v32, 0, "not a platform control write"};
  judge_byte_ports(port, n, v);
  judge_pm1(cfg_.pm1a_control, cfg_.s5_type_a, port, n, v);
  judge_pm1(cfg_.pm1b_control, cfg_.s5_type_b, port, n, v);
  if (v.action == PortAction::GuestReset || v.action == PortAction::Drop) v.value = v.original;
  if (v.action == PortAction::RefuseSleep) v.value &= ~v.sleep_bits;
  return {v.action, v.value, v.reason};
}

usize PlatformPortPolicy::intercepted_ports(u16* out, usize max) const {
  const u32 all[kMaxPlatformPorts] = {pp::kKbdData,
                                      pp::kKbdCommand,
                                      pp::kSysCtlA,
                                      pp::kResetControl,
                                      cfg_.reset_reg_is_io ? cfg_.reset_port : 0u,
                                      cfg_.pm1a_control,
                                      cfg_.pm1a_control ? cfg_.pm1a_control + 1u : 0u,
                                      cfg_.pm1b_control,
                                      cfg_.pm1b_control ? cfg_.pm1b_control + 1u : 0u};
  usize count = 0;
  for (usize i = 0; i < kMaxPlatformPorts; ++i) {
    bool dup = all[i] == 0 || all[i] > 0xFFFF;
    for (usize j = 0; j < i && !dup; ++j) dup = all[j] == all[i];
    if (dup) continue;
    if (count < max) out[count] = u16(all[i]);
    ++count;
  }
  return count;
}

}  // namespace tv
