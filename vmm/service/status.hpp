// The status report's text, shared by the `status` hypercall and the
// vmminfo domain service (vmm/domain/info_services.cpp).
#pragma once
#include "kernel/report.hpp"

namespace tv {
// Version, uptime, the VMM's memory and free pool pages, VM exits by reason,
// hypercall counters: one "key value" line each.
void status_report(Report& r);
// The VM exit lines of that report ("exits.cpuid 123"), also a report of their own.
void exit_report(Report& r);
}  // namespace tv
