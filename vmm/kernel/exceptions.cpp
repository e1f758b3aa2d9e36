// A VMM exception is always a VMM bug: dump everything useful and end the run,
// so a fault is a readable log entry and never a silent triple fault.
#include "kernel/exceptions.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"

namespace tv {
namespace {

struct ExceptionFrame {  // layout pushed by arch/x86/trampoline.S, lowest address first
  u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  u64 vector, error_code;
  u64 rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

}  // namespace

const char* vector_name(u64 v) {
  static const char* const kNames[32] = {"#DE divide error",
                                         "#DB debug",
                                         "NMI",
                                         "#BP breakpoint",
                                         "#OF overflow",
                                         "#BR bound range",
                                         "#UD invalid opcode",
                                         "#NM device not available",
                                         "#DF double fault",
                                         "coprocessor overrun",
                                         "#TS invalid TSS",
                                         "#NP segment not present",
                                         "#SS stack fault",
                                         "#GP general protection",
                                         "#PF page fault",
                                         "reserved 15",
                                         "#MF x87 error",
                                         "#AC alignment check",
                                         "#MC machine check",
                                         "#XF SIMD error",
                                         "reserved 20",
                                         "#CP control protection",
                                         "reserved 22",
                                         "reserved 23",
                                         "reserved 24",
                                         "reserved 25",
                                         "reserved 26",
                                         "reserved 27",
                                         "#HV hypervisor injection",
                                         "#VC VMM communication",
                                         "#SX security",
                                         "reserved 31"};
  return v < 32 ? kNames[v] : "unknown";
}

namespace {

struct Fixup {
  u64 instruction;
  u64 resume;
};

}  // namespace
}  // namespace tv

extern "C" const tv::Fixup __fixup_table_start[], __fixup_table_end[];

// Returns only when the faulting instruction has a fixup (arch/x86/safe_access.S):
// then execution resumes at the fixup address. Every other fault ends the run.
extern "C" void vmm_exception(tv::ExceptionFrame* f) {
  using tv::log::printf_at;
  constexpr tv::LogLevel kError = tv::LogLevel::Error;
  if (f->vector == 2) {
    // The VMM takes NMIs only where it sets GIF (kernel/smp.cpp): kicks and
    // stop requests from other CPUs, or the guest's NMI held across an exit.
    tv::smp::on_host_nmi(f->rip);
    return;
  }
  if (f->vector == 13 || f->vector == 14) {
    for (const tv::Fixup* x = __fixup_table_start; x != __fixup_table_end; ++x) {
      if (x->instruction == f->rip) {
        f->rip = x->resume;
        return;
      }
    }
  }
  tv::smp::stop_other_cpus();
  printf_at(kError, "thinvisor: VMM EXCEPTION %lu (%s) error code 0x%lx on CPU %u\n", f->vector,
            tv::vector_name(f->vector), f->error_code, tv::smp::this_cpu_index());
  printf_at(kError, "  rip %016lx  cs %04lx  rflags %016lx  rsp %016lx  ss %04lx\n", f->rip, f->cs, f->rflags, f->rsp,
            f->ss);
  printf_at(kError, "  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
  printf_at(kError, "  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
  printf_at(kError, "  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
  printf_at(kError, "  r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14, f->r15);
  printf_at(kError, "  cr0 %016lx  cr2 %016lx  cr3 %016lx  cr4 %016lx\n", tv::x86::read_cr0(), tv::x86::read_cr2(),
            tv::x86::read_cr3(), tv::x86::read_cr4());
  if (f->vector == 14) printf_at(kError, "  faulting address (cr2) %016lx\n", tv::x86::read_cr2());
  tv::log::report_tail();
  tv::end_run(tv::RunEnd::VmmPanic);
}
