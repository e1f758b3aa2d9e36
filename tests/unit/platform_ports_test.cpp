#include "tv/platform_ports.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {
using namespace tv;

PortDecision out(PlatformPortPolicy& p, u16 port, u8 size, u32 value) {
  return p.on_out(port, size, value);
}

void expect(PortDecision d, PortAction action, u32 value) {
  EXPECT_EQ(to_string(d.action), std::string(to_string(action))) << d.reason;
  EXPECT_EQ(d.value, value) << d.reason;
  EXPECT_NE(d.reason, nullptr);
}

PlatformPortConfig qemu_q35() {
  PlatformPortConfig c;
  c.pm1a_control = 0x604;
  c.reset_reg_is_io = true;
  c.reset_port = 0xCF9;
  c.reset_value = 0x0F;
  c.s5_known = true;
  return c;
}

TEST(PlatformPorts, UnrelatedPortsPass) {
  PlatformPortPolicy p{qemu_q35()};
  expect(out(p, 0x80, 1, 0x00), PortAction::Pass, 0x00);
  expect(out(p, 0x3F8, 4, 0xFFFFFFFF), PortAction::Pass, 0xFFFFFFFF);
  expect(out(p, 0x61, 1, 0x00), PortAction::Pass, 0x00);
  expect(out(p, 0x93, 2, 0x0000), PortAction::Pass, 0x0000);
  expect(out(p, 0x0001, 1, 0x20), PortAction::Pass, 0x20);  // PM1b absent (0): port 1 is not its high byte
}

TEST(PlatformPorts, ValueIsMaskedToTheAccessSize) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0x80, 1, 0x12345678), PortAction::Pass, 0x78);
  expect(out(p, 0x80, 2, 0x12345678), PortAction::Pass, 0x5678);
  expect(out(p, 0x80, 0, 0x12), PortAction::Pass, 0x12);
}

TEST(PlatformPorts, Port92FastResetAndA20) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0x92, 1, 0x02), PortAction::Pass, 0x02);
  expect(out(p, 0x92, 1, 0x00), PortAction::PassModified, 0x02);
  expect(out(p, 0x92, 1, 0xFC), PortAction::PassModified, 0xFE);
  expect(out(p, 0x92, 1, 0x01), PortAction::GuestReset, 0x01);
  expect(out(p, 0x92, 1, 0x03), PortAction::GuestReset, 0x03);
  expect(out(p, 0x91, 1, 0x01), PortAction::Pass, 0x01);
  expect(out(p, 0x93, 1, 0x01), PortAction::Pass, 0x01);
}

TEST(PlatformPorts, Port92WideAccesses) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0x91, 2, 0x0000), PortAction::PassModified, 0x0200);  // high byte lands on 0x92
  expect(out(p, 0x91, 2, 0x0201), PortAction::Pass, 0x0201);
  expect(out(p, 0x91, 2, 0x0100), PortAction::GuestReset, 0x0100);
  expect(out(p, 0x90, 4, 0x02000000), PortAction::PassModified, 0x02020000);  // 0x92 and (QEMU) the byte after
  expect(out(p, 0x8F, 4, 0x00000000), PortAction::PassModified, 0x00000000 | 0x02000000);
  // QEMU's port92 handler takes every byte of a wide write at 0x92 as a write to 0x92.
  expect(out(p, 0x92, 2, 0x0102), PortAction::GuestReset, 0x0102);
  expect(out(p, 0x92, 2, 0x0202), PortAction::Pass, 0x0202);
  expect(out(p, 0x92, 2, 0x0002), PortAction::PassModified, 0x0202);
  expect(out(p, 0x92, 4, 0x01020202), PortAction::GuestReset, 0x01020202);
}

