// console= (tv/console_option.hpp): where the VMM's console goes.
#include "tv/console_option.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace tv {
namespace {

Result<ConsoleSpec, ConsoleError> parse(const char* s) {
  return parse_console_option(s, std::strlen(s));
}

TEST(ConsoleOption, NamedPortsAndTheDebugConsole) {
  const struct {
    const char* text;
    u16 port;
  } kCases[] = {{"com1", 0x3F8}, {"com2", 0x2F8}, {"com3", 0x3E8}, {"com4", 0x2E8}};
  for (const auto& c : kCases) {
    auto r = parse(c.text);
    ASSERT_TRUE(r.ok()) << c.text;
    EXPECT_EQ(r->kind, ConsoleKind::Uart);
    EXPECT_EQ(r->port, c.port);
    EXPECT_EQ(r->baud, 115200u);
  }
  auto d = parse("debugcon");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, ConsoleKind::Debugcon);
  EXPECT_EQ(d->port, 0xE9);
}

TEST(ConsoleOption, APortNumberAndABaudRate) {
  auto r = parse("0x2f8,9600");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->port, 0x2F8);
  EXPECT_EQ(r->baud, 9600u);
  EXPECT_EQ(uart_divisor(r->baud), 12);
  auto c = parse("com1,115200");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(uart_divisor(c->baud), 1);
  EXPECT_EQ(parse("0xE000")->port, 0xE000);  // a PCI UART's I/O BAR
  EXPECT_EQ(parse("com2,50")->baud, 50u);
}

TEST(ConsoleOption, BadValuesAreRefusedClearly) {
  EXPECT_EQ(parse_console_option(nullptr, 3).error(), ConsoleError::Empty);
  EXPECT_EQ(parse("").error(), ConsoleError::Empty);
  for (const char* s : {"com5", "ttyS0", "COM1", "0x", "0xg00", "x2f8", "2f8", "com1x"})
    EXPECT_EQ(parse(s).error(), ConsoleError::UnknownName) << s;
  for (const char* s : {"0x2f9", "0x80", "0xF8", "0xFFFC", "0xcf8", "0x1ffffffff"})
    EXPECT_NE(parse(s).error(), ConsoleError::Empty) << s;
  for (const char* s : {"0x2f9", "0x80", "0xcf8", "0xfff9"})
    EXPECT_EQ(parse(s).error(), ConsoleError::BadPort) << s;
  EXPECT_EQ(parse("0x1ffffffff").error(), ConsoleError::UnknownName);  // past 32 bits
  EXPECT_TRUE(parse("0xcf0").ok());  // 0xCF0-0xCF7 ends just below PCI's ports
  for (const char* s :
       {"com1,", "com1,0", "com1,7", "com1,115201", "com1,230400", "com1,9600x", "com1,-1", "com1,99999999999"})
    EXPECT_EQ(parse(s).error(), ConsoleError::BadBaud) << s;
}

TEST(ConsoleOption, EveryErrorHasAText) {
  for (u8 e = 1; e <= u8(ConsoleError::BadBaud); ++e)
    EXPECT_STRNE(to_string(ConsoleError(e)), "unknown console error") << int(e);
}

}  // namespace
}  // namespace tv
