// Issue 12: thinvisor runs every CPU of the machine as a vCPU, and Linux
// starts its APs with INIT/SIPI as on hardware. One boot per CPU count (2 and
// 4, the typed suites below), each running every check through the guest
// shell: what Linux sees of its CPUs, the VMM's per-CPU status, CPUID exits
// and hypercalls on the CPU that made them, hypercall fuzzing on all CPUs at
// once, the VMM's memory hidden from every CPU, and CPU hotplug (offline,
// then online again through INIT and SIPI).
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <type_traits>

#include "system_fixture.hpp"

namespace tv::systest {
namespace {

// Most commands return in seconds; one that hangs fails the test and, since
// the guest is then unusable, every later test of the suite at once.
constexpr auto kShortTimeout = 120s;

// The status report's "key value" lines.
using Report = std::map<std::string, std::string>;

Report parse_report(const std::string& text) {
  Report r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t sp = line.find(' ');
    if (sp != std::string::npos) r[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return r;
}

// A counter of the report; -1 if absent or not a number.
long long counter(const Report& r, const std::string& key) {
  auto it = r.find(key);
  if (it == r.end() || it->second.empty() || it->second.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(it->second);
}

// /proc/cpuinfo's "key<tabs>: value" lines, in order (numeric values only
// where the callers need numbers: processor, apicid).
std::vector<std::pair<std::string, std::string>> cpuinfo_fields(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon), value = line.substr(colon + 1);
    while (!key.empty() && (key.back() == '\t' || key.back() == ' ')) key.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if ((key == "processor" || key == "apicid") &&
        (value.empty() || value.find_first_not_of("0123456789") != std::string::npos))
      continue;
    out.emplace_back(key, value);
  }
  return out;
}

std::string cpu_key(unsigned k, const std::string& field) {
  return "cpu." + std::to_string(k) + "." + field;
}

template <class Cpus>
class SmpGuest : public SharedBootTest<SmpGuest<Cpus>> {
 protected:
  using Base = SharedBootTest<SmpGuest<Cpus>>;
  static constexpr unsigned kCpus = Cpus::value;

 public:
  // iomem=relaxed: /dev/mem reaches the VMM's (reserved) range (physprobe).
  static host::RunConfig config() {
    host::RunConfig c = linux_under_thinvisor("iomem=relaxed");
    c.smp = kCpus;
    return c;
  }

