// The protection-domain ABI shared by the VMM (vmm/domain/) and domain
// programs (domains/libdomain). Documented in docs/domains.md.
//
// A domain is a ring-3 program in its own address space. It enters the VMM
// with `int $0x80` (an interrupt gate with DPL 3: the CPU switches to the
// TSS.RSP0 stack atomically, so no NMI/#MC/#DF ever runs on a user stack):
//   RAX = syscall number, RDI, RSI, RDX, RCX = arguments;
//   on return RAX = status (0 or a DomainError code), RDX = value.
// A status of 0 means "the call worked" and RDX holds its value (for
// msgsendint: the callee's own return value, any 64-bit number), so a
// handler's result can never be mistaken for an error.
#pragma once
#include "tv/types.hpp"

namespace tv::dom {

// Syscall numbers (RAX). BitVisor's numbering where it has the call.
enum class Sys : u64 {
  Nop = 1,
  MsgRegister = 4,     // rdi = name (NUL-terminated, < kMaxNameBytes), rsi = handler entry -> desc
  MsgOpen = 5,         // rdi = name -> desc
  MsgClose = 6,        // rdi = desc
  MsgSendInt = 7,      // rdi = desc, rsi = value -> callee's return value
  MsgRet = 8,          // rdi = return value (ends the current message; never returns)
  MsgSendDesc = 9,     // rdi = process desc, rsi = desc to send
  NewProcess = 10,     // rdi = program name -> desc of the new instance's entry
  MsgSendBuf = 11,     // rdi = desc, rsi = value, rdx = MsgBuf array, rcx = count -> callee's return value
  MsgUnregister = 12,  // rdi = desc (one this domain registered)
  ExitProcess = 13,    // ends this instance when its current message returns
  SetLimit = 14,       // locks down: later register/open/senddesc/newprocess fail with LockedDown
  Count
};

// Message types passed to a handler's first argument.
inline constexpr int kMsgInt = 0;
inline constexpr int kMsgBuf = 1;

// One buffer of a buffer message (BitVisor's struct msgbuf, without premap).
struct MsgBuf {
  u64 base;  // caller's address; in the callee, where the buffer is mapped
  u64 len;   // bytes, 1 .. kMaxBufBytes
  u64 rw;    // 0: read-only in the callee, 1: read-write
};
static_assert(sizeof(MsgBuf) == 24);

// The reports of the VMM's `vmminfo` service (vmm/domain/info_services.cpp):
// the value of its buffer message.
enum class InfoReport : i64 { Exits, Domains, Status, Mem, Regs, Services, Programs, Watches, Modules, Count };
// vmminfo's answer when no report fits: an unknown report or no read-write
// buffer. A too-small buffer gets -(bytes needed, NUL included) instead, which
// is always below -1.
inline constexpr i64 kInfoBadRequest = -1;

// A debug-shell program's terminal (docs/dbgsh.md): descriptor 0 answers
// msgsendint(0, kTtyRead) with the next keystroke, waiting for it (the guest
// runs meanwhile), and msgsendint(0, kTtyPoll) with a keystroke if the user
// has typed one and kTtyNoKey if not, after letting the guest run once; both
// answer -1 at end of input. A terminal that cannot tell (the VMM's `ttyin`
// service) treats kTtyPoll as kTtyRead.
inline constexpr i64 kTtyRead = 0;
inline constexpr i64 kTtyPoll = 1;
inline constexpr i64 kTtyNoKey = -2;
// The value of the message that starts the shell, and of the one the shell
// sends each program it runs: kTtyInteractive set = a person types at a
// terminal (the client said so), so a program may page; clear = scripted.
inline constexpr i64 kTtyInteractive = 1;

// Limits (docs/domains.md states them; tests check them).
inline constexpr usize kMaxNameBytes = 32;      // including the NUL
inline constexpr usize kMaxDescriptors = 32;    // per domain
inline constexpr usize kMaxBufs = 8;            // buffers per message
inline constexpr u64 kMaxBufBytes = 256 * KiB;  // per buffer
inline constexpr usize kMaxNesting = 8;         // message calls active at once on one CPU

// The ring-3 address-space layout. One PML4 slot (512 GiB) holds all of a
// domain's user memory; PML4 slot 0 holds only the VMM's entry/exit
// trampoline, supervisor-only. Programs are linked at kUserImageBase.
inline constexpr u64 kUserBase = 0x0000400000000000ull;  // PML4 index 128
inline constexpr u64 kUserImageBase = kUserBase;         // ELF PT_LOADs live in [base, base + kUserImageMax)
inline constexpr u64 kUserImageMax = 1 * GiB;
inline constexpr u64 kUserBufWindow = kUserBase + 1 * GiB;  // buffers of incoming messages
inline constexpr u64 kUserBufWindowSize = 1 * GiB;
inline constexpr u64 kUserStackBase = kUserBase + 2 * GiB;  // per-call stacks, one slot per nesting level
inline constexpr u64 kUserStackSlot = 1 * MiB;              // each slot: a guard gap, then the stack
inline constexpr u64 kUserStackBytes = 16 * KiB;            // the mapped part at the top of each slot
inline constexpr u64 kUserEnd = kUserBase + 512 * GiB;

}  // namespace tv::dom
