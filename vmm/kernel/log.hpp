// The VMM log: every line goes to the debug console (I/O port 0xE9, which QEMU
// exposes as -debugcon) and into an in-memory ring that services can read back.
#pragma once
#include "tv/types.hpp"

namespace tv::log {

void write(const char* text, usize n);
void printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Copies the retained log, oldest first; returns bytes copied.
usize copy_out(char* out, usize cap, usize skip);
u64 total_written();
usize retained();

}  // namespace tv::log

#define TV_LOG(fmt, ...) ::tv::log::printf("thinvisor: " fmt "\n" __VA_OPT__(, ) __VA_ARGS__)