 protected:
  static host::ExecResult run(const std::string& cmd, std::chrono::milliseconds timeout = kShortTimeout) {
    host::ExecResult r = Base::session_->run(cmd, timeout);
    if (r.timed_out || r.status < 0) {
      ADD_FAILURE() << "'" << cmd << "': " << Base::session_->last_error() << "\nconsole tail:\n"
                    << Base::session_->transcript_tail(30) << "\nVMM log:\n"
                    << Base::log();
      Base::boot_error_ = "an earlier command did not finish ('" + cmd + "'); the guest is not usable";
    }
    return r;
  }
  // The status report, from the boot CPU (so its own hypercalls and CPUIDs
  // land on one known CPU).
  static Report status() {
    host::ExecResult r = run("taskset -c 0 vmmcall status");
    EXPECT_EQ(r.status, 0) << r.output;
    return parse_report(r.output);
  }
  static std::string hex(unsigned long v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%lx", v);
    return b;
  }
  // Linux CPU number -> APIC ID, from /proc/cpuinfo.
  static std::map<unsigned, unsigned> linux_apic_ids() {
    std::map<unsigned, unsigned> ids;
    long processor = -1;
    for (const auto& [key, value] : cpuinfo_fields(run("cat /proc/cpuinfo").output)) {
      if (key == "processor") processor = std::stol(value);
      if (key == "apicid" && processor >= 0) ids[unsigned(processor)] = unsigned(std::stoul(value));
    }
    return ids;
  }
  // The VMM's index of Linux CPU `cpu` (by APIC ID); -1 if none matches.
  static int vmm_cpu_of(unsigned cpu, const Report& r) {
    static const std::map<unsigned, unsigned> ids = linux_apic_ids();
    auto it = ids.find(cpu);
    if (it == ids.end()) return -1;
    for (long long k = 0; k < counter(r, "cpus"); ++k)
      if (counter(r, cpu_key(unsigned(k), "apic_id")) == it->second) return int(k);
    return -1;
  }
  // Between two reports cpu.K.<field> grew by at least `at_least` on the VMM
  // CPU K of Linux CPU `cpu`, and by at most `others_at_most` on every other
  // but the boot CPU (where the status calls run).
  static void expect_grew_on(unsigned cpu, const Report& before, const Report& after, const std::string& field,
                             long long at_least, long long others_at_most) {
    const int k = vmm_cpu_of(cpu, after), boot = vmm_cpu_of(0, after);
    ASSERT_GE(k, 0) << "Linux CPU " << cpu << " is none of the VMM's CPUs";
    for (unsigned j = 0; j < kCpus; ++j) {
      const std::string key = cpu_key(j, field);
      const long long grew = counter(after, key) - counter(before, key);
      if (int(j) == k) {
        EXPECT_GE(grew, at_least) << key << " after the command on Linux CPU " << cpu;
      } else if (int(j) != boot) {
        EXPECT_LE(grew, others_at_most) << key << " grew though the command ran on Linux CPU " << cpu;
      }
    }
  }
  // The VMM's region as its log states it ("VMM memory reserved: N KiB at BASE-END").
  static std::pair<unsigned long, unsigned long> vmm_region() {
    std::smatch m;
    std::string log = Base::log();
    if (!std::regex_search(log, m, std::regex("VMM memory reserved: [0-9]+ KiB at ([0-9a-f]+)-([0-9a-f]+)")))
      return {0, 0};
    return {std::stoul(m[1], nullptr, 16), std::stoul(m[2], nullptr, 16)};
  }
};

using CpuCounts = ::testing::Types<std::integral_constant<unsigned, 2>, std::integral_constant<unsigned, 4>>;
class CpuCountNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::to_string(T::value) + "Cpus";
  }
};
TYPED_TEST_SUITE(SmpGuest, CpuCounts, CpuCountNames);

// --- what Linux sees ----------------------------------------------------------

TYPED_TEST(SmpGuest, LinuxBringsUpEveryCpu) {
  const unsigned n = TestFixture::kCpus;
  EXPECT_EQ(this->run("nproc").output, std::to_string(n) + "\n");
  EXPECT_EQ(this->run("cat /sys/devices/system/cpu/online").output, "0-" + std::to_string(n - 1) + "\n");
  std::string log = this->log();
  const std::string all = std::to_string(n);
  EXPECT_NE(log.find("SMP: " + all + " CPU(s) in the MADT, " + all + " started as vCPUs"), std::string::npos) << log;
  for (unsigned k = 1; k < n; ++k) {
    const std::string cpu = "CPU " + std::to_string(k);
    EXPECT_NE(log.find(cpu + " (APIC ID " + std::to_string(k) + "): parked for the guest"), std::string::npos) << log;
    EXPECT_NE(log.find(cpu + ": start-up IPI from the guest, vector "), std::string::npos) << log;
  }
}

TYPED_TEST(SmpGuest, EveryCpuShowsHypervisorAndHidesSvm) {
  std::string text = this->run("cat /proc/cpuinfo").output;
  unsigned processors = 0, flag_lines = 0;
  std::string processor = "?";
  for (const auto& [key, value] : cpuinfo_fields(text)) {
    if (key == "processor") processor = value, ++processors;
    if (key != "flags") continue;
    ++flag_lines;
    const std::string flags = " " + value + " ";
    EXPECT_NE(flags.find(" hypervisor "), std::string::npos) << "processor " << processor << ": " << flags;
    EXPECT_EQ(flags.find(" svm "), std::string::npos) << "processor " << processor << ": " << flags;
  }
  EXPECT_EQ(processors, TestFixture::kCpus) << text;
  EXPECT_EQ(flag_lines, TestFixture::kCpus) << text;
}

// --- the VMM's view: status ----------------------------------------------------

