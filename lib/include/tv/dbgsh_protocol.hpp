// The dbgsh character pipe (BitVisor's protocol, core/vmmcall_dbgsh.c; see
// docs/dbgsh.md). The guest polls: one vmmcall "dbgsh" per step, RBX carries
// guest -> VMM, RAX carries VMM -> guest.
#pragma once
#include "tv/types.hpp"

namespace tv::dbgsh {

// RBX, guest -> VMM.
inline constexpr i64 kSendPoll = -1;  // nothing to send; what do you have?
inline constexpr i64 kSendAck = 0;    // acknowledges the last output character
// 1..0xFF: a keystroke; kSendNul: the NUL keystroke.
inline constexpr i64 kSendNul = 0x100;
// thinvisor's addition: a poll from a client whose user types at a terminal.
// It is a poll in every respect; a session it opens is interactive (the
// shell's programs may page). A client that sends plain polls gets a scripted
// session: BitVisor's client and raw-protocol speakers are scripted.
inline constexpr i64 kSendPollTerminal = 0x101;

// RAX, VMM -> guest.
inline constexpr i64 kRecvNothing = -1;   // nothing pending: poll again
inline constexpr i64 kRecvWantInput = 0;  // the shell waits for a keystroke
// 1..0xFF: an output character (the guest acknowledges it with kSendAck);
inline constexpr i64 kRecvNul = 0x100;          // an output NUL
inline constexpr i64 kRecvSessionOver = 0x10A;  // the shell exited: the session is over
// thinvisor's additions (not in BitVisor; a BitVisor client treats them as output and ends):
inline constexpr i64 kRecvBusy = 0x10B;  // another client's session is active
inline constexpr i64 kRecvOff = 0x10C;   // dbgsh=off on the VMM command line

}  // namespace tv::dbgsh
