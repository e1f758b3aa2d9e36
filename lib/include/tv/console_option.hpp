// Where the VMM's own console goes: the VMM option console=com1|com2|com3|
// com4|0xPORT[,BAUD] or console=debugcon. Under QEMU the default is its debug
// console (port 0xE9, found by its read-back value); on a machine without it,
// COM1. A UART console is taken from the guest (vmm/virt/io_exit.cpp: its 8
// ports read as absent, all ones, and writes to them are dropped), so the
// guest's serial driver finds no UART there. Hardware-free.
#pragma once
#include "tv/result.hpp"
#include "tv/types.hpp"

namespace tv {

enum class ConsoleKind : u8 { Debugcon, Uart };

struct ConsoleSpec {
  ConsoleKind kind;
  u16 port;  // 0xE9 for the debug console; a UART's base (8 ports)
  u32 baud;  // UART only: 115200 / baud is a whole divisor
};

enum class ConsoleError : u8 {
  Empty = 1,    // console= with no value
  UnknownName,  // not debugcon, com1-com4 or a 0x number
  BadPort,      // not 8-aligned, below 0x100, above 0xFFF8, or over PCI's 0xCF8-0xCFF
  BadBaud,      // not a decimal 50-115200 that divides 115200
};
const char* to_string(ConsoleError e);

inline constexpr u16 kDebugconPort = 0xE9;
inline constexpr u32 kUartClockBaud = 115200;  // 1.8432 MHz / 16: divisor 1 (8250/16550)
inline constexpr u32 kDefaultBaud = 115200;

// Parses the value of console= (without the "console=").
Result<ConsoleSpec, ConsoleError> parse_console_option(const char* s, usize n);

// The 8250 divisor latch value for a baud rate parse_console_option accepted.
constexpr u16 uart_divisor(u32 baud) {
  return static_cast<u16>(kUartClockBaud / baud);
}

}  // namespace tv