TYPED_TEST(SmpGuest, StatusListsEveryCpuRunning) {
  const unsigned n = TestFixture::kCpus;
  Report r = this->status();
  ASSERT_EQ(counter(r, "cpus"), (long long)n) << "no 'cpus " << n << "' line in the status report";
  std::set<long long> apic_ids;
  long long exits = 0, cpuids = 0, hypercalls = 0;
  for (unsigned k = 0; k < n; ++k) {
    EXPECT_EQ(r[cpu_key(k, "state")], "running") << cpu_key(k, "state");
    long long id = counter(r, cpu_key(k, "apic_id"));
    EXPECT_GE(id, 0) << cpu_key(k, "apic_id");
    apic_ids.insert(id);
    for (const char* field : {"exits_total", "exits.cpuid", "hypercalls"})
      EXPECT_GE(counter(r, cpu_key(k, field)), 0) << cpu_key(k, field);
    exits += counter(r, cpu_key(k, "exits_total"));
    cpuids += counter(r, cpu_key(k, "exits.cpuid"));
    hypercalls += counter(r, cpu_key(k, "hypercalls"));
    EXPECT_GT(counter(r, cpu_key(k, "exits.cpuid")), 0) << "Linux ran CPUID on every CPU it brought up: " << k;
  }
  EXPECT_EQ(apic_ids.size(), n) << "the CPUs' APIC IDs are not distinct";
  // Every Linux CPU is one of the VMM's, one to one.
  std::set<int> mapped;
  for (unsigned cpu = 0; cpu < n; ++cpu) mapped.insert(this->vmm_cpu_of(cpu, r));
  EXPECT_EQ(mapped.size(), n);
  EXPECT_EQ(mapped.count(-1), 0u) << "a Linux CPU's apicid is not in the status report";
  // The machine-wide lines are the sums. Only this CPU makes hypercalls now,
  // so that sum is exact; idle CPUs may take an exit while the report is
  // being written, so exits may differ by a few.
  EXPECT_EQ(hypercalls, counter(r, "hypercalls_total"));
  EXPECT_EQ(cpuids, counter(r, "exits.cpuid"));
  EXPECT_NEAR(double(exits), double(counter(r, "exits_total")), 64 + 0.01 * double(exits));
}

// CPUID exits are counted on the CPU that ran them (and not on the others).
TYPED_TEST(SmpGuest, CpuidExitsAreCountedOnTheCpuThatRanThem) {
  constexpr long long kLoops = 5000;
  for (unsigned cpu = 0; cpu < TestFixture::kCpus; ++cpu) {
    Report before = this->status();
    auto r = this->run("taskset -c " + std::to_string(cpu) + " hcbench --cpuid " + std::to_string(kLoops));
    EXPECT_EQ(r.output, "hcbench: " + std::to_string(kLoops) + " cpuid on cpu " + std::to_string(cpu) + "\n");
    // The status calls run CPUID on the boot CPU too.
    this->expect_grew_on(cpu, before, this->status(), "exits.cpuid", kLoops, kLoops - 1);
  }
}

// A hypercall works on every CPU, and is counted on that CPU.
TYPED_TEST(SmpGuest, PinnedHypercallsWorkAndAreCountedOnEveryCpu) {
  for (unsigned cpu = 0; cpu < TestFixture::kCpus; ++cpu) {
    const std::string arg = std::to_string(7000 + cpu);
    Report before = this->status();
    auto r = this->run("taskset -c " + std::to_string(cpu) + " vmmcall call hello " + arg);
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("rax=0xa (10)"), std::string::npos) << "on CPU " << cpu << ": " << r.output;
    EXPECT_NE(this->log().find("arg1 = " + arg), std::string::npos) << "on CPU " << cpu << "\n" << this->log();
    // The lookup of "hello" and the call (and on the boot CPU a status call).
    this->expect_grew_on(cpu, before, this->status(), "hypercalls", 2, 0);
  }
}

// --- the VMM's memory and attacks from every CPU at once ----------------------