TEST(PlatformPorts, ResetControlRegister) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0xCF9, 1, 0x02), PortAction::Pass, 0x02);  // SYS_RST alone selects the reset type
  expect(out(p, 0xCF9, 1, 0x08), PortAction::Pass, 0x08);  // ICH9 FULL_RST alone
  expect(out(p, 0xCF9, 1, 0x00), PortAction::Pass, 0x00);
  expect(out(p, 0xCF9, 1, 0x04), PortAction::GuestReset, 0x04);
  expect(out(p, 0xCF9, 1, 0x06), PortAction::GuestReset, 0x06);  // Linux reboot=pci: 0x02 then 0x06
  expect(out(p, 0xCF9, 1, 0x0E), PortAction::GuestReset, 0x0E);
  expect(out(p, 0xCF8, 1, 0x04), PortAction::Pass, 0x04);
  expect(out(p, 0xCFA, 1, 0x04), PortAction::Pass, 0x04);
}

TEST(PlatformPorts, ResetControlWideAccesses) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0xCF8, 4, 0x80000400), PortAction::Pass, 0x80000400);  // CONFIG_ADDRESS, devfn bit 2 set
  expect(out(p, 0xCF8, 4, 0xFFFFFFFF), PortAction::Pass, 0xFFFFFFFF);
  expect(out(p, 0xCF8, 2, 0x0400), PortAction::GuestReset, 0x0400);  // a word covers 0xCF9's byte
  expect(out(p, 0xCF8, 2, 0x0204), PortAction::Pass, 0x0204);
  expect(out(p, 0xCF9, 2, 0x0400), PortAction::GuestReset, 0x0400);  // QEMU PIIX3: both bytes reach RCR
  expect(out(p, 0xCF9, 2, 0x0002), PortAction::Pass, 0x0002);
  expect(out(p, 0xCF7, 4, 0x00040000), PortAction::GuestReset, 0x00040000);
  expect(out(p, 0xCF7, 2, 0x0400), PortAction::Pass, 0x0400);
  expect(out(p, 0xCFA, 2, 0x0404), PortAction::Pass, 0x0404);
  expect(out(p, 0xCFC, 4, 0x04040404), PortAction::Pass, 0x04040404);
}

TEST(PlatformPorts, KeyboardControllerResetCommands) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0x64, 1, 0xFE), PortAction::GuestReset, 0xFE);
  for (u32 cmd = 0xF0; cmd <= 0xFF; ++cmd) {
    PortAction want = (cmd & 1) ? PortAction::Pass : PortAction::GuestReset;
    expect(out(p, 0x64, 1, cmd), want, cmd);
  }
  expect(out(p, 0x64, 1, 0xEF), PortAction::Pass, 0xEF);
  expect(out(p, 0x64, 1, 0xAE), PortAction::Pass, 0xAE);
  expect(out(p, 0x60, 1, 0xFE), PortAction::Pass, 0xFE);  // data, not a command
  expect(out(p, 0x63, 2, 0xFE00), PortAction::GuestReset, 0xFE00);
  expect(out(p, 0x64, 2, 0xFEAE), PortAction::GuestReset, 0xFEAE);  // second byte is also a command (QEMU)
  expect(out(p, 0x65, 1, 0xFE), PortAction::Pass, 0xFE);
}

TEST(PlatformPorts, KeyboardControllerA20) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0x64, 1, 0xDD), PortAction::Drop, 0xDD);
  expect(out(p, 0x64, 1, 0xDF), PortAction::Pass, 0xDF);
  expect(out(p, 0x63, 2, 0xDD00), PortAction::PassModified, 0xDF00);  // the other byte must still happen
  expect(out(p, 0x64, 2, 0xDDAE), PortAction::PassModified, 0xDFAE);
  expect(out(p, 0x64, 2, 0xFEDD), PortAction::GuestReset, 0xFEDD);
}

TEST(PlatformPorts, OutputPortWrite) {
  PlatformPortPolicy p{{}};
  expect(out(p, 0x60, 1, 0x00), PortAction::Pass, 0x00);  // nothing pending
  expect(out(p, 0x64, 1, 0xD1), PortAction::Pass, 0xD1);
  EXPECT_TRUE(p.output_port_write_pending());
  expect(out(p, 0x60, 1, 0xDE), PortAction::GuestReset, 0xDE);  // bit 0 clear asserts reset
  PlatformPortPolicy q{{}};
  expect(out(q, 0x64, 1, 0xD1), PortAction::Pass, 0xD1);
  expect(out(q, 0x60, 1, 0xDD), PortAction::PassModified, 0xDF);  // A20 (bit 1) forced on
  EXPECT_FALSE(q.output_port_write_pending());
  expect(out(q, 0x60, 1, 0x00), PortAction::Pass, 0x00);  // consumed
  expect(out(q, 0x64, 1, 0xD1), PortAction::Pass, 0xD1);
  expect(out(q, 0x60, 1, 0xDF), PortAction::Pass, 0xDF);
  expect(out(q, 0x60, 1, 0x00), PortAction::Pass, 0x00);
}

