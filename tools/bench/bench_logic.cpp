#include "bench_logic.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tv::bench {

namespace {

// --- small string helpers -------------------------------------------------------

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// Splits into lines (without '\n'; a trailing '\r' is dropped too).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Parses a decimal u64 at the start of `s` (after optional blanks). Advances
// `s` past it. nullopt if there are no digits or the value overflows.
std::optional<uint64_t> take_u64(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  size_t start = i;
  uint64_t v = 0;
  while (i < s.size() && is_digit(s[i])) {
    uint64_t d = uint64_t(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
    ++i;
  }
  if (i == start) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

// Strips `prefix` from `s` if present.
bool eat(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

std::string quoted_excerpt(std::string_view s, size_t max = 120) {
  std::string out(s.substr(0, max));
  if (s.size() > max) out += "...";
  return "'" + out + "'";
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Number of decimals a figure is printed with.
int decimals_of(std::string_view figure) {
  const FigureInfo* f = find_figure(figure);
  if (!f) return -1;
  if (f->integer) return 0;
  if (f->unit == "MiB") return 2;
  if (f->unit == "KiB/CPU") return 1;
  if (f->unit == "s") return 1;
  return 4;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt("%.0f", v);
  return fmt("%.9g", v);
}

}  // namespace

// --- catalog ----------------------------------------------------------------------

const std::vector<FigureInfo>& figure_catalog() {
  static const std::vector<FigureInfo> catalog = {
      {"boot_ratio", "ratio", "guest TSC at /init under thinvisor divided by the same without thinvisor", false},
      {"plain_boot_instructions", "instructions", "guest TSC at /init, plain QEMU (firmware + Linux)", true},
      {"thinvisor_boot_instructions", "instructions",
       "guest TSC at /init under thinvisor (firmware + VMM + Linux + VM exits)", true},
      {"boot_overhead_instructions", "instructions", "thinvisor_boot_instructions - plain_boot_instructions", true},
      {"boot_wall_ratio", "ratio",
       "host wall time of the thinvisor boot to the guest's ready line over the plain boot's (TCG, -icount; depends "
       "on the host and its load)",
       false},
      {"plain_boot_wall_s", "s", "host wall time of the plain QEMU boot, QEMU's start to the guest's ready line",
       false},
      {"thinvisor_boot_wall_s", "s", "host wall time of the thinvisor boot, QEMU's start to the guest's ready line",
       false},
      {"disk_dd_iommu_ratio", "ratio",
       "guest ticks of an O_DIRECT dd to and from an AHCI disk under thinvisor with the IOMMU (DMA protection on) over "
       "the same without it",
       false},
      {"disk_read_ticks_per_mib", "instr/MiB", "O_DIRECT dd from the AHCI disk, with the IOMMU: guest ticks per MiB",
       true},
      {"disk_read_ticks_per_mib_no_iommu", "instr/MiB", "the same without the IOMMU (DMA protection off)", true},
      {"disk_write_ticks_per_mib", "instr/MiB", "O_DIRECT dd to the AHCI disk, with the IOMMU: guest ticks per MiB",
       true},
      {"disk_write_ticks_per_mib_no_iommu", "instr/MiB", "the same without the IOMMU (DMA protection off)", true},
      {"disk_dd_wall_iommu_ratio", "ratio",
       "host wall time of those two dd commands with the IOMMU over without (QEMU's IOMMU translates each DMA on the "
       "host; depends on the host and its load)",
       false},
      {"hypercall_ticks", "instr/call", "null hypercall (service 'nop') round trip, from hcbench", true},
      {"cpuid_ticks", "instr/call", "CPUID round trip (intercepted), from hcbench", true},
      {"unknown_hypercall_ticks", "instr/call", "hypercall with an unknown service number, from hcbench", true},
      {"loop_ticks", "instr/iter", "empty-loop baseline of hcbench", true},
      {"hypercall_over_cpuid", "ratio", "hypercall_ticks / cpuid_ticks", false},
      {"vm_exits_total", "exits", "VM exits of the whole thinvisor run (boot, hcbench, power-off)", true},
      {"vmm_startup_instructions", "instructions",
       "VMM start-up: guest TSC from the multiboot entry to the first VMRUN, from the VMM log", true},
      {"vmm_reserved_mib", "MiB", "memory the VMM reserves for itself (hidden from the guest)", false},
      {"grub_bios_boot_ratio", "ratio",
       "guest TSC at /init booted by GRUB (multiboot2) under thinvisor divided by the same ISO's guest booted by "
       "GRUB's linux command, both under SeaBIOS (--grub-boots)",
       false},
      {"grub_uefi_boot_ratio", "ratio", "the same under OVMF (UEFI) (--grub-boots)", false},
      {"grub_bios_plain_boot_instructions", "instructions", "guest TSC at /init, GRUB linux, SeaBIOS", true},
      {"grub_uefi_plain_boot_instructions", "instructions", "guest TSC at /init, GRUB linux, OVMF", true},
      {"smp2_boot_ratio", "ratio",
       "guest TSC at /init under thinvisor with 2 CPUs divided by the same on plain QEMU with 2 CPUs", false},
      {"smp2_plain_boot_instructions", "instructions", "guest TSC at /init, plain QEMU, 2 CPUs", true},
      {"smp2_thinvisor_boot_instructions", "instructions", "guest TSC at /init under thinvisor, 2 CPUs", true},
      {"vmm_reserved_mib_8cpu", "MiB",
       "memory the VMM reserves with 8 CPUs (a start-up with -smp 8, stopped at 'VMM ready')", false},
      {"vmm_pool_used_kib_1cpu", "KiB", "page pool the VMM uses at 'VMM ready' with 1 CPU", true},
      {"vmm_pool_used_kib_8cpu", "KiB", "page pool the VMM uses at 'VMM ready' with 8 CPUs", true},
      {"vmm_pool_kib_per_cpu", "KiB/CPU",
       "(vmm_pool_used_kib_8cpu - vmm_pool_used_kib_1cpu) / 7: the pool per extra CPU", false},
      {"vmm_image_bytes", "bytes", "size of vmm/thinvisor.bin", true},
      {"vmm_loc", "lines", "lines of code in vmm/", true},
      {"lib_loc", "lines", "lines of code in lib/ (linked into the VMM)", true},
      {"tcb_loc", "lines", "trusted code base: vmm/ + lib/", true},
      {"msgsendint_instructions", "instr/call",
       "msgsendint round trip VMM -> domain 'echo' -> VMM, from the VMM's domain self-test (1000 calls)", true},
      {"msgsendbuf_4k_instructions", "instr/call",
       "msgsendbuf with one 4 KiB read-write buffer, VMM -> 'echo' -> VMM, from the domain self-test", true},
      {"msgsendbuf_64k_instructions", "instr/call",
       "msgsendbuf with one 64 KiB read-write buffer, VMM -> 'echo' -> VMM, from the domain self-test", true},
      {"msgsendbuf_64k_over_4k", "ratio", "msgsendbuf_64k_instructions / msgsendbuf_4k_instructions", false},
      {"domain_service_ticks", "instr/call",
       "guest hypercall to the domain-hosted service 'echo_domain' round trip, from hcbench", true},
      {"domain_service_over_null", "ratio", "domain_service_ticks / hypercall_ticks", false},
      {"dbgsh_char_instructions", "instr/call",
       "one dbgsh call (one character each way at most) over a whole raw-protocol session, from hcbench --dbgsh", true},
      {"dbgsh_session_calls", "calls", "dbgsh calls of that session, first poll to the final ack", true},
      {"dbgsh_log_instructions", "instructions",
       "guest instructions of `dbgsh -c log` of a full log ring (tsc around the command, output to a file)", true},
      {"dbgsh_log_bytes", "bytes", "what that `dbgsh -c log` printed", true},
      {"dbgsh_log_wall_ms", "ms", "host wall time of the guest command running that `dbgsh -c log` (TCG, -icount)",
       true},
      {"set_debugreg_kernel_ticks", "instr/call",
       "set_debugreg round trip from guest kernel mode (debugreg bench: tvdebugreg.ko, 1000 calls)", true},
      {"nop_kernel_ticks", "instr/call", "null hypercall round trip from guest kernel mode, same loop", true},
      {"set_debugreg_over_null", "ratio", "set_debugreg_kernel_ticks / nop_kernel_ticks", false},
      {"watched_boot_ratio", "ratio",
       "guest TSC at /init with a VMM execute watchpoint on a hot kernel function over the same boot without "
       "(both nokaslr, both under thinvisor)",
       false},
      {"watched_boot_hits", "hits", "hits of that watchpoint up to /init", true},
      {"module_agent_live_instructions", "instructions",
       "agent mode: guest TSC just before `insmod thinvisor_testmod.ko` to the VMM's TSC at the agent's LIVE report "
       "(the 'guest module .. loaded at' log line), thinvisor_modwatch.ko loaded, console printk off",
       true},
      {"module_agent_coming_instructions", "instructions",
       "the same to the agent's COMING report (the module laid out, before its init runs)", true},
      {"module_agentless_coming_instructions", "instructions",
       "agentless mode, no agent loaded: guest TSC just before `insmod thinvisor_testmod.ko` (its second load) to the "
       "VMM's TSC at its report from the do_init_module watchpoint",
       true},
  };
  return catalog;
}

const FigureInfo* find_figure(std::string_view name) {
  for (const FigureInfo& f : figure_catalog())
    if (f.name == name) return &f;
  return nullptr;
}

bool is_planned(std::string_view) {
  return false;
}

std::string closest_figure(std::string_view name) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const FigureInfo& f : figure_catalog()) {
    size_t d = edit_distance(name, f.name);
    if (d < best_d) best_d = d, best = std::string(f.name);
  }
  return best_d <= std::max<size_t>(2, name.size() / 4) ? best : std::string();
}

// --- parsers ----------------------------------------------------------------------

Parsed<uint64_t> parse_init_tsc(std::string_view transcript) {
  constexpr std::string_view kKey = "thinvisor-guest: init-tsc";
  size_t at = transcript.find(kKey);
  if (at == std::string_view::npos)
    return Parsed<uint64_t>::fail(
        "no 'thinvisor-guest: init-tsc <N>' line on the guest console (the guest never reached "
        "/init, or the initramfs predates that measurement point in guest/init/init: rebuild it)");
  std::string_view rest = transcript.substr(at + kKey.size());
  std::string_view line = rest.substr(0, rest.find('\n'));
  std::string_view p = line;
  auto v = take_u64(p);
  if (!v || !trim(p).empty())
    return Parsed<uint64_t>::fail("malformed init-tsc line: " + quoted_excerpt(std::string(kKey) + std::string(line)));
  return Parsed<uint64_t>::ok(*v);
}

namespace {

// One "hcbench: <name> <N>" figure and where it goes.
struct CountSlot {
  std::string_view name;
  std::optional<uint64_t>* value;
  bool required = true;
};

// What read_counts found besides the counts.
struct CountLines {
  std::string error;                   // a malformed count line, if any
  std::string missing;                 // " name name ..." of the required slots not seen
  std::vector<std::string_view> rest;  // other "hcbench: ..." lines, trimmed, without the prefix
};

// Reads every "hcbench: <name> <N>" line of `output` whose name is a slot's
// (the first of each wins); other lines with the prefix go to `rest`.
CountLines read_counts(std::string_view output, std::initializer_list<CountSlot> slots) {
  CountLines out;
  for (std::string_view raw : lines_of(output)) {
    std::string_view line = trim(raw);
    if (!eat(line, "hcbench: ")) continue;
    std::string_view name = line.substr(0, line.find(' '));
    const CountSlot* slot = nullptr;
    for (const CountSlot& s : slots)
      if (s.name == name) slot = &s;
    if (!slot) {
      out.rest.push_back(line);
      continue;
    }
    std::string_view p = line.substr(name.size());
    auto v = take_u64(p);
    if (!v || !trim(p).empty()) {
      out.error = "malformed hcbench line: " + quoted_excerpt(trim(raw));
      return out;
    }
    if (!*slot->value) *slot->value = v;
  }
  for (const CountSlot& s : slots)
    if (s.required && !*s.value) out.missing += " " + std::string(s.name);
  return out;
}

// "<what> lacks <missing>" with hcbench's own complaint (its first other
// line), or a hint at the output.
std::string lacks(std::string_view what, const CountLines& c, std::string_view complaint, std::string_view output) {
  std::string why = std::string(what) + " lacks the figure(s):" + c.missing;
  if (!complaint.empty())
    why += " (hcbench said " + quoted_excerpt("hcbench: " + std::string(complaint)) + ")";
  else if (trim(output).empty())
    why += " (no output at all)";
  else
    why += "; output was " + quoted_excerpt(trim(output), 300);
  return why;
}

}  // namespace

Parsed<HcbenchFigures> parse_hcbench(std::string_view output) {
  std::optional<uint64_t> loop, hypercall, cpuid, unknown, domain_service;
  CountLines c = read_counts(output, {{"loop", &loop},
                                      {"hypercall", &hypercall},
                                      {"cpuid", &cpuid},
                                      {"unknown", &unknown},
                                      {"domain_service", &domain_service, false}});
  if (!c.error.empty()) return Parsed<HcbenchFigures>::fail(c.error);
  if (!c.missing.empty())  // hcbench's first other line: e.g. "not running under thinvisor"
    return Parsed<HcbenchFigures>::fail(lacks("hcbench output", c, c.rest.empty() ? "" : c.rest.front(), output));
  return Parsed<HcbenchFigures>::ok(HcbenchFigures{*loop, *hypercall, *cpuid, *unknown, domain_service});
}

Parsed<DbgshFigures> parse_dbgsh_bench(std::string_view output) {
  std::optional<uint64_t> per_call, calls, chars, total;
  CountLines c = read_counts(
      output, {{"dbgsh_char", &per_call}, {"dbgsh_calls", &calls}, {"dbgsh_output", &chars}, {"dbgsh_total", &total}});
  if (!c.error.empty()) return Parsed<DbgshFigures>::fail(c.error);
  std::optional<std::string> said;
  std::string_view complaint;
  for (std::string_view line : c.rest) {
    std::string_view q = line;
    if (!eat(q, "dbgsh_said ")) {
      if (complaint.empty()) complaint = line;  // e.g. "dbgsh: answer 0x10b (busy) after 1 calls"
      continue;
    }
    q = trim(q);
    if (q.size() < 2 || q.front() != '"' || q.back() != '"')
      return Parsed<DbgshFigures>::fail("malformed hcbench line: " + quoted_excerpt("hcbench: " + std::string(line)));
    if (!said) said = std::string(q.substr(1, q.size() - 2));
  }
  if (!said) c.missing += " dbgsh_said";
  if (!c.missing.empty()) return Parsed<DbgshFigures>::fail(lacks("hcbench --dbgsh output", c, complaint, output));
  if (*calls == 0) return Parsed<DbgshFigures>::fail("hcbench --dbgsh reports a session of 0 calls");
  return Parsed<DbgshFigures>::ok(DbgshFigures{*per_call, *calls, *chars, *total, std::move(*said)});
}

Parsed<DebugregFigures> parse_debugreg_bench(std::string_view output) {
  std::optional<uint64_t> set, nop;
  for (std::string_view raw : lines_of(output)) {
    std::string_view line = trim(raw);
    std::optional<uint64_t>* slot = nullptr;
    if (eat(line, "debugreg_set_kernel"))
      slot = &set;
    else if (eat(line, "debugreg_nop_kernel"))
      slot = &nop;
    else
      continue;
    auto v = take_u64(line);
    if (!v || !trim(line).empty()) return Parsed<DebugregFigures>::fail("malformed line: " + quoted_excerpt(trim(raw)));
    if (!*slot) *slot = v;
  }
  if (!set || !nop || *set == 0 || *nop == 0)
    return Parsed<DebugregFigures>::fail("no non-zero debugreg_set_kernel and debugreg_nop_kernel lines; output was " +
                                         quoted_excerpt(trim(output), 300));
  return Parsed<DebugregFigures>::ok(DebugregFigures{*set, *nop});
}

namespace {
// "<base> <size> <state> <seen-by> <first> <last>" after the module name: the
// first and last TSC if state and seen-by are as wanted (seen-by "agent"
// matches "agent+agentless" too: the agentless detector may see it as well).
std::optional<std::pair<uint64_t, uint64_t>> entry_tscs(std::string_view line, std::string_view state,
                                                        std::string_view seen_by) {
  const size_t at = line.find(std::string(" ") + std::string(state) + " " + std::string(seen_by));
  if (at == std::string_view::npos) return std::nullopt;
  line.remove_prefix(at + state.size() + seen_by.size() + 2);
  if (eat(line, "+agentless")) {
  }
  if (!eat(line, " ")) return std::nullopt;
  auto first = take_u64(line);
  if (!first || !eat(line, " ")) return std::nullopt;
  auto last = take_u64(line);
  if (!last || !trim(line).empty()) return std::nullopt;
  return std::pair{*first, *last};
}
}  // namespace

Parsed<ModwatchFigures> parse_modwatch_bench(std::string_view output) {
  std::optional<uint64_t> before, coming, live, agentless_before, agentless_coming;
  for (std::string_view raw : lines_of(output)) {
    std::string_view line = trim(raw);
    std::optional<uint64_t>* slot = nullptr;
    if (eat(line, "modwatch_before "))
      slot = &before;
    else if (eat(line, "modwatch_agentless_before "))
      slot = &agentless_before;
    if (slot != nullptr) {
      auto v = take_u64(line);
      if (!v || !trim(line).empty())
        return Parsed<ModwatchFigures>::fail("malformed line: " + quoted_excerpt(trim(raw)));
      if (!*slot) *slot = v;
    } else if (eat(line, "modwatch_entry thinvisor_testmod ")) {
      auto t = entry_tscs(line, "live", "agent");
      if (!t)
        return Parsed<ModwatchFigures>::fail("thinvisor_testmod is not live and seen by the agent: " +
                                             quoted_excerpt(trim(raw)));
      if (!coming) coming = t->first, live = t->second;
    } else if (eat(line, "modwatch_agentless_entry thinvisor_testmod ")) {
      auto t = entry_tscs(line, "live", "agentless");
      if (!t)
        return Parsed<ModwatchFigures>::fail("thinvisor_testmod is not live and seen by the agentless detector: " +
                                             quoted_excerpt(trim(raw)));
      if (!agentless_coming) agentless_coming = t->first;
    }
  }
  if (!before || !coming)
    return Parsed<ModwatchFigures>::fail("no modwatch_before and modwatch_entry lines; output was " +
                                         quoted_excerpt(trim(output), 300));
  if (*coming < *before || *live < *coming)
    return Parsed<ModwatchFigures>::fail("TSCs out of order (before " + std::to_string(*before) + ", coming " +
                                         std::to_string(*coming) + ", live " + std::to_string(*live) + ")");
  ModwatchFigures f{*before, *coming, *live, 0, 0};
  if (agentless_before && agentless_coming) {
    if (*agentless_coming < *agentless_before) return Parsed<ModwatchFigures>::fail("agentless TSCs out of order");
    f.agentless_before = *agentless_before;
    f.agentless_coming = *agentless_coming;
  }
  return Parsed<ModwatchFigures>::ok(f);
}

namespace {

// `line` (trimmed) is `tsc CMD`'s summary, "tsc: <ticks> ticks, status <S>":
// records ticks and status unless already set (the first line wins).
// nullopt: not a tsc line; false: a malformed one.
std::optional<bool> take_tsc_line(std::string_view line, std::optional<uint64_t>& ticks,
                                  std::optional<uint64_t>& status) {
  if (!eat(line, "tsc: ")) return std::nullopt;
  auto t = take_u64(line);
  if (!t || !eat(line, " ticks, status ")) return false;
  auto st = take_u64(line);
  if (!st || !trim(line).empty()) return false;
  if (!ticks) ticks = t, status = st;
  return true;
}

}  // namespace

Parsed<TimedDd> parse_timed_dd(std::string_view output) {
  std::optional<uint64_t> ticks, status, in, out;
  for (std::string_view raw : lines_of(output)) {
    const std::string_view line = trim(raw);
    if (auto tsc = take_tsc_line(line, ticks, status)) {
      if (!*tsc) return Parsed<TimedDd>::fail("malformed tsc line: " + quoted_excerpt(line));
      continue;
    }
    std::string_view rest = line;
    auto full = take_u64(rest);
    if (!full || !eat(rest, "+")) continue;
    auto partial = take_u64(rest);
    if (!partial || (rest != " records in" && rest != " records out")) continue;
    if (*partial != 0) return Parsed<TimedDd>::fail("dd copied a partial record: " + quoted_excerpt(line));
    std::optional<uint64_t>& records = rest == " records in" ? in : out;
    if (!records) records = full;
  }
  const std::string shown = "; output was " + quoted_excerpt(trim(output), 300);
  if (!ticks || !status) return Parsed<TimedDd>::fail("no 'tsc: <N> ticks, status <S>' line (did tsc run?)" + shown);
  if (*status != 0) return Parsed<TimedDd>::fail("dd exited with status " + std::to_string(*status) + shown);
  if (!in || !out) return Parsed<TimedDd>::fail("no '<N>+0 records in/out' lines from dd" + shown);
  if (*in != *out)
    return Parsed<TimedDd>::fail("dd read " + std::to_string(*in) + " records but wrote " + std::to_string(*out) +
                                 shown);
  return Parsed<TimedDd>::ok(TimedDd{*ticks, *in});
}

Parsed<DbgshLogFigures> parse_dbgsh_log_bench(std::string_view output) {
  std::optional<uint64_t> ticks, status, bytes, lost;
  for (std::string_view raw : lines_of(output)) {
    std::string_view line = trim(raw);
    std::optional<uint64_t>* slot = nullptr;
    if (auto tsc = take_tsc_line(line, ticks, status)) {
      if (!*tsc) return Parsed<DbgshLogFigures>::fail("malformed tsc line: " + quoted_excerpt(line));
      continue;
    } else if (eat(line, "dbgsh_log_bytes")) {
      slot = &bytes;
    } else if (eat(line, "dbgsh_log_lost")) {
      slot = &lost;
    } else {
      continue;
    }
    auto v = take_u64(line);
    if (!v || !trim(line).empty()) return Parsed<DbgshLogFigures>::fail("malformed line: " + quoted_excerpt(trim(raw)));
    if (!*slot) *slot = v;
  }
  if (!ticks || !status)
    return Parsed<DbgshLogFigures>::fail("no 'tsc: <N> ticks, status <S>' line (did tsc run?); output was " +
                                         quoted_excerpt(trim(output), 300));
  if (*status != 0)
    return Parsed<DbgshLogFigures>::fail("`dbgsh -c log` exited with status " + std::to_string(*status) +
                                         "; output was " + quoted_excerpt(trim(output), 300));
  if (!bytes)
    return Parsed<DbgshLogFigures>::fail("no 'dbgsh_log_bytes <N>' line; output was " +
                                         quoted_excerpt(trim(output), 300));
  if (!lost || *lost == 0)
    return Parsed<DbgshLogFigures>::fail(
        "the log program reported no bytes lost to wrap-around: the ring was not full (did the log fill run?)");
  return Parsed<DbgshLogFigures>::ok(DbgshLogFigures{*ticks, *bytes, *lost});
}

Parsed<DomtestFigures> parse_domtest_figures(std::string_view vmm_log) {
  std::optional<uint64_t> sendint, buf4k, buf64k, failed;
  for (std::string_view l : lines_of(vmm_log)) {
    std::string_view p = trim(l);
    if (!eat(p, "thinvisor: domtest: ")) continue;
    if (eat(p, "figure ")) {
      std::string_view name = p.substr(0, p.find(' '));
      std::optional<uint64_t>* slot = name == "msgsendint_ticks"       ? &sendint
                                      : name == "msgsendbuf_4k_ticks"  ? &buf4k
                                      : name == "msgsendbuf_64k_ticks" ? &buf64k
                                                                       : nullptr;
      if (!slot) continue;  // a figure tvbench does not report
      p.remove_prefix(name.size());
      auto v = take_u64(p);
      if (!v || !trim(p).empty())
        return Parsed<DomtestFigures>::fail("malformed domain self-test line: " + quoted_excerpt(l));
      if (!*slot) *slot = v;
      continue;
    }
    // "P passed, F failed; ..."
    if (failed || !take_u64(p) || !eat(p, " passed, ")) continue;
    if (auto f = take_u64(p); f && eat(p, " failed")) failed = f;
  }
  std::string missing;
  if (!sendint) missing += " msgsendint_ticks";
  if (!buf4k) missing += " msgsendbuf_4k_ticks";
  if (!buf64k) missing += " msgsendbuf_64k_ticks";
  if (!missing.empty())
    return Parsed<DomtestFigures>::fail(
        "the VMM log lacks the domain self-test figure(s):" + missing +
        " ('thinvisor: domtest: figure <name> <N>'; was the VMM started with selftest.domains, and did "
        "'vmmcall call domain_selftest' run?)");
  return Parsed<DomtestFigures>::ok(DomtestFigures{*sendint, *buf4k, *buf64k, failed});
}

Parsed<RunReport> parse_run_report(std::string_view vmm_log) {
  std::vector<std::string_view> lines = lines_of(vmm_log);
  std::optional<RunReport> last;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (!eat(l, "thinvisor: run report: ")) continue;
    auto total = take_u64(l);
    if (!total || trim(l) != "VM exits") continue;  // other report lines (memory, integrity, tsc)
    RunReport r;
    r.total_exits = *total;
    for (size_t j = i + 1; j < lines.size(); ++j) {
      std::string_view e = lines[j];
      if (!eat(e, "thinvisor:")) break;
      e = trim(e);
      if (!eat(e, "exits ")) break;
      e = trim(e);
      size_t sp = e.find_first_of(" \t");
      if (sp == std::string_view::npos)
        return Parsed<RunReport>::fail("malformed run-report line: " + quoted_excerpt(lines[j]));
      std::string reason(e.substr(0, sp));
      std::string_view rest = e.substr(sp);
      auto count = take_u64(rest);
      if (!count || !trim(rest).empty())
        return Parsed<RunReport>::fail("malformed run-report line: " + quoted_excerpt(lines[j]));
      r.exits.emplace_back(std::move(reason), *count);
    }
    last = std::move(r);
  }
  if (!last)
    return Parsed<RunReport>::fail(
        "no 'thinvisor: run report: N VM exits' in the VMM log (the guest did not power off "
        "through the ACPI port the VMM watches, or the VMM stopped before the report)");
  return Parsed<RunReport>::ok(std::move(*last));
}

Parsed<uint64_t> parse_vmm_reserved_kib(std::string_view vmm_log) {
  std::optional<uint64_t> from_report;
  for (std::string_view l : lines_of(vmm_log)) {
    std::string_view p = l;
    if (eat(p, "thinvisor: VMM memory reserved:")) {
      auto v = take_u64(p);
      if (!v || !eat(p, " KiB")) return Parsed<uint64_t>::fail("malformed VMM memory line: " + quoted_excerpt(l));
      return Parsed<uint64_t>::ok(*v);
    }
    p = l;
    if (!from_report && eat(p, "thinvisor: run report: VMM memory reserved")) {
      auto v = take_u64(p);
      if (v && eat(p, " KiB")) from_report = v;
    }
  }
  if (from_report) return Parsed<uint64_t>::ok(*from_report);
  return Parsed<uint64_t>::fail("no 'thinvisor: VMM memory reserved: <K> KiB' line in the VMM log");
}

Parsed<uint64_t> parse_vmm_startup_ticks(std::string_view vmm_log) {
  constexpr std::string_view kKey = "thinvisor: VMM start-up:";
  constexpr std::string_view kTail = "TSC ticks from the multiboot entry to the first VMRUN";
  for (std::string_view l : lines_of(vmm_log)) {
    std::string_view p = trim(l);
    if (!eat(p, kKey)) continue;
    auto v = take_u64(p);
    if (!v || trim(p) != kTail) return Parsed<uint64_t>::fail("malformed VMM start-up line: " + quoted_excerpt(l));
    return Parsed<uint64_t>::ok(*v);
  }
  return Parsed<uint64_t>::fail(
      "no 'thinvisor: VMM start-up: <N> TSC ticks from the multiboot entry to the first VMRUN' line in the VMM "
      "log (the VMM never reached its first VMRUN, or predates that measurement in vmm/virt/svm/svm_vcpu.cpp)");
}

Parsed<VmmPool> parse_vmm_ready_pool(std::string_view vmm_log) {
  constexpr std::string_view kKey = "thinvisor: VMM ready: pool used";
  for (std::string_view l : lines_of(vmm_log)) {
    std::string_view p = trim(l);
    if (!eat(p, kKey)) continue;
    auto used = take_u64(p);
    std::optional<uint64_t> total;
    if (used && eat(p, " KiB of")) total = take_u64(p);
    if (!total || !eat(p, " KiB") || *used > *total)
      return Parsed<VmmPool>::fail("malformed VMM ready line: " + quoted_excerpt(l));
    return Parsed<VmmPool>::ok(VmmPool{*used, *total});
  }
  return Parsed<VmmPool>::fail(
      "no 'thinvisor: VMM ready: pool used <U> KiB of <T> KiB' line in the VMM log (the VMM stopped before its "
      "page pool was set up, or the run was cut short)");
}

// --- lines of code ------------------------------------------------------------------

uint64_t count_code_lines(std::string_view src) {
  uint64_t count = 0;
  bool in_block = false;
  for (std::string_view line : lines_of(src)) {
    bool code = false;
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      char n = i + 1 < line.size() ? line[i + 1] : '\0';
      if (in_block) {
        if (c == '*' && n == '/') in_block = false, ++i;
        continue;
      }
      if (quote) {
        if (c == '\\')
          ++i;
        else if (c == quote)
          quote = 0;
        continue;
      }
      if (c == '/' && n == '/') break;
      if (c == '/' && n == '*') {
        in_block = true, ++i;
        continue;
      }
      if (c == '"' || c == '\'') quote = c;
      if (!is_space(c) && c != '\r' && c != '\f' && c != '\v') code = true;
    }
    if (code) ++count;
  }
  return count;
}