// /dev/mem reads of the VMM's region show none of its data from any CPU, and
// writes from any CPU leave it intact (as linux_guest_test's boot-CPU checks).
TYPED_TEST(SmpGuest, TheVmmsMemoryIsHiddenFromEveryCpu) {
  auto [base, end] = this->vmm_region();
  ASSERT_NE(base, 0u) << this->log();
  for (unsigned cpu = 0; cpu < TestFixture::kCpus; ++cpu) {
    auto r = this->run("taskset -c " + std::to_string(cpu) + " physprobe read " + this->hex(base) + " " +
                       this->hex(end - base));
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("nonzero=0 "), std::string::npos) << "on CPU " << cpu << ": " << r.output;
    EXPECT_NE(r.output.find("first=00000000"), std::string::npos) << "on CPU " << cpu << ": " << r.output;
  }
  for (unsigned cpu = 0; cpu < TestFixture::kCpus; ++cpu) {
    auto w = this->run("taskset -c " + std::to_string(cpu) + " physprobe write " + this->hex(base + cpu * 0x10000ul) +
                       " 0x10000 0xAA");
    EXPECT_EQ(w.status, 0) << "on CPU " << cpu << ": " << w.output;
  }
  auto check = this->run("vmmcall call integrity");
  EXPECT_NE(check.output.find("rax=0x0 (0)"), std::string::npos) << check.output;
  EXPECT_EQ(vmm_fault_line(this->log()), "") << this->log();
}

// hcfuzz on every CPU in parallel, each pinned and counting its own CPU's
// hypercalls (--this-cpu): every call is accounted for, on the right CPU, and
// the VMM neither faults nor changes (integrity), the same judgement as
// linux_guest_test's and attack_test's fuzzing.
TYPED_TEST(SmpGuest, HypercallFuzzingOnEveryCpuAtOnce) {
  const unsigned n = TestFixture::kCpus;
  constexpr unsigned kCalls = 50000;
  std::string cmd = "pids=''; for c in $(seq 0 " + std::to_string(n - 1) + "); do taskset -c $c hcfuzz --this-cpu " +
                    std::to_string(kCalls) +
                    " $((c + 11)) >/tmp/hcfuzz.$c 2>&1 & pids=\"$pids $!\"; done; "
                    "failed=0; for p in $pids; do wait $p || failed=$((failed + 1)); done; "
                    "for c in $(seq 0 " +
                    std::to_string(n - 1) +
                    "); do sed \"s/^/[cpu $c] /\" /tmp/hcfuzz.$c; done; echo \"failed=$failed\"";
  auto r = this->run(cmd, kCommandTimeout);
  EXPECT_NE(r.output.find("failed=0\n"), std::string::npos) << r.output;
  for (unsigned c = 0; c < n; ++c)
    EXPECT_NE(r.output.find("[cpu " + std::to_string(c) + "] hcfuzz: ok calls="), std::string::npos) << r.output;
  std::printf("%s", r.output.c_str());  // the per-CPU lines, for the CI log
  auto check = this->run("vmmcall call integrity");
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("rax=0x0 (0)"), std::string::npos) << check.output;
  std::string log = this->log();
  EXPECT_NE(log.find("integrity check on request: intact"), std::string::npos) << log;
  EXPECT_EQ(vmm_fault_line(log), "") << log;
  EXPECT_TRUE(this->session_->running()) << host::describe_exit(this->session_->exit_status());
  EXPECT_EQ(this->run("echo alive").output, "alive\n");
}

// --- CPU hotplug -------------------------------------------------------------------