TEST(PlatformPorts, OutputPortWriteCancelledByAnotherDataCommand) {
  for (u32 cmd : {0x60u, 0xD2u, 0xD3u, 0xD4u}) {
    PlatformPortPolicy p{{}};
    expect(out(p, 0x64, 1, 0xD1), PortAction::Pass, 0xD1);
    expect(out(p, 0x64, 1, cmd), PortAction::Pass, cmd);
    EXPECT_FALSE(p.output_port_write_pending()) << cmd;
    expect(out(p, 0x60, 1, 0x00), PortAction::Pass, 0x00);
  }
}

// QEMU 7.2 pckbd.c keeps write_cmd across other commands; cancelling would let 0x60 reset QEMU.
TEST(PlatformPorts, OutputPortWriteSurvivesOtherCommands) {
  for (u32 cmd : {0xAEu, 0xADu, 0x20u, 0xAAu, 0xDDu, 0xDFu, 0xFFu, 0xD0u}) {
    PlatformPortPolicy p{{}};
    expect(out(p, 0x64, 1, 0xD1), PortAction::Pass, 0xD1);
    out(p, 0x64, 1, cmd);
    EXPECT_TRUE(p.output_port_write_pending()) << cmd;
    expect(out(p, 0x60, 1, 0x02), PortAction::GuestReset, 0x02);
  }
}

TEST(PlatformPorts, OutputPortWideAccesses) {
  PlatformPortPolicy p{{}};
  out(p, 0x64, 1, 0xD1);
  expect(out(p, 0x60, 2, 0x0001), PortAction::PassModified, 0x0003);  // low byte is the output port
  EXPECT_FALSE(p.output_port_write_pending());
  out(p, 0x64, 1, 0xD1);
  expect(out(p, 0x5F, 2, 0x0000), PortAction::GuestReset, 0x0000);  // high byte lands on 0x60
  PlatformPortPolicy q{{}};
  out(q, 0x64, 1, 0xD1);
  expect(out(q, 0x5D, 4, 0x03000000), PortAction::Pass, 0x03000000);
  PlatformPortPolicy r{{}};
  expect(out(r, 0x64, 2, 0x00D1), PortAction::Pass, 0x00D1);  // D1 then 0x00 (a no-op command)
  EXPECT_TRUE(r.output_port_write_pending());
  expect(out(r, 0x64, 2, 0xD2D1), PortAction::Pass, 0xD2D1);  // D1 then D2: the data byte goes elsewhere
  EXPECT_FALSE(r.output_port_write_pending());
}

TEST(PlatformPorts, AcpiResetRegister) {
  PlatformPortConfig c;
  c.reset_reg_is_io = true;
  c.reset_port = 0x510;
  c.reset_value = 0x01;
  PlatformPortPolicy p{c};
  expect(out(p, 0x510, 1, 0x01), PortAction::GuestReset, 0x01);
  expect(out(p, 0x510, 1, 0x02), PortAction::Pass, 0x02);
  expect(out(p, 0x50F, 2, 0x0100), PortAction::GuestReset, 0x0100);
  expect(out(p, 0x50F, 2, 0x0001), PortAction::Pass, 0x0001);
  expect(out(p, 0x511, 1, 0x01), PortAction::Pass, 0x01);
  c.reset_reg_is_io = false;  // a memory-mapped RESET_REG is not an I/O port
  PlatformPortPolicy m{c};
  expect(out(m, 0x510, 1, 0x01), PortAction::Pass, 0x01);
  c.reset_reg_is_io = true;
  c.reset_port = 0;  // absent
  PlatformPortPolicy z{c};
  expect(out(z, 0x0000, 1, 0x01), PortAction::Pass, 0x01);
  EXPECT_EQ(z.intercepted_ports(nullptr, 0), 4u);
}