bool is_source_file(std::string_view f) {
  for (std::string_view ext : {".c", ".cc", ".cpp", ".h", ".hpp", ".S", ".s", ".ld"})
    if (f.size() > ext.size() && f.substr(f.size() - ext.size()) == ext) return true;
  return false;
}

// --- results ------------------------------------------------------------------------

const Figure* Results::find(std::string_view name) const {
  for (const Figure& f : figures)
    if (f.name == name) return &f;
  return nullptr;
}

void Results::set(std::string_view name, double value) {
  for (Figure& f : figures)
    if (f.name == name) {
      f.value = value;
      return;
    }
  figures.push_back(Figure{std::string(name), value});
}

// --- budget -------------------------------------------------------------------------

Parsed<std::vector<BudgetLine>> parse_budget(std::string_view text, std::string_view source_name) {
  using R = Parsed<std::vector<BudgetLine>>;
  std::vector<BudgetLine> out;
  int lineno = 0;
  for (std::string_view raw : lines_of(text)) {
    ++lineno;
    auto fail = [&](const std::string& what) {
      return R::fail(std::string(source_name) + ":" + std::to_string(lineno) + ": " + what +
                     " (want '<figure> <= <number>   # comment citing the issue')");
    };
    size_t hash = raw.find('#');
    std::string_view content = trim(raw.substr(0, hash));
    std::string_view comment = hash == std::string_view::npos ? std::string_view() : trim(raw.substr(hash + 1));
    if (content.empty()) continue;

    size_t i = 0;
    auto name_char = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-' || c == '.';
    };
    while (i < content.size() && name_char(content[i])) ++i;
    std::string name(content.substr(0, i));
    if (name.empty()) return fail("expected a figure name, got " + quoted_excerpt(content));
    std::string_view rest = trim(content.substr(i));
    size_t op_len = 0;
    while (op_len < rest.size() && std::string_view("<>=!").find(rest[op_len]) != std::string_view::npos) ++op_len;
    std::string_view op = rest.substr(0, op_len);
    if (op.empty())
      return fail(rest.empty() ? "'" + name + "' has no bar"
                               : "expected '<=' after '" + name + "', got " + quoted_excerpt(rest));
    if (op != "<=") return fail("only '<=' bars are supported, got '" + std::string(op) + "'");
    rest = trim(rest.substr(op_len));
    if (rest.empty()) return fail("missing number after '<='");
    size_t num_len = 0;
    while (num_len < rest.size() && !is_space(rest[num_len])) ++num_len;
    std::string num(rest.substr(0, num_len));
    std::string_view extra = trim(rest.substr(num_len));
    bool charset_ok = !num.empty() && (is_digit(num[0]) || num[0] == '.') &&
                      num.find_first_not_of("0123456789.eE+-") == std::string::npos;
    char* end = nullptr;
    errno = 0;
    double limit = charset_ok ? std::strtod(num.c_str(), &end) : 0;
    if (!charset_ok || end != num.c_str() + num.size() || errno != 0 || !std::isfinite(limit))
      return fail("'" + num + "' is not a number");
    if (!extra.empty())
      return fail("unexpected " + quoted_excerpt(extra) + " after the number (comments start with '#')");
    if (!(limit > 0)) return fail("the bar for '" + name + "' must be a positive number, got " + num);
    if (!find_figure(name)) {
      std::string why = "unknown figure '" + name + "'";
      if (std::string near = closest_figure(name); !near.empty()) why += " (did you mean '" + near + "'?)";
      why += "; known figures:";
      for (const FigureInfo& f : figure_catalog()) why += " " + std::string(f.name);
      return R::fail(std::string(source_name) + ":" + std::to_string(lineno) + ": " + why);
    }
    for (const BudgetLine& b : out)
      if (b.figure == name)
        return R::fail(std::string(source_name) + ":" + std::to_string(lineno) + ": duplicate bar for '" + name +
                       "' (first on line " + std::to_string(b.line) + ")");
    out.push_back(BudgetLine{name, limit, std::string(comment), lineno});
  }
  return R::ok(std::move(out));
}

