// The guest's PCI configuration accesses, where the VMM guards them
// (kernel/dma_protection.cpp decides what is guarded): ports 0CF8h/0CFCh-0CFFh
// (intercepted only while DMA protection is on) and stores to guarded ECAM
// pages (write-protected in the nested page tables).
#pragma once
#include "virt/exit.hpp"
#include "virt/vcpu.hpp"

namespace tv {

// Starts intercepting the configuration ports (before the vCPUs build their I/O maps).
void intercept_pci_config_ports();
// true if handle_io must give this access to handle_pci_config_io.
bool is_pci_config_access(const IoExit& io);
void handle_pci_config_io(Vcpu& vcpu, const IoExit& io);
// A store to a write-protected ECAM page.
bool is_guarded_ecam_page(u64 gpa);
void handle_ecam_store(Vcpu& vcpu, u64 gpa);

// The VMM's own configuration reads, serialized with the guest's (one address register for the machine).
u32 pci_config_read32(u16 device_id, u16 offset);
void pci_config_write16(u16 device_id, u16 offset, u16 value);

}  // namespace tv
