// Configuration mechanism #1 is one address register (0CF8h) for the whole
// machine, followed by a data access (0CFCh-0CFFh). The VMM keeps the
// guest's address register itself and writes the hardware's only inside the
// locked data access, so no other CPU can move it between the guard's
// verdict and the access it judged.
#include "virt/pci_config_exit.hpp"

#include "arch/x86/cpu.hpp"
#include "kernel/dma_protection.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "tv/spinlock.hpp"
#include "virt/instruction.hpp"
#include "virt/io_ports.hpp"

namespace tv {
namespace {

SpinLock g_config_lock;
u32 g_guest_address = 0;  // the guest's 0CF8h, as it last wrote it
bool g_intercepting = false;

const char* verdict_reason(pci::ConfigVerdict v) {
  return v == pci::ConfigVerdict::Hidden ? "the VMM's device" : "a register the VMM keeps";
}

}  // namespace

void intercept_pci_config_ports() {
  g_guest_address = x86::inl(pci::kConfigAddressPort);
  g_intercepting = true;
  const u16 ports[] = {pci::kConfigAddressPort, pci::kConfigDataPort, pci::kConfigDataPort + 1,
                       pci::kConfigDataPort + 2, pci::kConfigDataPort + 3};
  intercept_ports(ports, sizeof ports / sizeof ports[0]);
}

bool is_pci_config_access(const IoExit& io) {
  if (!g_intercepting || io.string) return false;
  // Only dword accesses reach the address register; a byte at 0CF9h is the reset control (io_exit.cpp).
  if (io.port == pci::kConfigAddressPort && io.size == 4) return true;
  return io.port >= pci::kConfigDataPort && io.port < pci::kConfigDataPort + 4;
}

void handle_pci_config_io(Vcpu& vcpu, const IoExit& io) {
  const u64 mask = x86::io_size_mask(io.size);
  const u64 rax = vcpu.gpr(Gpr::Rax);
  SpinGuard g(g_config_lock);
  if (io.port == pci::kConfigAddressPort) {
    if (io.in)
      vcpu.set_gpr(Gpr::Rax, (rax & ~mask) | g_guest_address);
    else
      g_guest_address = u32(rax);
    return vcpu.complete_instruction(io.next_rip);
  }
  const pci::ConfigTarget t = pci::decode_config_address(g_guest_address, io.port);
  const pci::ConfigVerdict v =
      t.enabled ? dma::config_guard().check(t.device_id, t.offset, io.size, !io.in) : pci::ConfigVerdict::Pass;
  if (v == pci::ConfigVerdict::Pass) {
    x86::outl(pci::kConfigAddressPort, g_guest_address);
    if (io.in)
      vcpu.set_gpr(Gpr::Rax, (rax & ~mask) | (x86::port_in(io.port, io.size) & mask));
    else
      x86::port_out(io.port, io.size, u32(rax & mask));
  } else if (io.in && v == pci::ConfigVerdict::WriteProtected) {
    x86::outl(pci::kConfigAddressPort, g_guest_address);
    vcpu.set_gpr(Gpr::Rax, (rax & ~mask) | (x86::port_in(io.port, io.size) & mask));
  } else {
    if (io.in) vcpu.set_gpr(Gpr::Rax, rax | mask);  // no device answers: all ones
    if (!io.in)
      TV_LOG_GUEST("guest PCI config write to %02x:%02x.%x offset %x dropped: %s", unsigned(t.device_id >> 8),
                   unsigned((t.device_id >> 3) & 0x1F), unsigned(t.device_id & 7), unsigned(t.offset),
                   verdict_reason(v));
  }
  vcpu.complete_instruction(io.next_rip);
}

bool is_guarded_ecam_page(u64 gpa) {
  return dma::is_trapped_page(gpa);
}

void handle_ecam_store(Vcpu& vcpu, u64 gpa) {
  const DecodedInsn d = decode_at_rip(vcpu);
  Store st{};
  u16 id = 0, offset = 0;
  if (!store_of(vcpu, d, st) || !dma::ecam_target(gpa, id, offset)) {
    TV_LOG_GUEST("guest store to ECAM %lx at rip %lx by %s is not emulated: #GP", gpa, vcpu.rip(), to_string(d.kind));
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  const pci::ConfigVerdict v = dma::config_guard().check(id, offset, st.size, true);
  if (v != pci::ConfigVerdict::Pass) {
    TV_LOG_GUEST("guest ECAM write to %02x:%02x.%x offset %x dropped: %s", unsigned(id >> 8),
                 unsigned((id >> 3) & 0x1F), unsigned(id & 7), unsigned(offset), verdict_reason(v));
  } else {
    u8* p = mem::phys_to_ptr<u8>(gpa);
    switch (st.size) {
      case 1: *reinterpret_cast<volatile u8*>(p) = u8(st.value); break;
      case 2: *reinterpret_cast<volatile u16*>(p) = u16(st.value); break;
      case 4: *reinterpret_cast<volatile u32*>(p) = u32(st.value); break;
      default: *reinterpret_cast<volatile u64*>(p) = st.value; break;
    }
  }
  vcpu.advance_rip(d.length);
}

u32 pci_config_read32(u16 device_id, u16 offset) {
  SpinGuard g(g_config_lock);
  x86::outl(pci::kConfigAddressPort, 0x80000000u | u32(device_id) << 8 | (offset & 0xFC));
  const u32 v = x86::inl(pci::kConfigDataPort);
  if (g_intercepting) x86::outl(pci::kConfigAddressPort, g_guest_address);
  return v;
}

void pci_config_write16(u16 device_id, u16 offset, u16 value) {
  SpinGuard g(g_config_lock);
  x86::outl(pci::kConfigAddressPort, 0x80000000u | u32(device_id) << 8 | (offset & 0xFC));
  x86::outw(u16(pci::kConfigDataPort + (offset & 2)), value);
  if (g_intercepting) x86::outl(pci::kConfigAddressPort, g_guest_address);
}

}  // namespace tv