const char* to_string(BudgetStatus s) {
  switch (s) {
    case BudgetStatus::Ok: return "ok";
    case BudgetStatus::Over: return "OVER BUDGET";
    case BudgetStatus::NotMeasured: return "not measured yet";
  }
  return "?";
}

std::vector<BudgetCheck> check_budget(const Results& r, const std::vector<BudgetLine>& budget) {
  std::vector<BudgetCheck> out;
  for (const BudgetLine& b : budget) {
    BudgetCheck c;
    c.bar = b;
    if (const Figure* f = r.find(b.figure)) {
      c.value = f->value;
      c.fraction = f->value / b.limit;
      c.status = f->value <= b.limit ? BudgetStatus::Ok : BudgetStatus::Over;
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool any_over(const std::vector<BudgetCheck>& checks) {
  return std::any_of(checks.begin(), checks.end(), [](const BudgetCheck& c) { return c.status == BudgetStatus::Over; });
}

std::string format_value(std::string_view figure, double value) {
  int d = decimals_of(figure);
  if (d < 0) return fmt("%.6g", value);
  char f[16];
  std::snprintf(f, sizeof f, "%%.%df", d);
  return fmt(f, value);
}

namespace {
// Whole bars in full ("3000000", not "3e+06"), others as written ("1.02").
std::string format_limit(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt("%.0f", v);
  return fmt("%.6g", v);
}
}  // namespace

std::vector<std::string> over_budget_messages(const std::vector<BudgetCheck>& checks) {
  std::vector<std::string> out;
  for (const BudgetCheck& c : checks) {
    if (c.status != BudgetStatus::Over) continue;
    std::string m = c.bar.figure + " = " + format_value(c.bar.figure, *c.value) + " > " + format_limit(c.bar.limit);
    if (!c.bar.comment.empty()) m += " (" + c.bar.comment + ")";
    out.push_back(std::move(m));
  }
  return out;
}

// --- writers --------------------------------------------------------------------------

namespace {

const BudgetCheck* check_for(const std::vector<BudgetCheck>& checks, std::string_view figure) {
  for (const BudgetCheck& c : checks)
    if (c.bar.figure == figure) return &c;
  return nullptr;
}

std::string percent(double fraction) {
  return fmt("%.1f%%", fraction * 100);
}

struct Table {
  std::vector<std::string> header;
  std::vector<bool> right;  // right-aligned column
  std::vector<std::vector<std::string>> rows;

  std::string render() const {
    std::vector<size_t> w(header.size());
    for (size_t i = 0; i < header.size(); ++i) w[i] = std::max<size_t>(header[i].size(), 3);
    for (const auto& r : rows)
      for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
    auto cell = [&](const std::string& s, size_t i) {
      std::string pad(w[i] - s.size(), ' ');
      return right[i] ? pad + s : s + pad;
    };
    std::string out = "|";
    for (size_t i = 0; i < header.size(); ++i) out += " " + cell(header[i], i) + " |";
    out += "\n|";
    for (size_t i = 0; i < header.size(); ++i)
      out += right[i] ? " " + std::string(w[i] - 1, '-') + ": |" : " :" + std::string(w[i] - 1, '-') + " |";
    out += "\n";
    for (const auto& r : rows) {
      out += "|";
      for (size_t i = 0; i < header.size(); ++i) out += " " + cell(i < r.size() ? r[i] : "", i) + " |";
      out += "\n";
    }
    return out;
  }
};

}  // namespace

std::string format_table(const Results& r, const std::vector<BudgetCheck>& checks) {
  Table t;
  t.header = {"figure", "value", "unit", "budget", "of budget", "status"};
  t.right = {false, true, false, true, true, false};
  for (const Figure& f : r.figures) {
    const FigureInfo* info = find_figure(f.name);
    std::vector<std::string> row = {f.name, format_value(f.name, f.value), info ? std::string(info->unit) : "", "", "",
                                    ""};
    if (const BudgetCheck* c = check_for(checks, f.name)) {
      row[3] = "<= " + format_limit(c->bar.limit);
      row[4] = percent(c->fraction);
      row[5] = to_string(c->status);
    }
    t.rows.push_back(std::move(row));
  }
  for (const BudgetCheck& c : checks) {
    if (c.status != BudgetStatus::NotMeasured) continue;
    const FigureInfo* info = find_figure(c.bar.figure);
    t.rows.push_back({c.bar.figure, "-", info ? std::string(info->unit) : "", "<= " + format_limit(c.bar.limit), "-",
                      to_string(c.status)});
  }
  for (const auto& [reason, n] : r.exits)
    t.rows.push_back({"exits: " + reason, std::to_string(n), "exits", "", "", ""});
  for (const auto& [dir, n] : r.loc) t.rows.push_back({"loc: " + dir, std::to_string(n), "lines", "", "", ""});
  return t.render();
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out;
}

std::string to_json(const Results& r, const std::vector<BudgetCheck>& checks) {
  auto q = [](std::string_view s) { return "\"" + json_escape(s) + "\""; };
  std::string o = "{\n";
  o += "  \"command\": " + q(r.command) + ",\n";
  o += "  \"notes\": [";
  for (size_t i = 0; i < r.notes.size(); ++i) o += (i ? ", " : "") + q(r.notes[i]);
  o += "],\n  \"figures\": {";
  for (size_t i = 0; i < r.figures.size(); ++i) {
    const Figure& f = r.figures[i];
    const FigureInfo* info = find_figure(f.name);
    o += std::string(i ? "," : "") + "\n    " + q(f.name) + ": {\"value\": " + json_number(f.value) +
         ", \"unit\": " + q(info ? info->unit : "") + ", \"description\": " + q(info ? info->description : "") + "}";
  }
  o += "\n  },\n  \"exits\": {";
  for (size_t i = 0; i < r.exits.size(); ++i)
    o += std::string(i ? ", " : "") + q(r.exits[i].first) + ": " + std::to_string(r.exits[i].second);
  o += "},\n  \"loc\": {";
  for (size_t i = 0; i < r.loc.size(); ++i)
    o += std::string(i ? ", " : "") + q(r.loc[i].first) + ": " + std::to_string(r.loc[i].second);
  o += "},\n  \"budget\": [";
  for (size_t i = 0; i < checks.size(); ++i) {
    const BudgetCheck& c = checks[i];
    o += std::string(i ? "," : "") + "\n    {\"figure\": " + q(c.bar.figure) +
         ", \"limit\": " + json_number(c.bar.limit) + ", \"value\": " + (c.value ? json_number(*c.value) : "null") +
         ", \"fraction\": " + (c.value ? json_number(c.fraction) : "null") + ", \"status\": " + q(to_string(c.status)) +
         ", \"comment\": " + q(c.bar.comment) + ", \"line\": " + std::to_string(c.bar.line) + "}";
  }
  o += std::string(checks.empty() ? "" : "\n  ") + "],\n";
  o += std::string("  \"within_budget\": ") + (any_over(checks) ? "false" : "true") + "\n}\n";
  return o;
}

std::string gnuplot_data(const std::vector<BudgetCheck>& checks) {
  std::string o = "# index label fraction color caption  (written by tvbench)\n";
  for (size_t i = 0; i < checks.size(); ++i) {
    const BudgetCheck& c = checks[i];
    unsigned color = c.status == BudgetStatus::Ok ? 0x2e8b57 : c.status == BudgetStatus::Over ? 0xcc2222 : 0x999999;
    std::string caption = c.value ? format_value(c.bar.figure, *c.value) + " / " + format_limit(c.bar.limit)
                                  : std::string("not measured yet");
    std::string label = c.bar.figure;
    for (char& ch : label)
      if (ch == '"') ch = '\'';
    o += std::to_string(i) + " \"" + label + "\" " + json_number(c.value ? c.fraction : 0) + " " +
         std::to_string(color) + " \"" + caption + "\"\n";
  }
  return o;
}

std::string gnuplot_script(const std::string& data_path, const std::string& png_path, const std::string& terminal,
                           const std::vector<BudgetCheck>& checks) {
  auto sq = [](const std::string& s) {  // gnuplot single-quoted string: '' is a literal quote
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  double ymax = 1.25;
  for (const BudgetCheck& c : checks)
    if (c.value) ymax = std::max(ymax, c.fraction * 1.15);
  size_t bars = std::max<size_t>(checks.size(), 1);
  std::string s;
  s += "set terminal " + terminal + " size " + std::to_string(std::max<size_t>(640, 230 * bars + 160)) + ",480\n";
  s += "set output " + sq(png_path) + "\n";
  s += "set title 'thinvisor benchmark: each budgeted figure as a fraction of its budget'\n";
  s += "set ylabel 'measured / budget'\n";
  s += "set yrange [0:" + fmt("%.3f", ymax) + "]\n";
  s += "set xrange [-0.6:" + fmt("%.1f", double(bars) - 0.4) + "]\n";
  s += "set style fill solid 0.85 border -1\n";
  s += "set boxwidth 0.6\n";
  s += "set grid ytics\n";
  s += "set key top right\n";
  s += "set xtics nomirror\n";
  s += "set bmargin 5\n";
  s += "set termoption noenhanced\n";  // figure names have underscores
  // x labels: the figure name, then "measured / budget" (or "not measured yet").
  s += "plot " + sq(data_path) +
       " using 1:3:4:xtic(stringcolumn(2).\"\\n\".stringcolumn(5)) with boxes lc rgb variable notitle, \\\n";
  s += "     1 with lines dashtype 2 linewidth 2 linecolor rgb '#cc2222' title 'budget'\n";
  return s;
}

// --- paths --------------------------------------------------------------------------

std::string repo_relative(std::string_view text, std::string_view source_root, std::string_view build_root) {
  struct Root {
    std::string_view abs;
    std::string shown;  // "" = the source root itself
  };
  std::vector<Root> roots;
  auto under = [](std::string_view path, std::string_view root) {
    return !root.empty() && path.size() > root.size() && path.substr(0, root.size()) == root &&
           path[root.size()] == '/';
  };
  if (!build_root.empty() && build_root != "/") {
    std::string shown = under(build_root, source_root) ? std::string(build_root.substr(source_root.size() + 1))
                        : build_root == source_root    ? std::string()
                                                       : std::string("<build>");
    roots.push_back(Root{build_root, shown});
  }
  if (!source_root.empty() && source_root != "/") roots.push_back(Root{source_root, ""});
  // Longest root first, so an in-tree build tree wins over the source tree.
  std::sort(roots.begin(), roots.end(), [](const Root& a, const Root& b) { return a.abs.size() > b.abs.size(); });
  auto starts_path = [](char c) { return std::string_view(" \t=,:'\"").find(c) != std::string_view::npos; };
  auto ends_path = [](char c) { return std::string_view(" \t,:'\";").find(c) != std::string_view::npos; };
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool replaced = false;
    if (i == 0 || starts_path(text[i - 1])) {
      for (const Root& r : roots) {
        if (text.substr(i, r.abs.size()) != r.abs) continue;
        size_t after = i + r.abs.size();
        if (after < text.size() && text[after] == '/') {
          // "<root>/rest": drop the root (source) or show it relative.
          out += r.shown.empty() ? std::string() : r.shown + "/";
          i = after + 1;
        } else if (after == text.size() || ends_path(text[after])) {
          out += r.shown.empty() ? std::string(".") : r.shown;
          i = after;
        } else {
          continue;  // "/src-other": a different directory
        }
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// --- docs ---------------------------------------------------------------------------

std::string doc_section(const Results& r, const std::vector<BudgetCheck>& checks) {
  std::string s;
  s += "Generated by tvbench (tools/bench/tvbench.cpp); do not edit by hand. Command:\n\n";
  s += "```\n" + r.command + "\n```\n\n";
  s += format_table(r, checks);
  if (!r.notes.empty()) {
    s += "\n";
    for (const std::string& n : r.notes) s += "- " + n + "\n";
  }
  return s;
}

Parsed<std::string> replace_doc_section(std::string_view doc, std::string_view body) {
  using R = Parsed<std::string>;
  std::vector<std::string_view> lines = lines_of(doc);
  int begin = -1, end = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view t = trim(lines[i]);  // a marker is a line of its own; mentions in prose are text
    bool has_begin = t == kDocBegin;
    bool has_end = t == kDocEnd;
    if (has_begin) {
      if (begin >= 0) return R::fail("line " + std::to_string(i + 1) + ": second '" + std::string(kDocBegin) + "'");
      begin = int(i);
    }
    if (has_end) {
      if (end >= 0) return R::fail("line " + std::to_string(i + 1) + ": second '" + std::string(kDocEnd) + "'");
      end = int(i);
    }
  }
  if (begin < 0) return R::fail("no '" + std::string(kDocBegin) + "' line");
  if (end < 0) return R::fail("no '" + std::string(kDocEnd) + "' line");
  if (end < begin) return R::fail("'" + std::string(kDocEnd) + "' comes before '" + std::string(kDocBegin) + "'");
  std::string out;
  for (int i = 0; i <= begin; ++i) out += std::string(lines[size_t(i)]) + "\n";
  out += body;
  if (!body.empty() && body.back() != '\n') out += "\n";
  for (size_t i = size_t(end); i < lines.size(); ++i) out += std::string(lines[i]) + "\n";
  if (!doc.empty() && doc.back() != '\n') out.pop_back();  // keep a missing final newline missing
  return R::ok(std::move(out));
}

}  // namespace tv::bench
