#include "arch/x86/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/x86/msr.hpp"
#include "virt/svm/svm.hpp"

namespace tv::svm {

const char* to_string(SvmError e) {
  switch (e) {
    case SvmError::NoSvm: return "this CPU has no AMD SVM (CPUID 8000_0001h ECX bit 2 clear)";
    case SvmError::DisabledByFirmware: return "SVM is disabled by firmware (VM_CR.SVMDIS is set)";
    case SvmError::NoNestedPaging: return "this CPU's SVM lacks nested paging (CPUID 8000_000Ah EDX bit 0)";
    case SvmError::OutOfMemory: return "out of VMM memory for SVM structures";
  }
  return "unknown SVM error";
}

Status<SvmError> enable(bool log_features) {
  if (x86::cpuid(0x80000000).eax < 0x8000000A) return Err{SvmError::NoSvm};
  if ((x86::cpuid(0x80000001).ecx & (1u << 2)) == 0) return Err{SvmError::NoSvm};
  if ((x86::rdmsr(x86::vm_cr::kMsr) & x86::vm_cr::kSvmDis) != 0) return Err{SvmError::DisabledByFirmware};
  if ((x86::cpuid(0x8000000A).edx & 1u) == 0) return Err{SvmError::NoNestedPaging};
  // APM vol.3 Appendix E, CPUID Fn8000_000A EDX: what this SVM offers.
  const u32 features = x86::cpuid(0x8000000A).edx;
  if (log_features)
    TV_LOG("SVM features %x: nested paging yes, next-RIP save %s, decode assists %s, VMCB clean bits %s", features,
           (features & (1u << 3)) ? "yes" : "no", (features & (1u << 7)) ? "yes" : "no",
           (features & (1u << 5)) ? "yes" : "no");
  x86::wrmsr(x86::efer::kMsr, x86::rdmsr(x86::efer::kMsr) | x86::efer::kSvme);
  auto hsave = mem::alloc_pages(1);
  if (!hsave) return Err{SvmError::OutOfMemory};
  x86::wrmsr(x86::kVmHsavePa, *hsave);
  return Ok{};
}

}  // namespace tv::svm