TEST(PlatformPorts, AcpiResetRegisterAtKeyboardPort) {
  PlatformPortConfig c;
  c.reset_reg_is_io = true;
  c.reset_port = 0x64;
  c.reset_value = 0xFE;
  PlatformPortPolicy p{c};
  expect(out(p, 0x64, 1, 0xFE), PortAction::GuestReset, 0xFE);
  expect(out(p, 0x64, 1, 0xD1), PortAction::Pass, 0xD1);
  EXPECT_TRUE(p.output_port_write_pending());  // judged once as a command, not twice
}

TEST(PlatformPorts, QemuQ35ResetValue) {
  PlatformPortPolicy p{qemu_q35()};
  expect(out(p, 0xCF9, 1, 0x0F), PortAction::GuestReset, 0x0F);
  expect(out(p, 0xCF9, 1, 0x0A), PortAction::Pass, 0x0A);
}

TEST(PlatformPorts, Pm1aSleep) {
  PlatformPortPolicy p{qemu_q35()};
  expect(out(p, 0x604, 2, 0x2000), PortAction::PowerOff, 0x2000);  // SLP_TYP 0 = S5 on QEMU
  expect(out(p, 0x604, 2, 0x0000), PortAction::Pass, 0x0000);      // SLP_TYP set first, without SLP_EN
  expect(out(p, 0x604, 2, 0x0401), PortAction::Pass, 0x0401);
  expect(out(p, 0x604, 2, 0x2401), PortAction::RefuseSleep, 0x0401);  // S3
  expect(out(p, 0x604, 2, 0x2800), PortAction::RefuseSleep, 0x0800);  // S4
  expect(out(p, 0x604, 2, 0x3C00), PortAction::RefuseSleep, 0x1C00);
  expect(out(p, 0x604, 2, 0xE401), PortAction::RefuseSleep, 0xC401);
  expect(out(p, 0x605, 1, 0x24), PortAction::RefuseSleep, 0x04);  // the high byte alone
  expect(out(p, 0x605, 1, 0x20), PortAction::PowerOff, 0x20);
  expect(out(p, 0x605, 1, 0x04), PortAction::Pass, 0x04);
  expect(out(p, 0x604, 1, 0xFF), PortAction::Pass, 0xFF);  // the low byte holds no sleep bits
  expect(out(p, 0x604, 4, 0xFFFF2400), PortAction::RefuseSleep, 0xFFFF0400);
  expect(out(p, 0x602, 4, 0x24000000), PortAction::RefuseSleep, 0x04000000);
  expect(out(p, 0x603, 4, 0x00240000), PortAction::RefuseSleep, 0x00040000);
  expect(out(p, 0x603, 2, 0x2400), PortAction::Pass, 0x2400);  // covers 0x603-0x604 only
  expect(out(p, 0x606, 2, 0x2400), PortAction::Pass, 0x2400);
}

TEST(PlatformPorts, Pm1aNonZeroS5Type) {
  PlatformPortConfig c;
  c.pm1a_control = 0x1004;
  c.s5_known = true;
  c.s5_type_a = 7;
  PlatformPortPolicy p{c};
  expect(out(p, 0x1004, 2, 0x3C00), PortAction::PowerOff, 0x3C00);
  expect(out(p, 0x1004, 2, 0x2000), PortAction::RefuseSleep, 0x0000);
  expect(out(p, 0x1004, 2, 0x3400), PortAction::RefuseSleep, 0x1400);
}

TEST(PlatformPorts, UnknownS5AssumesPowerOff) {
  PlatformPortConfig c;
  c.pm1a_control = 0x604;
  PlatformPortPolicy p{c};
  expect(out(p, 0x604, 2, 0x2400), PortAction::PowerOff, 0x2400);
  expect(out(p, 0x604, 2, 0x2000), PortAction::PowerOff, 0x2000);
  expect(out(p, 0x604, 2, 0x0400), PortAction::Pass, 0x0400);
}

