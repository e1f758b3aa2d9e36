// bench_logic: the hardware-free half of tvbench (tools/bench/tvbench.cpp).
//
//   * parsers for the figures the guest and the VMM print (guest console
//     transcript, hcbench output, VMM debugcon log);
//   * the catalog of figure names tvbench knows (measured now or planned);
//   * the budget file (bench/budget.txt) parser and the budget check;
//   * lines-of-code counting (non-blank lines that are not only comments);
//   * writers: the results table (Markdown, also printed on the terminal),
//     JSON, gnuplot data + script, and the generated section of
//     docs/performance.md.
//
// Nothing here starts QEMU or touches files; tvbench does that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tv::bench {

// A value or a human-readable error (std::expected is C++23).
template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // non-empty iff !value

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

// --- figure catalog -----------------------------------------------------------

struct FigureInfo {
  std::string_view name;
  std::string_view unit;
  std::string_view description;
  bool integer;  // printed without decimals
};

// Every figure name tvbench knows, measured or planned (see is_planned()).
// A budget line naming anything else is an error.
const std::vector<FigureInfo>& figure_catalog();
const FigureInfo* find_figure(std::string_view name);
// Known but not measured by any code yet (none today: a figure a later issue
// budgets before its code exists goes here).
bool is_planned(std::string_view name);
// Closest catalog name (for "did you mean"), or "" if nothing is close.
std::string closest_figure(std::string_view name);

// --- parsers ----------------------------------------------------------------

// The guest's boot-to-init measurement point: the first
// "thinvisor-guest: init-tsc <N>" line of the console transcript.
Parsed<uint64_t> parse_init_tsc(std::string_view transcript);

// `hcbench N` output: "hcbench: loop X", "hcbench: hypercall Y",
// "hcbench: cpuid Z", "hcbench: unknown U" (TSC ticks per call; U is a
// hypercall with a service number the VMM does not know). All four must be
// present. "hcbench: domain_service D" (the domain-hosted echo_domain) is
// optional: hcbench prints it only when the VMM has that service.
struct HcbenchFigures {
  uint64_t loop = 0;
  uint64_t hypercall = 0;
  uint64_t cpuid = 0;
  uint64_t unknown = 0;
  std::optional<uint64_t> domain_service;
};
Parsed<HcbenchFigures> parse_hcbench(std::string_view output);

// `hcbench --dbgsh` output (one raw-protocol dbgsh session):
//   hcbench: dbgsh_char <ticks per call>   hcbench: dbgsh_calls <calls>
//   hcbench: dbgsh_output <chars>          hcbench: dbgsh_total <ticks>
//   hcbench: dbgsh_said "<what the shell wrote, C-escaped>"
// All five must be present; `said` keeps the escapes.
struct DbgshFigures {
  uint64_t per_call = 0;
  uint64_t calls = 0;
  uint64_t output_chars = 0;
  uint64_t total = 0;
  std::string said;
};
Parsed<DbgshFigures> parse_dbgsh_bench(std::string_view output);

// `dbgsh -c log` of a full log ring, timed in the guest by `tsc CMD`
// (guest/tools/tsc.c) with the log's text in a file, then that file's size
// and the log program's lost-bytes line:
//   tsc: <ticks> ticks, status <S>
//   dbgsh_log_bytes <B>
//   dbgsh_log_lost <L>      ("log: L older bytes were lost to wrap-around")
// All three must be present, S must be 0, and L > 0 (a ring that has not
// wrapped is not a full one).
struct DbgshLogFigures {
  uint64_t ticks = 0;
  uint64_t bytes = 0;
  uint64_t lost = 0;
};
Parsed<DbgshLogFigures> parse_dbgsh_log_bench(std::string_view output);

// A `dd` timed in the guest by `tsc` (guest/tools/tsc.c), busybox dd's
// summary on stderr:
//   <F>+<P> records in
//   <F>+<P> records out
//   tsc: <ticks> ticks, status <S>
// All three lines must be present (the first of each wins), S must be 0 and
// both record counts whole (P = 0) and equal. `records` is F.
struct TimedDd {
  uint64_t ticks = 0;
  uint64_t records = 0;
};
Parsed<TimedDd> parse_timed_dd(std::string_view output);

