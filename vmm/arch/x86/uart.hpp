// A polled 8250/16550 UART (PC16550D datasheet; the register map every PC
// serial port and QEMU's isa-serial follow): the VMM's console on a real
// machine (kernel/log.cpp). No interrupts, no receive.
#pragma once
#include "tv/types.hpp"

namespace tv::x86 {

// 8 data bits, no parity, one stop bit, FIFOs on, at 115200 / divisor baud.
void uart_init(u16 base, u16 divisor);
// Waits (bounded) for room in the transmitter, then sends one byte.
void uart_put(u16 base, u8 c);

// Busy-waits about `ms` milliseconds on PIT channel 2 (1.193182 MHz; the
// speaker gate, port 0x61): a timebase every PC has, for the panic delay.
void pit_delay_ms(u32 ms);

}  // namespace tv::x86