TEST(PlatformPorts, Pm1bUsesItsOwnS5Type) {
  PlatformPortConfig c;
  c.pm1a_control = 0x604;
  c.pm1b_control = 0x704;
  c.s5_known = true;
  c.s5_type_a = 5;
  c.s5_type_b = 3;
  PlatformPortPolicy p{c};
  expect(out(p, 0x704, 2, 0x2C00), PortAction::PowerOff, 0x2C00);
  expect(out(p, 0x704, 2, 0x3400), PortAction::RefuseSleep, 0x1400);
  expect(out(p, 0x604, 2, 0x3400), PortAction::PowerOff, 0x3400);
  expect(out(p, 0x604, 2, 0x2C00), PortAction::RefuseSleep, 0x0C00);
  expect(out(p, 0x705, 1, 0x2C), PortAction::PowerOff, 0x2C);
}

TEST(PlatformPorts, AdjacentPm1aPm1bRefusalWins) {
  PlatformPortConfig c;
  c.pm1a_control = 0x604;
  c.pm1b_control = 0x606;
  c.s5_known = true;
  PlatformPortPolicy p{c};
  // PM1a asks for S5, PM1b for S3: both SLP_EN bits are cleared.
  expect(out(p, 0x604, 4, 0x24002000), PortAction::RefuseSleep, 0x04000000);
  expect(out(p, 0x604, 4, 0x20002000), PortAction::PowerOff, 0x20002000);
}

std::vector<u16> ports(const PlatformPortConfig& c) {
  u16 buf[kMaxPlatformPorts] = {};
  PlatformPortPolicy p{c};
  usize n = p.intercepted_ports(buf, kMaxPlatformPorts);
  EXPECT_LE(n, kMaxPlatformPorts);
  return std::vector<u16>(buf, buf + n);
}

TEST(PlatformPorts, InterceptedPortsDefault) {
  EXPECT_EQ(ports({}), (std::vector<u16>{0x60, 0x64, 0x92, 0xCF9}));
}

TEST(PlatformPorts, InterceptedPortsQemuQ35) {
  EXPECT_EQ(ports(qemu_q35()), (std::vector<u16>{0x60, 0x64, 0x92, 0xCF9, 0x604, 0x605}));  // reset 0xCF9 once
}

TEST(PlatformPorts, InterceptedPortsFull) {
  PlatformPortConfig c;
  c.pm1a_control = 0x604;
  c.pm1b_control = 0x605;  // overlapping blocks are deduplicated
  c.reset_reg_is_io = true;
  c.reset_port = 0x510;
  EXPECT_EQ(ports(c), (std::vector<u16>{0x60, 0x64, 0x92, 0xCF9, 0x510, 0x604, 0x605, 0x606}));
  c.reset_reg_is_io = false;
  c.pm1b_control = 0x704;
  EXPECT_EQ(ports(c), (std::vector<u16>{0x60, 0x64, 0x92, 0xCF9, 0x604, 0x605, 0x704, 0x705}));
  c.pm1a_control = 0xFFFF;  // its high byte would wrap to port 0
  EXPECT_EQ(ports(c), (std::vector<u16>{0x60, 0x64, 0x92, 0xCF9, 0xFFFF, 0x704, 0x705}));
}

TEST(PlatformPorts, InterceptedPortsReportsTheFullCount) {
  PlatformPortConfig c = qemu_q35();
  PlatformPortPolicy p{c};
  u16 buf[3] = {0, 0, 0};
  EXPECT_EQ(p.intercepted_ports(buf, 2), 6u);
  EXPECT_EQ(buf[0], 0x60);
  EXPECT_EQ(buf[1], 0x64);
  EXPECT_EQ(buf[2], 0);
  EXPECT_EQ(p.intercepted_ports(nullptr, 0), 6u);
}

TEST(PlatformPorts, ActionNames) {
  EXPECT_STREQ(to_string(PortAction::GuestReset), "guest-reset");
  EXPECT_STREQ(to_string(PortAction::RefuseSleep), "refuse-sleep");
}

}  // namespace
