// The report the VMM prints when a run ends (power-off, exit port, triple fault).
#pragma once

namespace tv {
void print_run_report(const char* why);
}