// `debugreg bench N` (guest/tools/debugreg.c: kernel-mode calls through
// tvdebugreg.ko, timed with RDTSC around N calls each):
//   debugreg_set_kernel <ticks per set_debugreg call>
//   debugreg_nop_kernel <ticks per nop call>
// Both must be present and non-zero.
struct DebugregFigures {
  uint64_t set = 0;
  uint64_t nop = 0;
};
Parsed<DebugregFigures> parse_debugreg_bench(std::string_view output);

// The module watch's agent latency (docs/module-watch.md): the guest TSC just
// before `insmod thinvisor_testmod.ko`, then the guest tool `modules`' line
// for it (guest/tools/modules.c), with the VMM's TSC of the load's COMING
// and (latest) LIVE report:
//   modwatch_before <tsc>
//   modwatch_entry thinvisor_testmod <base> <size> live agent <first_tsc> <last_tsc>
// The entry must be live and seen by the agent, and before <= first <= last.
struct ModwatchFigures {
  uint64_t before = 0;
  uint64_t coming = 0;            // first_tsc
  uint64_t live = 0;              // last_tsc
  uint64_t agentless_before = 0;  // 0: not measured (no modwatch_agentless_* lines)
  uint64_t agentless_coming = 0;
};
Parsed<ModwatchFigures> parse_modwatch_bench(std::string_view output);

// The VMM's domain self-test (vmm/domain/selftest.cpp, run by the
// domain_selftest hypercall) in its log:
//   thinvisor: domtest: figure msgsendint_ticks N
//   thinvisor: domtest: figure msgsendbuf_4k_ticks N
//   thinvisor: domtest: figure msgsendbuf_64k_ticks N
//   thinvisor: domtest: P passed, F failed; ...
// (TSC ticks per call, averaged by the VMM). The three figures must be
// present; the first of each wins. `failed` is F of the summary, if any.
struct DomtestFigures {
  uint64_t msgsendint = 0;
  uint64_t msgsendbuf_4k = 0;
  uint64_t msgsendbuf_64k = 0;
  std::optional<uint64_t> failed;
};
Parsed<DomtestFigures> parse_domtest_figures(std::string_view vmm_log);

// The VMM's end-of-run report in its log:
//   thinvisor: run report: N VM exits
//   thinvisor:   exits <reason> <count>      (one per reason with count != 0)
// The last report in the log wins (the log may hold several runs' worth of
// status output; the power-off report is the final one).
struct RunReport {
  uint64_t total_exits = 0;
  std::vector<std::pair<std::string, uint64_t>> exits;  // in log order
};
Parsed<RunReport> parse_run_report(std::string_view vmm_log);

// "thinvisor: VMM memory reserved: <K> KiB at ..." (boot), or failing that the
// run report's "thinvisor: run report: VMM memory reserved <K> KiB". In KiB.
Parsed<uint64_t> parse_vmm_reserved_kib(std::string_view vmm_log);

// The VMM's start-up cost, printed once just before its first VMRUN:
//   thinvisor: VMM start-up: <N> TSC ticks from the multiboot entry to the first VMRUN
// (under -icount, N is instructions). The first such line wins.
Parsed<uint64_t> parse_vmm_startup_ticks(std::string_view vmm_log);

// The VMM's page pool once it is set up, just before the guest starts:
//   thinvisor: VMM ready: pool used <U> KiB of <T> KiB, <F> of <P> pages free
// (the first such line wins; U <= T). In KiB.
struct VmmPool {
  uint64_t used_kib = 0;
  uint64_t total_kib = 0;
};
Parsed<VmmPool> parse_vmm_ready_pool(std::string_view vmm_log);

// --- lines of code ------------------------------------------------------------

// Non-blank lines that are not only comments, for C-family sources (C, C++,
// preprocessed assembly .S, linker scripts): // and /* */ comments, with
// string and character literals respected. Preprocessor lines count as code.
uint64_t count_code_lines(std::string_view source);
// Whether a file name is counted as source (.c .cc .cpp .h .hpp .S .s .ld).
bool is_source_file(std::string_view filename);

// --- results -----------------------------------------------------------------

struct Figure {
  std::string name;  // catalog name
  double value = 0;
};

