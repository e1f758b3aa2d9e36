#include "arch/x86/uart.hpp"

#include "arch/x86/cpu.hpp"

namespace tv::x86 {
namespace {
// PC16550D register offsets (with LCR.DLAB = 1, 0 and 1 are the divisor latch).
constexpr u16 kThr = 0, kDll = 0, kIer = 1, kDlm = 1, kFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5;
constexpr u8 kLcrDlab = 0x80, kLcr8n1 = 0x03;
constexpr u8 kLsrThre = 0x20;  // transmitter holding register empty
}  // namespace

void uart_init(u16 base, u16 divisor) {
  outb(u16(base + kIer), 0);  // no interrupts: the VMM polls
  outb(u16(base + kLcr), kLcrDlab);
  outb(u16(base + kDll), u8(divisor));
  outb(u16(base + kDlm), u8(divisor >> 8));
  outb(u16(base + kLcr), kLcr8n1);
  outb(u16(base + kFcr), 0x07);  // FIFOs on, both cleared
  outb(u16(base + kMcr), 0x03);  // DTR, RTS
}

void uart_put(u16 base, u8 c) {
  // At 9600 baud a byte takes ~1 ms; a UART that never empties (absent, or
  // flow-controlled) costs a bounded wait per byte, never a hang.
  for (u32 i = 0; i < 100000 && (inb(u16(base + kLsr)) & kLsrThre) == 0; ++i) __builtin_ia32_pause();
  outb(u16(base + kThr), c);
}

void pit_delay_ms(u32 ms) {
  constexpr u32 kChunkMs = 50;       // 59659 ticks: fits the 16-bit counter
  constexpr u32 kTicksPerMs = 1193;  // 1.193182 MHz
  while (ms != 0) {
    const u32 now = ms < kChunkMs ? ms : kChunkMs;
    const u32 ticks = now * kTicksPerMs;
    outb(0x61, u8((inb(0x61) & ~0x02) | 0x01));  // gate channel 2 on, speaker off
    outb(0x43, 0xB0);                            // channel 2, lo/hi byte, mode 0 (count down once)
    outb(0x42, u8(ticks));
    outb(0x42, u8(ticks >> 8));
    for (u32 i = 0; i < 100000000 && (inb(0x61) & 0x20) == 0; ++i) {  // OUT2 goes high at terminal count
    }
    ms -= now;
  }
}

}  // namespace tv::x86