// Linux takes an AP offline (it parks itself in the guest) and brings it back
// with INIT, SIPI, SIPI, which the VMM emulates on that vCPU: it stops, waits
// for the start-up IPI, and runs again.
TYPED_TEST(SmpGuest, ACpuGoesOfflineAndComesBack) {
  const unsigned n = TestFixture::kCpus;
  // The kernel's hotplug messages would land in the output: console printk off meanwhile.
  const std::string quiet =
      "echo \"was=$(cat /sys/devices/system/cpu/online)\"; old=$(cut -f1 /proc/sys/kernel/printk); dmesg -n 1; ";
  const std::string report =
      "; rc=$?; dmesg -n $old; echo \"rc=$rc nproc=$(nproc) online=$(cat "
      "/sys/devices/system/cpu/online)\"";
  const std::string cpu1 = "/sys/devices/system/cpu/cpu1/online";
  auto off = this->run(quiet + "echo 0 > " + cpu1 + report);
  const std::string all = "0-" + std::to_string(n - 1), rest = n == 2 ? "0" : "0,2-" + std::to_string(n - 1);
  EXPECT_NE(off.output.find("was=" + all + "\n"), std::string::npos) << off.output;
  EXPECT_NE(off.output.find("rc=0 nproc=" + std::to_string(n - 1) + " online=" + rest + "\n"), std::string::npos)
      << off.output;
  auto on = this->run(quiet + "echo 1 > " + cpu1 + report);
  EXPECT_NE(on.output.find("rc=0 nproc=" + std::to_string(n) + " online=" + all + "\n"), std::string::npos)
      << on.output;
  auto hello = this->run("taskset -c 1 vmmcall call hello 1111");
  EXPECT_EQ(hello.status, 0) << hello.output;
  EXPECT_NE(hello.output.find("rax=0xa (10)"), std::string::npos) << hello.output;
  std::string log = this->log();
  const int k = this->vmm_cpu_of(1, this->status());
  ASSERT_GE(k, 0);
  const std::string cpu = "CPU " + std::to_string(k);
  EXPECT_NE(log.find(cpu + ": INIT from the guest: stopped, waiting for a start-up IPI"), std::string::npos) << log;
  EXPECT_GE(count_of(log, cpu + ": start-up IPI from the guest"), 2u) << "boot and re-online\n" << log;
  EXPECT_EQ(this->status()[cpu_key(unsigned(k), "state")], "running");
  EXPECT_EQ(vmm_fault_line(log), "") << log;
}

// --- per-vCPU features --------------------------------------------------------------

// Debug registers are per CPU, as on hardware: the selftest's watch hypercall
// claims a slot on the CPU it runs on, and its watched writes trap there.
TYPED_TEST(SmpGuest, GuestDebugRegistersWorkOnEveryCpu) {
  for (unsigned cpu = 0; cpu < TestFixture::kCpus; ++cpu) {
    auto r = this->run("taskset -c " + std::to_string(cpu) + " debugreg selftest");
    EXPECT_EQ(r.status, 0) << "cpu " << cpu << "\n" << r.output;
    EXPECT_NE(r.output.find("debugreg selftest: ok"), std::string::npos) << "cpu " << cpu << "\n" << r.output;
  }
  EXPECT_EQ(vmm_fault_line(this->log()), "") << this->log();
}

// The agentless module-load detector arms every vCPU's own debug registers, so
// a module loaded on any CPU is seen coming and live without an agent.
TYPED_TEST(SmpGuest, ModuleLoadsAreSeenOnEveryCpuWithoutAnAgent) {
  const unsigned n = TestFixture::kCpus;
  for (unsigned k = 0; k < n; ++k)
    EXPECT_NE(this->log().find("modwatch: CPU " + std::to_string(k) + ": KASLR slide"), std::string::npos)
        << "CPU " << k << " did not arm\n"
        << this->log();
  const size_t before = count_of(this->log(), "guest module thinvisor_testmod loaded at");
  for (unsigned cpu = 0; cpu < n; ++cpu) {
    auto r = this->run("taskset -c " + std::to_string(cpu) +
                       " sh -c 'insmod /lib/modules/thinvisor_testmod.ko && rmmod thinvisor_testmod'");
    EXPECT_EQ(r.status, 0) << "cpu " << cpu << "\n" << r.output;
  }
  const std::string log = this->log();
  EXPECT_EQ(count_of(log, "guest module thinvisor_testmod loaded at") - before, size_t(n)) << log;
  EXPECT_GE(count_of(log, "guest module thinvisor_testmod unloaded (agentless)"), size_t(n)) << log;
  EXPECT_EQ(vmm_fault_line(log), "") << log;
}

// Runs last (tests run in definition order): power off with one run report.
TYPED_TEST(SmpGuest, PowersOffWithOneReport) {
  int status = this->session_->poweroff(120s);
  EXPECT_EQ(status, 0) << host::describe_exit(status);
  std::string log = this->log();
  EXPECT_EQ(count_of(log, "run report (guest power-off)"), 1u) << log;
  EXPECT_NE(log.find("run report: integrity intact"), std::string::npos) << log;
  EXPECT_EQ(vmm_fault_line(log), "") << log;
  this->boot_error_ = "powered off";  // nothing left to check
}

}  // namespace
}  // namespace tv::systest
