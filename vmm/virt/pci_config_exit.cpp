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
  // All eight: an access exits if any of its bytes is intercepted, so every
  // access that reaches the data window (even straddling from 0CFAh) exits.
  const u16 ports[] = {0xCF8, 0xCF9, 0xCFA, 0xCFB, 0xCFC, 0xCFD, 0xCFE, 0xCFF};
  intercept_ports(ports, sizeof ports / sizeof ports[0]);
}

bool is_pci_config_access(const IoExit& io) {
  if (!g_intercepting || io.string) return false;  // string I/O: io_exit.cpp refuses it
  return pci::classify_config_port_access(io.port, io.size) != pci::ConfigPortAccess::Other;
}

namespace {

// A judged data access, performed; the hardware's address register is left
// disabled afterwards, so nothing else finds a function selected there.
u32 hardware_data_access(const pci::ConfigTarget& t, u16 port, u8 size, bool in, u32 value) {
  x86::outl(pci::kConfigAddressPort, pci::config_address_of(t));
  const u32 v = in ? x86::port_in(port, size) : (x86::port_out(port, size, value), 0);
  x86::outl(pci::kConfigAddressPort, 0);
  return v;
}

}  // namespace

void handle_pci_config_io(Vcpu& vcpu, const IoExit& io) {
  const u64 mask = x86::io_size_mask(io.size);
  const u64 rax = vcpu.gpr(Gpr::Rax);
  SpinGuard g(g_config_lock);
  switch (pci::classify_config_port_access(io.port, io.size)) {
    case pci::ConfigPortAccess::Address:
      if (io.in)
        vcpu.set_gpr(Gpr::Rax, (rax & ~mask) | g_guest_address);
      else
        g_guest_address = u32(rax);
      return vcpu.complete_instruction(io.next_rip);
    case pci::ConfigPortAccess::Data: break;
    case pci::ConfigPortAccess::Straddling:
    case pci::ConfigPortAccess::Other:
      // Part address register, part data window (or past it): never judged, never performed.
      if (io.in) vcpu.set_gpr(Gpr::Rax, rax | mask);
      TV_LOG_GUEST("guest %u-byte %s at port %x straddles the PCI configuration window: %s", unsigned(io.size),
                   io.in ? "read" : "write", io.port, io.in ? "all ones" : "dropped");
      return vcpu.complete_instruction(io.next_rip);
  }
  const pci::ConfigTarget t = pci::decode_config_address(g_guest_address, io.port);
  // Bit 31 clear: no configuration cycle (QEMU ignores the data access, PCs pass it to the bus); nothing to judge.
  const pci::ConfigVerdict v =
      t.enabled ? dma::config_guard().check(t.device_id, t.offset, io.size, !io.in) : pci::ConfigVerdict::Pass;
  if (!t.enabled) {
    if (io.in) vcpu.set_gpr(Gpr::Rax, rax | mask);
  } else if (v == pci::ConfigVerdict::Pass || (io.in && v == pci::ConfigVerdict::WriteProtected)) {
    const u32 got = hardware_data_access(t, io.port, io.size, io.in, u32(rax & mask));
    if (io.in) vcpu.set_gpr(Gpr::Rax, (rax & ~mask) | (got & mask));
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
  // Configuration registers take naturally aligned accesses of at most a
  // dword (PCIe Base §7.2.2): anything else (a wider, misaligned or
  // page-crossing store, which could reach the next function's page) is refused.
  if (!store_of(vcpu, d, st) || !dma::ecam_target(gpa, id, offset) || st.size > 4 || (gpa & (st.size - 1)) != 0) {
    TV_LOG_GUEST("guest store to ECAM %lx at rip %lx by %s is not emulated: #GP", gpa, vcpu.rip(), to_string(d.kind));
    return vcpu.inject_exception(Vector::GP, true, 0);
  }
  const pci::ConfigVerdict v = dma::config_guard().check(id, offset, st.size, true);
  if (v != pci::ConfigVerdict::Pass) {
    TV_LOG_GUEST("guest ECAM write to %02x:%02x.%x offset %x dropped: %s", unsigned(id >> 8),
                 unsigned((id >> 3) & 0x1F), unsigned(id & 7), unsigned(offset), verdict_reason(v));
  } else {
    u8* p = mem::phys_to_ptr<u8>(gpa);
    u32 old = 0;
    switch (st.size) {
      case 1:
        old = *reinterpret_cast<volatile u8*>(p);
        *reinterpret_cast<volatile u8*>(p) = u8(st.value);
        break;
      case 2:
        old = *reinterpret_cast<volatile u16*>(p);
        *reinterpret_cast<volatile u16*>(p) = u16(st.value);
        break;
      default:
        old = *reinterpret_cast<volatile u32*>(p);
        *reinterpret_cast<volatile u32*>(p) = u32(st.value);
        break;
    }
    if (d.kind == InsnKind::Xchg) {  // XCHG also loads: the register gets the old value
      const Gpr r = d.high_byte ? Gpr(d.reg - 4) : Gpr(d.reg & 15);
      const unsigned shift = d.high_byte ? 8 : 0;  // AH, CH, DH, BH
      const u64 field = x86::io_size_mask(st.size) << shift;
      // A dword destination zero-extends into the whole register, as on hardware.
      const u64 rest = st.size == 4 ? 0 : vcpu.gpr(r) & ~field;
      vcpu.set_gpr(r, rest | (u64(old) << shift));
    }
  }
  vcpu.advance_rip(d.length);
}

u32 pci_config_read32(u16 device_id, u16 offset) {
  SpinGuard g(g_config_lock);
  x86::outl(pci::kConfigAddressPort, 0x80000000u | u32(device_id) << 8 | (offset & 0xFC));
  const u32 v = x86::inl(pci::kConfigDataPort);
  x86::outl(pci::kConfigAddressPort, 0);  // the guest's own value lives in g_guest_address
  return v;
}

void pci_config_write16(u16 device_id, u16 offset, u16 value) {
  SpinGuard g(g_config_lock);
  x86::outl(pci::kConfigAddressPort, 0x80000000u | u32(device_id) << 8 | (offset & 0xFC));
  x86::outw(u16(pci::kConfigDataPort + (offset & 2)), value);
  x86::outl(pci::kConfigAddressPort, 0);
}

}  // namespace tv