struct Results {
  std::vector<Figure> figures;                          // catalog names, in order
  std::vector<std::pair<std::string, uint64_t>> exits;  // VM exits by reason
  std::vector<std::pair<std::string, uint64_t>> loc;    // "vmm/arch", ..., "lib"
  std::string command;                                  // the tvbench invocation
  std::vector<std::string> notes;                       // free text (QEMU version, kernel)

  const Figure* find(std::string_view name) const;
  void set(std::string_view name, double value);  // adds or replaces
};

// --- budget -------------------------------------------------------------------

struct BudgetLine {
  std::string figure;
  double limit = 0;
  std::string comment;  // text after '#', trimmed
  int line = 0;         // 1-based line in the budget file
};

// Parses the budget file text. Format, one bar per line:
//   <figure-name> <= <number>   # comment citing the issue
// Blank lines and lines starting with '#' are ignored. Errors (first one
// wins) are "<source_name>:<line>: <what>": malformed lines, operators other
// than "<=", bad numbers, unknown figure names, duplicate figures.
Parsed<std::vector<BudgetLine>> parse_budget(std::string_view text, std::string_view source_name = "budget");

enum class BudgetStatus { Ok, Over, NotMeasured };
const char* to_string(BudgetStatus s);

struct BudgetCheck {
  BudgetLine bar;
  BudgetStatus status = BudgetStatus::NotMeasured;
  std::optional<double> value;  // the measured figure, if any
  double fraction = 0;          // value / limit (0 when not measured)
};

std::vector<BudgetCheck> check_budget(const Results& r, const std::vector<BudgetLine>& budget);
bool any_over(const std::vector<BudgetCheck>& checks);
// One line per figure over budget: "boot_ratio = 1.05 > 1.02 (comment)".
std::vector<std::string> over_budget_messages(const std::vector<BudgetCheck>& checks);

// --- writers ------------------------------------------------------------------

// A figure's value as printed (integers without decimals, ratios with 4).
std::string format_value(std::string_view figure, double value);

// The results table (Markdown pipe table with aligned columns): every figure
// with its unit, budget, fraction of budget and status; budgeted figures not
// measured yet; then VM exits by reason and lines of code per directory.
std::string format_table(const Results& r, const std::vector<BudgetCheck>& checks);

std::string to_json(const Results& r, const std::vector<BudgetCheck>& checks);
std::string json_escape(std::string_view s);

// gnuplot input: one row per budget bar: index, "label", fraction, color, "caption".
std::string gnuplot_data(const std::vector<BudgetCheck>& checks);
// gnuplot script drawing `data_path` (gnuplot_data(checks)) as bars
// (fraction of budget, with the budget line at 1.0) into `png_path` with
// `terminal` ("pngcairo" or "png").
std::string gnuplot_script(const std::string& data_path, const std::string& png_path, const std::string& terminal,
                           const std::vector<BudgetCheck>& checks);

// --- paths as the generated doc shows them -----------------------------------

// `text` (a command line, a QEMU argument, a note) with every absolute path
// under the source tree made relative to it ("/src/docs/x.md" -> "docs/x.md",
// "/src" alone -> ".") and every path under the build tree shown under the
// build tree's place in the source tree ("build/...") or, for a build tree
// outside the source tree, as "<build>/...". Both roots are absolute and
// normalized (no trailing '/'; "" = no such root). A root matches only as a
// whole path component sequence that starts the text or follows one of
// " \t=,:'\"" (as in "file:/b/x.log" or "-initrd /k,/b/i.gz"), so other
// paths, such as /boot/vmlinuz-*, are left alone.
std::string repo_relative(std::string_view text, std::string_view source_root, std::string_view build_root);

// --- docs/performance.md ------------------------------------------------------

inline constexpr std::string_view kDocBegin = "<!-- bench:begin -->";
inline constexpr std::string_view kDocEnd = "<!-- bench:end -->";

// The generated section's body (between the markers): command, table, notes.
std::string doc_section(const Results& r, const std::vector<BudgetCheck>& checks);
// `doc` with everything between the marker lines replaced by `body`. A marker
// is a line holding only the marker (mentions inside other lines are text).
// Errors if a marker line is missing, repeated, or out of order.
Parsed<std::string> replace_doc_section(std::string_view doc, std::string_view body);

}  // namespace tv::bench
