// Unit tests for bench_logic: parsing the guest transcript, hcbench output and
// the VMM log; the budget file; the budget check; lines of code; the writers
// (table, JSON, gnuplot) and the docs/performance.md section rewrite.
#include "bench_logic.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace tv::bench;

// A VMM log as thinvisor prints it (abridged), ending with the power-off report.
constexpr const char* kVmmLog =
    "thinvisor: thinvisor 0.1.0 starting\n"
    "thinvisor: command line: /b/vmm/thinvisor.bin -- console=ttyS0 panic=-1\n"
    "thinvisor: VMM memory reserved: 4096 KiB at 200000-600000 (image 52 KiB, page pool 3840 KiB)\n"
    "thinvisor: guest e820: 0000000000000000-000000000009fc00 type 1\n"
    "thinvisor: SVM enabled\n"
    "thinvisor: VMRUN: entering the guest at rip 1000000 (vmcb 24a000, nested cr3 241000)\n"
    "thinvisor: VMM start-up: 2612345 TSC ticks from the multiboot entry to the first VMRUN\n"
    "thinvisor: guest powers off (port 604 <- 2001)\n"
    "thinvisor: run report (guest power-off)\n"
    "thinvisor: run report: 5097 VM exits\n"
    "thinvisor:   exits cpuid              3088\n"
    "thinvisor:   exits msr-read           3\n"
    "thinvisor:   exits msr-write          2\n"
    "thinvisor:   exits io                 3\n"
    "thinvisor:   exits hypercall          2001\n"
    "thinvisor: run report: VMM memory reserved 4096 KiB (pool used 68 KiB)\n"
    "thinvisor: run report: integrity intact (fnv1a64 204fbcce1f4df31f over 57344 bytes)\n"
    "thinvisor: run report: tsc 6245206822\n";

constexpr const char* kTranscript =
    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\n"
    "[    0.000000] Linux version 6.1.0-56-amd64\n"
    "[    1.234567] Run /init as init process\n"
    "thinvisor-guest: init-tsc 6123456789\n"
    "thinvisor-guest: ready\n"
    "~ # \n";

Results sample_results() {
  Results r;
  r.command = "tvbench --check";
  r.set("boot_ratio", 1.0123);
  r.set("hypercall_over_cpuid", 1.01);
  r.set("vmm_reserved_mib", 4);
  r.set("vmm_image_bytes", 61440);
  r.exits = {{"cpuid", 3088}, {"hypercall", 2001}};
  r.loc = {{"vmm/arch", 300}, {"lib", 1200}};
  return r;
}

std::vector<BudgetLine> budget_of(const std::string& text) {
  auto b = parse_budget(text, "budget.txt");
  EXPECT_TRUE(b) << b.error;
  return b ? *b : std::vector<BudgetLine>{};
}

constexpr const char* kBudget =
    "# thinvisor budget\n"
    "boot_ratio <= 1.02   # issue: boot overhead\n"
    "vmm_reserved_mib <= 16   # issue: memory\n"
    "hypercall_over_cpuid <= 1.3   # issue: hypercalls\n"
    "msgsendint_instructions <= 2000   # issue: message interrupts (not implemented yet)\n";

// --- init-tsc ----------------------------------------------------------------------

TEST(InitTsc, FoundInTranscript) {
  auto v = parse_init_tsc(kTranscript);
  ASSERT_TRUE(v) << v.error;
  EXPECT_EQ(*v, 6123456789u);
}

TEST(InitTsc, FirstOccurrenceWinsAndCarriageReturnsAreTolerated) {
  auto v = parse_init_tsc("x\r\nthinvisor-guest: init-tsc 42\r\nthinvisor-guest: init-tsc 7\r\n");
  ASSERT_TRUE(v) << v.error;
  EXPECT_EQ(*v, 42u);
}

TEST(InitTsc, AfterKernelNoiseOnTheSameLine) {
  auto v = parse_init_tsc("[    1.0] random: crng initthinvisor-guest: init-tsc 99\n");
  ASSERT_TRUE(v) << v.error;
  EXPECT_EQ(*v, 99u);
}

TEST(InitTsc, MissingIsAClearError) {
  auto v = parse_init_tsc("Linux version 6.1\nthinvisor-guest: ready\n");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error.find("init-tsc"), std::string::npos) << v.error;
  EXPECT_NE(v.error.find("guest/init/init"), std::string::npos) << v.error;
}

TEST(InitTsc, MalformedNumber) {
  EXPECT_FALSE(parse_init_tsc("thinvisor-guest: init-tsc \n"));
  EXPECT_FALSE(parse_init_tsc("thinvisor-guest: init-tsc 12abc\n"));
  EXPECT_FALSE(parse_init_tsc("thinvisor-guest: init-tsc 99999999999999999999999\n"));  // > 2^64
  auto v = parse_init_tsc("thinvisor-guest: init-tsc oops");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error.find("malformed"), std::string::npos) << v.error;
}

// --- hcbench -----------------------------------------------------------------------

TEST(Hcbench, AllFourFigures) {
  auto h = parse_hcbench("hcbench: loop 4\nhcbench: hypercall 1639\nhcbench: cpuid 1619\nhcbench: unknown 1702\n");
  ASSERT_TRUE(h) << h.error;
  EXPECT_EQ(h->loop, 4u);
  EXPECT_EQ(h->hypercall, 1639u);
  EXPECT_EQ(h->cpuid, 1619u);
  EXPECT_EQ(h->unknown, 1702u);
}

TEST(Hcbench, OrderAndSurroundingNoiseDoNotMatter) {
  auto h = parse_hcbench(
      "noise\r\n  hcbench: unknown 11\r\nhcbench: cpuid 10\r\nhcbench: loop 1\nother\nhcbench: hypercall 12");
  ASSERT_TRUE(h) << h.error;
  EXPECT_EQ(h->cpuid, 10u);
  EXPECT_EQ(h->hypercall, 12u);
  EXPECT_EQ(h->unknown, 11u);
}

TEST(Hcbench, MissingFigureIsNamed) {
  auto h = parse_hcbench("hcbench: loop 4\nhcbench: cpuid 1619\nhcbench: unknown 1702\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("lacks the figure(s): hypercall;"), std::string::npos) << h.error;
  EXPECT_NE(h.error.find("output was"), std::string::npos) << h.error;
}

// An hcbench that predates the figure (or the VMM answered the unknown number
// with something else, so hcbench stopped: see the next test) names it.
TEST(Hcbench, MissingUnknownFigureIsNamed) {
  auto h = parse_hcbench("hcbench: loop 4\nhcbench: hypercall 1639\nhcbench: cpuid 1619\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("lacks the figure(s): unknown;"), std::string::npos) << h.error;
}

TEST(Hcbench, UnknownServiceAnsweredIsReported) {
  auto h =
      parse_hcbench("hcbench: service number 0x7fffffff is not unknown to the VMM (rax 0, want 0xffffffffffffffff)\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("is not unknown to the VMM"), std::string::npos) << h.error;
}

TEST(Hcbench, MalformedUnknownFigure) {
  auto h = parse_hcbench("hcbench: loop 4\nhcbench: hypercall 1\nhcbench: cpuid 1\nhcbench: unknown -1\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("malformed hcbench line: 'hcbench: unknown -1'"), std::string::npos) << h.error;
}

TEST(Hcbench, NotUnderThinvisorIsReported) {
  auto h = parse_hcbench("hcbench: not running under thinvisor\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("not running under thinvisor"), std::string::npos) << h.error;
}

TEST(Hcbench, EmptyOutput) {
  auto h = parse_hcbench("");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("no output"), std::string::npos) << h.error;
}

TEST(Hcbench, DomainServiceIsOptional) {
  const std::string four = "hcbench: loop 4\nhcbench: hypercall 284\nhcbench: cpuid 272\nhcbench: unknown 335\n";
  auto without = parse_hcbench(four);
  ASSERT_TRUE(without) << without.error;
  EXPECT_FALSE(without->domain_service.has_value());
  auto with = parse_hcbench(four + "hcbench: domain_service 1234\n");
  ASSERT_TRUE(with) << with.error;
  ASSERT_TRUE(with->domain_service.has_value());
  EXPECT_EQ(*with->domain_service, 1234u);
  auto bad = parse_hcbench(four + "hcbench: domain_service 12x\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error.find("malformed hcbench line: 'hcbench: domain_service 12x'"), std::string::npos) << bad.error;
}

// --- tsc dd (disk throughput) ------------------------------------------------------------

TEST(TimedDd, ReadsTicksAndRecords) {
  auto d = parse_timed_dd("32+0 records in\r\n32+0 records out\r\ntsc: 10291027 ticks, status 0\r\n");
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->ticks, 10291027u);
  EXPECT_EQ(d->records, 32u);
  // Other lines (a dd with the third status line, shell noise) are ignored; the first of each wins.
  auto more = parse_timed_dd(
      "noise\n16+0 records in\n16+0 records out\n16777216 bytes (16.0MB) copied, 0.1 seconds\n"
      "tsc: 7 ticks, status 0\ntsc: 9 ticks, status 0\n");
  ASSERT_TRUE(more) << more.error;
  EXPECT_EQ(more->ticks, 7u);
  EXPECT_EQ(more->records, 16u);
}

TEST(TimedDd, RefusesFailuresPartialRecordsAndMissingLines) {
  auto failed = parse_timed_dd("dd: /dev/sda: No such file\ntsc: 5 ticks, status 1\n");
  EXPECT_NE(failed.error.find("dd exited with status 1"), std::string::npos) << failed.error;
  auto no_tsc = parse_timed_dd("32+0 records in\n32+0 records out\n");
  EXPECT_NE(no_tsc.error.find("no 'tsc: <N> ticks, status <S>' line"), std::string::npos) << no_tsc.error;
  auto no_records = parse_timed_dd("tsc: 5 ticks, status 0\n");
  EXPECT_NE(no_records.error.find("no '<N>+0 records in/out' lines"), std::string::npos) << no_records.error;
  auto partial = parse_timed_dd("31+1 records in\n31+1 records out\ntsc: 5 ticks, status 0\n");
  EXPECT_NE(partial.error.find("partial record: '31+1 records in'"), std::string::npos) << partial.error;
  auto short_write = parse_timed_dd("32+0 records in\n30+0 records out\ntsc: 5 ticks, status 0\n");
  EXPECT_NE(short_write.error.find("read 32 records but wrote 30"), std::string::npos) << short_write.error;
  auto bad = parse_timed_dd("32+0 records in\n32+0 records out\ntsc: 5 ticks, status x\n");
  EXPECT_NE(bad.error.find("malformed tsc line: 'tsc: 5 ticks, status x'"), std::string::npos) << bad.error;
  auto bad_tsc = parse_timed_dd("tsc: lots ticks, status 0\n");
  EXPECT_NE(bad_tsc.error.find("malformed tsc line"), std::string::npos) << bad_tsc.error;
}

// --- tsc dbgsh -c log --------------------------------------------------------------------

TEST(DbgshLogBench, ReadsTicksBytesAndLost) {
  auto d = parse_dbgsh_log_bench("tsc: 51234567 ticks, status 0\r\ndbgsh_log_bytes 65800\ndbgsh_log_lost 123456\n");
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->ticks, 51234567u);
  EXPECT_EQ(d->bytes, 65800u);
  EXPECT_EQ(d->lost, 123456u);
}

TEST(DbgshLogBench, RefusesAFailedCommandARingThatHadNotWrappedAndMissingLines) {
  auto failed = parse_dbgsh_log_bench("tsc: 5 ticks, status 3\ndbgsh_log_bytes 0\ndbgsh_log_lost 1\n");
  EXPECT_NE(failed.error.find("exited with status 3"), std::string::npos) << failed.error;
  auto not_full = parse_dbgsh_log_bench("tsc: 5 ticks, status 0\ndbgsh_log_bytes 40000\n");
  EXPECT_NE(not_full.error.find("the ring was not full"), std::string::npos) << not_full.error;
  auto no_tsc = parse_dbgsh_log_bench("dbgsh: busy\n");
  EXPECT_NE(no_tsc.error.find("no 'tsc: <N> ticks, status <S>' line"), std::string::npos) << no_tsc.error;
  auto bad = parse_dbgsh_log_bench("tsc: many ticks, status 0\n");
  EXPECT_NE(bad.error.find("malformed tsc line"), std::string::npos) << bad.error;
  auto bad_bytes = parse_dbgsh_log_bench("tsc: 5 ticks, status 0\ndbgsh_log_bytes x\ndbgsh_log_lost 1\n");
  EXPECT_NE(bad_bytes.error.find("malformed line"), std::string::npos) << bad_bytes.error;
}

// --- hcbench --dbgsh -------------------------------------------------------------------

// What `hcbench --dbgsh` prints for a session (said: C-escaped, as hcbench writes it).
std::string dbgsh_output(unsigned per_call, unsigned calls, unsigned chars, unsigned total, const std::string& said) {
  return "hcbench: dbgsh_char " + std::to_string(per_call) + "\nhcbench: dbgsh_calls " + std::to_string(calls) +
         "\nhcbench: dbgsh_output " + std::to_string(chars) + "\nhcbench: dbgsh_total " + std::to_string(total) +
         "\nhcbench: dbgsh_said \"" + said + "\"\n";
}
const std::string kDbgshOutput =
    dbgsh_output(1873, 97, 47, 181681, "dbgsh: cannot start the shell: no such program\\n");

TEST(DbgshBench, AllFigures) {
  auto d = parse_dbgsh_bench(kDbgshOutput);
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->per_call, 1873u);
  EXPECT_EQ(d->calls, 97u);
  EXPECT_EQ(d->output_chars, 47u);
  EXPECT_EQ(d->total, 181681u);
  EXPECT_EQ(d->said, "dbgsh: cannot start the shell: no such program\\n");  // escapes kept
}

TEST(DbgshBench, EmptySaidIsFine) {
  std::string out = dbgsh_output(1, 2, 0, 2, "");
  auto d = parse_dbgsh_bench(out.replace(out.size() - 1, 1, "\r\n"));
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->said, "");
}

TEST(DbgshBench, MissingFigureIsNamedWithHcbenchsComplaint) {
  auto d = parse_dbgsh_bench("hcbench: dbgsh: answer 0x10b (busy) after 1 calls\n");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error.find("lacks the figure(s): dbgsh_char dbgsh_calls dbgsh_output dbgsh_total dbgsh_said"),
            std::string::npos)
      << d.error;
  EXPECT_NE(d.error.find("(busy)"), std::string::npos) << d.error;
  auto e = parse_dbgsh_bench("");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error.find("no output"), std::string::npos) << e.error;
}

TEST(DbgshBench, Malformed) {
  auto bad_said = parse_dbgsh_bench("hcbench: dbgsh_said unquoted\n" + kDbgshOutput);
  ASSERT_FALSE(bad_said);
  EXPECT_NE(bad_said.error.find("malformed hcbench line: 'hcbench: dbgsh_said unquoted'"), std::string::npos)
      << bad_said.error;
  auto bad_num = parse_dbgsh_bench("hcbench: dbgsh_calls -3\n" + kDbgshOutput);
  ASSERT_FALSE(bad_num);
  EXPECT_NE(bad_num.error.find("malformed"), std::string::npos) << bad_num.error;
  auto zero = parse_dbgsh_bench(dbgsh_output(0, 0, 0, 0, ""));
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error.find("0 calls"), std::string::npos) << zero.error;
}

// --- domain self-test figures --------------------------------------------------------

constexpr const char* kDomtestLog =
    "thinvisor: domtest: ok: int message VMM -> domain -> VMM\n"
    "thinvisor: domain 7 (faulty): killed: #PF at rip 0x401000\n"
    "thinvisor: domtest: figure msgsendint_ticks 812\n"
    "thinvisor: domtest: figure msgsendbuf_4k_ticks 2301\n"
    "thinvisor: domtest: figure msgsendbuf_64k_ticks 3120\n"
    "thinvisor: domtest: figure msgsendint_ticks 999\n"  // a second run: the first wins
    "thinvisor: domtest: 87 passed, 0 failed; domains created 1030, killed 12, live 0, pool free pages 300\n";

TEST(Domtest, ParsesTheThreeFiguresAndTheSummary) {
  auto d = parse_domtest_figures(kDomtestLog);
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->msgsendint, 812u);
  EXPECT_EQ(d->msgsendbuf_4k, 2301u);
  EXPECT_EQ(d->msgsendbuf_64k, 3120u);
  ASSERT_TRUE(d->failed.has_value());
  EXPECT_EQ(*d->failed, 0u);
}

TEST(Domtest, UnknownFiguresAreIgnoredAndTheSummaryIsOptional) {
  auto d = parse_domtest_figures(
      "thinvisor: domtest: figure msgsendbuf_64k_ticks 30\r\n"
      "thinvisor: domtest: figure newprocess_ticks 5000\n"
      "thinvisor: domtest: figure msgsendbuf_4k_ticks 20\n"
      "thinvisor: domtest: figure msgsendint_ticks 10\n");
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->msgsendint, 10u);
  EXPECT_EQ(d->msgsendbuf_4k, 20u);
  EXPECT_EQ(d->msgsendbuf_64k, 30u);
  EXPECT_FALSE(d->failed.has_value());
}

TEST(Domtest, MissingFiguresAreNamed) {
  auto d = parse_domtest_figures(kVmmLog);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error.find("figure(s): msgsendint_ticks msgsendbuf_4k_ticks msgsendbuf_64k_ticks"), std::string::npos)
      << d.error;
  EXPECT_NE(d.error.find("selftest.domains"), std::string::npos) << d.error;
  auto partial = parse_domtest_figures("thinvisor: domtest: figure msgsendint_ticks 10\n");
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error.find("figure(s): msgsendbuf_4k_ticks msgsendbuf_64k_ticks"), std::string::npos)
      << partial.error;
}

TEST(Domtest, MalformedFigure) {
  auto d = parse_domtest_figures("thinvisor: domtest: figure msgsendint_ticks lots\n");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error.find("malformed domain self-test line"), std::string::npos) << d.error;
}

TEST(Domtest, FailedChecksAreCounted) {
  auto d = parse_domtest_figures(std::string(kDomtestLog).replace(std::string(kDomtestLog).find("0 failed"), 1, "3"));
  ASSERT_TRUE(d) << d.error;
  ASSERT_TRUE(d->failed.has_value());
  EXPECT_EQ(*d->failed, 3u);
}

TEST(Hcbench, MalformedNumber) {
  auto h = parse_hcbench("hcbench: loop 4\nhcbench: hypercall many\nhcbench: cpuid 1\nhcbench: unknown 1\n");
  ASSERT_FALSE(h);
  EXPECT_NE(h.error.find("malformed"), std::string::npos) << h.error;
}

// --- run report ---------------------------------------------------------------------

TEST(RunReport, ParsesTotalAndExitsByReason) {
  auto r = parse_run_report(kVmmLog);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r->total_exits, 5097u);
  ASSERT_EQ(r->exits.size(), 5u);
  EXPECT_EQ(r->exits[0], (std::pair<std::string, uint64_t>{"cpuid", 3088}));
  EXPECT_EQ(r->exits[1], (std::pair<std::string, uint64_t>{"msr-read", 3}));
  EXPECT_EQ(r->exits[4], (std::pair<std::string, uint64_t>{"hypercall", 2001}));
}

TEST(RunReport, LastReportWins) {
  std::string log = "thinvisor: run report: 3 VM exits\nthinvisor:   exits cpuid 3\n";
  log += kVmmLog;
  auto r = parse_run_report(log);
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r->total_exits, 5097u);
}

TEST(RunReport, ReportWithoutExits) {
  auto r = parse_run_report("thinvisor: run report: 0 VM exits\nthinvisor: run report: tsc 5\n");
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r->total_exits, 0u);
  EXPECT_TRUE(r->exits.empty());
}

TEST(RunReport, MissingIsAClearError) {
  auto r = parse_run_report("thinvisor: thinvisor 0.1.0 starting\nthinvisor: run report: tsc 5\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error.find("run report"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("power off"), std::string::npos) << r.error;
}

TEST(RunReport, MalformedExitLine) {
  auto r = parse_run_report("thinvisor: run report: 5 VM exits\nthinvisor:   exits cpuid lots\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error.find("malformed"), std::string::npos) << r.error;
}

TEST(VmmReserved, FromBootLine) {
  auto k = parse_vmm_reserved_kib(kVmmLog);
  ASSERT_TRUE(k) << k.error;
  EXPECT_EQ(*k, 4096u);
}

TEST(VmmReserved, FallsBackToRunReport) {
  auto k = parse_vmm_reserved_kib("thinvisor: run report: VMM memory reserved 8192 KiB (pool used 68 KiB)\n");
  ASSERT_TRUE(k) << k.error;
  EXPECT_EQ(*k, 8192u);
}

TEST(VmmReserved, Missing) {
  auto k = parse_vmm_reserved_kib("thinvisor: SVM enabled\n");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error.find("VMM memory reserved"), std::string::npos) << k.error;
}

TEST(VmmReserved, Malformed) {
  EXPECT_FALSE(parse_vmm_reserved_kib("thinvisor: VMM memory reserved: four MiB\n"));
}

// --- the VMM's page pool at 'VMM ready' (issue 12) --------------------------------------

TEST(VmmReadyPool, UsedAndTotal) {
  auto p = parse_vmm_ready_pool(
      "thinvisor: VMM memory reserved: 4096 KiB at 3fa00000-3fe00000 (image 560 KiB, page pool 3472 KiB)\n"
      "thinvisor: VMM ready: pool used 88 KiB of 3472 KiB, 846 of 868 pages free\r\n"
      "thinvisor: VMM ready: pool used 99 KiB of 3472 KiB, 843 of 868 pages free\n");
  ASSERT_TRUE(p) << p.error;
  EXPECT_EQ(p->used_kib, 88u);  // the first line wins
  EXPECT_EQ(p->total_kib, 3472u);
}

TEST(VmmReadyPool, MissingAndMalformed) {
  auto p = parse_vmm_ready_pool(kVmmLog);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error.find("no 'thinvisor: VMM ready: pool used <U> KiB of <T> KiB'"), std::string::npos) << p.error;
  EXPECT_FALSE(parse_vmm_ready_pool("VMM ready: pool used 88 KiB of 3472 KiB\n"));  // not the VMM's line
  for (const char* log :
       {"thinvisor: VMM ready: pool used KiB of 3472 KiB\n", "thinvisor: VMM ready: pool used 88 KiB\n",
        "thinvisor: VMM ready: pool used 88 KiB of many KiB\n", "thinvisor: VMM ready: pool used 88 MiB of 3472 MiB\n",
        "thinvisor: VMM ready: pool used 4000 KiB of 3472 KiB, 0 of 868 pages free\n"}) {
    auto m = parse_vmm_ready_pool(log);
    ASSERT_FALSE(m) << log;
    EXPECT_NE(m.error.find("malformed VMM ready line: 'thinvisor: VMM ready:"), std::string::npos) << m.error;
  }
}

// Issue 13 (disk dd with and without the IOMMU) and 14 (wall time next to instructions).
TEST(Catalog, DiskAndWallFigures) {
  for (const char* f : {"boot_wall_ratio", "plain_boot_wall_s", "thinvisor_boot_wall_s", "disk_dd_iommu_ratio",
                        "disk_read_ticks_per_mib", "disk_read_ticks_per_mib_no_iommu", "disk_write_ticks_per_mib",
                        "disk_write_ticks_per_mib_no_iommu", "disk_dd_wall_iommu_ratio"}) {
    ASSERT_NE(find_figure(f), nullptr) << f;
    EXPECT_FALSE(is_planned(f)) << f;
  }
  EXPECT_EQ(format_value("boot_wall_ratio", 1.812345), "1.8123");
  EXPECT_EQ(format_value("plain_boot_wall_s", 23.456), "23.5");
  EXPECT_EQ(format_value("disk_read_ticks_per_mib", 321588.7), "321589");
  EXPECT_EQ(format_value("disk_dd_iommu_ratio", 1.00049), "1.0005");
  // Reported without a bar; a bar on them would still parse.
  auto b = budget_of("disk_dd_iommu_ratio <= 1.1  # test\n");
  EXPECT_EQ(b.size(), 1u);
}

TEST(Catalog, SmpFigures) {
  for (const char* f : {"smp2_boot_ratio", "vmm_reserved_mib_8cpu", "vmm_pool_kib_per_cpu"}) {
    ASSERT_NE(find_figure(f), nullptr) << f;
    EXPECT_FALSE(is_planned(f)) << f;
  }
  EXPECT_EQ(find_figure("smp2_boot_ratio")->unit, "ratio");
  EXPECT_EQ(find_figure("vmm_reserved_mib_8cpu")->unit, "MiB");
  EXPECT_EQ(format_value("vmm_reserved_mib_8cpu", 4.5), "4.50");
  EXPECT_EQ(format_value("vmm_pool_kib_per_cpu", 36.5714), "36.6");
  EXPECT_EQ(format_value("smp2_boot_ratio", 1.01234), "1.0123");
  auto b = budget_of(
      "smp2_boot_ratio <= 1.03  # issue 12\nvmm_reserved_mib_8cpu <= 16  # issue 12\n"
      "vmm_pool_kib_per_cpu <= 768  # issue 12\n");
  ASSERT_EQ(b.size(), 3u);
}

// --- VMM start-up ---------------------------------------------------------------------

TEST(VmmStartup, FoundInTheLog) {
  auto t = parse_vmm_startup_ticks(kVmmLog);
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(*t, 2612345u);
}

TEST(VmmStartup, FirstLineWinsAndCarriageReturnsAreTolerated) {
  auto t = parse_vmm_startup_ticks(
      "thinvisor: VMM start-up: 7 TSC ticks from the multiboot entry to the first VMRUN\r\n"
      "thinvisor: VMM start-up: 9 TSC ticks from the multiboot entry to the first VMRUN\r\n");
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(*t, 7u);
}

TEST(VmmStartup, MissingIsAClearError) {
  auto t = parse_vmm_startup_ticks("thinvisor: SVM enabled\nthinvisor: VMRUN: entering the guest at rip 1000000\n");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error.find("no 'thinvisor: VMM start-up: <N> TSC ticks"), std::string::npos) << t.error;
  EXPECT_NE(t.error.find("first VMRUN"), std::string::npos) << t.error;
  EXPECT_FALSE(parse_vmm_startup_ticks(""));
  // Without the VMM's "thinvisor: " prefix the line is not the VMM's.
  EXPECT_FALSE(parse_vmm_startup_ticks("VMM start-up: 5 TSC ticks from the multiboot entry to the first VMRUN\n"));
}

TEST(VmmStartup, Malformed) {
  for (const char* log : {
           "thinvisor: VMM start-up: TSC ticks from the multiboot entry to the first VMRUN\n",      // no number
           "thinvisor: VMM start-up: 12x TSC ticks from the multiboot entry to the first VMRUN\n",  // junk
           "thinvisor: VMM start-up: 99999999999999999999999 TSC ticks from the multiboot entry to the first VMRUN\n",
           "thinvisor: VMM start-up: 12 cycles\n",  // other unit: not ticks
           "thinvisor: VMM start-up: -3 TSC ticks from the multiboot entry to the first VMRUN\n",
       }) {
    auto t = parse_vmm_startup_ticks(log);
    ASSERT_FALSE(t) << log;
    EXPECT_NE(t.error.find("malformed VMM start-up line: 'thinvisor: VMM start-up:"), std::string::npos) << t.error;
  }
}

// --- lines of code ------------------------------------------------------------------

TEST(Loc, SkipsBlankAndCommentOnlyLines) {
  const char* src =
      "// header comment\n"
      "\n"
      "#include <x>\n"  // code (preprocessor)
      "/* block\n"
      "   still comment */\n"
      "int x = 1;  // trailing\n"  // code
      "   \t  \n"
      "/* a */ int y; /* b */\n"  // code
      "/* one */ /* two */\n"
      "  }\n";  // code
  EXPECT_EQ(count_code_lines(src), 4u);
}

TEST(Loc, CommentMarkersInsideLiteralsAreCode) {
  EXPECT_EQ(count_code_lines("const char* u = \"http://x\";\n"), 1u);
  EXPECT_EQ(count_code_lines("s = \"/*\";\nint z;\n"), 2u);  // no block comment opened
  EXPECT_EQ(count_code_lines("c = '\"'; // q\nint w;\n"), 2u);
  EXPECT_EQ(count_code_lines("s = \"a\\\"b // c\";\n"), 1u);
}

TEST(Loc, BlockCommentEndingMidLineFollowedByCode) {
  EXPECT_EQ(count_code_lines("/* a\n b */ mov %rax, %rbx\n"), 1u);
  EXPECT_EQ(count_code_lines("/* a\n b */\n"), 0u);
  EXPECT_EQ(count_code_lines(""), 0u);
}

TEST(Loc, SourceFileExtensions) {
  for (const char* f : {"a.cpp", "a.hpp", "a.c", "a.h", "boot.S", "linker.ld", "x.cc", "y.s"})
    EXPECT_TRUE(is_source_file(f)) << f;
  for (const char* f : {"CMakeLists.txt", "README.md", "a.cpp.orig", ".cpp", "init"})
    EXPECT_FALSE(is_source_file(f)) << f;
}

// --- budget file --------------------------------------------------------------------

TEST(Budget, ParsesBarsAndComments) {
  auto b = budget_of(kBudget);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].figure, "boot_ratio");
  EXPECT_DOUBLE_EQ(b[0].limit, 1.02);
  EXPECT_EQ(b[0].comment, "issue: boot overhead");
  EXPECT_EQ(b[0].line, 2);
  EXPECT_EQ(b[3].figure, "msgsendint_instructions");
  EXPECT_DOUBLE_EQ(b[3].limit, 2000);
  EXPECT_EQ(b[3].line, 5);
}

TEST(Budget, TolerantSpacingAndNoComment) {
  auto b = budget_of("  boot_ratio<=1.5\r\n\n\tvmm_reserved_mib   <=   16.0\n# only a comment\n");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_DOUBLE_EQ(b[0].limit, 1.5);
  EXPECT_EQ(b[0].comment, "");
  EXPECT_DOUBLE_EQ(b[1].limit, 16);
  EXPECT_EQ(b[1].line, 3);
}

TEST(Budget, EmptyFileIsAnEmptyBudget) {
  auto b = parse_budget("", "b");
  ASSERT_TRUE(b) << b.error;
  EXPECT_TRUE(b->empty());
}

// Expects parse failure with "budget.txt:<line>:" and `needle` in the message.
void expect_malformed(const std::string& text, int line, const std::string& needle) {
  auto b = parse_budget(text, "budget.txt");
  ASSERT_FALSE(b) << "accepted: " << text;
  EXPECT_NE(b.error.find("budget.txt:" + std::to_string(line) + ":"), std::string::npos) << b.error;
  EXPECT_NE(b.error.find(needle), std::string::npos) << b.error;
}

TEST(Budget, MalformedLinesNameTheLine) {
  expect_malformed("boot_ratio <= 1.02\nvmm_reserved_mib 16\n", 2, "expected '<='");
  expect_malformed("\n\nboot_ratio < 1.02\n", 3, "only '<=' bars");
  expect_malformed("boot_ratio >= 1.02\n", 1, "only '<='");
  expect_malformed("boot_ratio <=\n", 1, "missing number");
  expect_malformed("boot_ratio <= 1.0x\n", 1, "'1.0x' is not a number");
  expect_malformed("boot_ratio <= fast\n", 1, "not a number");
  expect_malformed("boot_ratio <= 0x10\n", 1, "not a number");
  expect_malformed("boot_ratio <= inf\n", 1, "not a number");
  expect_malformed("boot_ratio <= 1.02 1.03\n", 1, "unexpected");
  expect_malformed("boot_ratio <= 1.02 // old-style comment\n", 1, "comments start with '#'");
  expect_malformed("<= 1.02\n", 1, "expected a figure name");
  expect_malformed("boot_ratio\n", 1, "has no bar");
  expect_malformed("boot_ratio <= 0\n", 1, "positive");
  expect_malformed("boot_ratio <= -1\n", 1, "not a number");
}

TEST(Budget, UnknownFigureIsAnErrorWithASuggestion) {
  auto b = parse_budget("boot_ratio <= 1.02\nhypercall_over_cpiud <= 1.3  # typo\n", "budget.txt");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error.find("budget.txt:2:"), std::string::npos) << b.error;
  EXPECT_NE(b.error.find("unknown figure 'hypercall_over_cpiud'"), std::string::npos) << b.error;
  EXPECT_NE(b.error.find("did you mean 'hypercall_over_cpuid'"), std::string::npos) << b.error;
}

TEST(Budget, UnknownFigureWithNothingClose) {
  auto b = parse_budget("frobnication_speed <= 3\n", "budget.txt");
  ASSERT_FALSE(b);
  EXPECT_NE(b.error.find("unknown figure"), std::string::npos) << b.error;
  EXPECT_EQ(b.error.find("did you mean"), std::string::npos) << b.error;
  EXPECT_NE(b.error.find("known figures:"), std::string::npos) << b.error;
}

TEST(Budget, DuplicateFigure) {
  expect_malformed("boot_ratio <= 1.02\n\nboot_ratio <= 1.05\n", 3, "duplicate bar for 'boot_ratio' (first on line 1)");
}

TEST(Catalog, KnowsTheBudgetedAndPlannedFigures) {
  for (const char* f :
       {"boot_ratio", "vmm_reserved_mib", "hypercall_over_cpuid", "msgsendint_instructions", "vmm_image_bytes",
        "tcb_loc", "unknown_hypercall_ticks", "vmm_startup_instructions", "cpuid_ticks", "hypercall_ticks"})
    EXPECT_NE(find_figure(f), nullptr) << f;
  EXPECT_EQ(find_figure("unknown_hypercall_ticks")->unit, "instr/call");
  EXPECT_EQ(find_figure("vmm_startup_instructions")->unit, "instructions");
  EXPECT_FALSE(is_planned("unknown_hypercall_ticks"));
  EXPECT_FALSE(is_planned("vmm_startup_instructions"));
  EXPECT_FALSE(is_planned("msgsendint_instructions"));  // measured by the domain self-test now
  EXPECT_FALSE(is_planned("dbgsh_log_instructions"));   // measured since `log` exists
  EXPECT_EQ(find_figure("dbgsh_log_wall_ms")->unit, "ms");
  for (const char* f :
       {"msgsendbuf_4k_instructions", "msgsendbuf_64k_instructions", "msgsendbuf_64k_over_4k", "domain_service_ticks",
        "domain_service_over_null", "dbgsh_char_instructions", "dbgsh_session_calls"}) {
    EXPECT_NE(find_figure(f), nullptr) << f;
    EXPECT_FALSE(is_planned(f)) << f;
  }
  EXPECT_EQ(find_figure("msgsendbuf_64k_over_4k")->unit, "ratio");
  EXPECT_EQ(find_figure("dbgsh_char_instructions")->unit, "instr/call");
  EXPECT_FALSE(is_planned("boot_ratio"));
  EXPECT_EQ(find_figure("boot_ration"), nullptr);
  EXPECT_EQ(closest_figure("boot_ration"), "boot_ratio");
}

// --- budget check -------------------------------------------------------------------

TEST(Check, UnderBudgetIsOk) {
  auto checks = check_budget(sample_results(), budget_of(kBudget));
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0].status, BudgetStatus::Ok);
  EXPECT_NEAR(checks[0].fraction, 1.0123 / 1.02, 1e-12);
  EXPECT_EQ(checks[1].status, BudgetStatus::Ok);
  EXPECT_DOUBLE_EQ(checks[1].fraction, 0.25);
  EXPECT_FALSE(any_over(checks));
  EXPECT_TRUE(over_budget_messages(checks).empty());
}

TEST(Check, NotMeasuredYetDoesNotFail) {
  auto checks = check_budget(sample_results(), budget_of(kBudget));
  EXPECT_EQ(checks[3].bar.figure, "msgsendint_instructions");
  EXPECT_EQ(checks[3].status, BudgetStatus::NotMeasured);
  EXPECT_FALSE(checks[3].value.has_value());
  EXPECT_STREQ(to_string(checks[3].status), "not measured yet");
  EXPECT_FALSE(any_over(checks));
}

TEST(Check, OverBudgetIsReportedByName) {
  Results r = sample_results();
  r.set("boot_ratio", 1.05);
  auto checks = check_budget(r, budget_of(kBudget));
  EXPECT_EQ(checks[0].status, BudgetStatus::Over);
  EXPECT_TRUE(any_over(checks));
  auto msgs = over_budget_messages(checks);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "boot_ratio = 1.0500 > 1.02 (issue: boot overhead)");
}

TEST(Check, ExactlyAtTheBarIsWithinBudget) {
  Results r = sample_results();
  r.set("vmm_reserved_mib", 16);
  auto checks = check_budget(r, budget_of(kBudget));
  EXPECT_EQ(checks[1].status, BudgetStatus::Ok);
  EXPECT_DOUBLE_EQ(checks[1].fraction, 1.0);
  r.set("vmm_reserved_mib", 16.01);
  EXPECT_EQ(check_budget(r, budget_of(kBudget))[1].status, BudgetStatus::Over);
}

// --- writers --------------------------------------------------------------------------

TEST(Format, ValuesByUnit) {
  EXPECT_EQ(format_value("boot_ratio", 1.012345), "1.0123");
  EXPECT_EQ(format_value("vmm_reserved_mib", 4), "4.00");
  EXPECT_EQ(format_value("vmm_image_bytes", 61440), "61440");
  EXPECT_EQ(format_value("plain_boot_instructions", 6123456789.0), "6123456789");
}

TEST(Table, HasEveryFigureBudgetStatusAndBreakdowns) {
  Results r = sample_results();
  r.set("boot_ratio", 1.05);
  std::string t = format_table(r, check_budget(r, budget_of(kBudget)));
  EXPECT_NE(t.find("| figure"), std::string::npos) << t;
  EXPECT_NE(t.find("boot_ratio"), std::string::npos) << t;
  EXPECT_NE(t.find("1.0500"), std::string::npos) << t;
  EXPECT_NE(t.find("<= 1.02"), std::string::npos) << t;
  EXPECT_NE(t.find("OVER BUDGET"), std::string::npos) << t;
  EXPECT_NE(t.find("25.0%"), std::string::npos) << t;  // vmm_reserved_mib 4 of 16
  EXPECT_NE(t.find("msgsendint_instructions"), std::string::npos) << t;
  EXPECT_NE(t.find("not measured yet"), std::string::npos) << t;
  EXPECT_NE(t.find("exits: cpuid"), std::string::npos) << t;
  EXPECT_NE(t.find("loc: vmm/arch"), std::string::npos) << t;
  // Aligned: every line has the same length.
  size_t width = t.find('\n');
  for (size_t pos = 0; pos < t.size();) {
    size_t nl = t.find('\n', pos);
    EXPECT_EQ(nl - pos, width) << t.substr(pos, nl - pos);
    pos = nl + 1;
  }
}

TEST(Json, ContainsFiguresBudgetAndVerdict) {
  Results r = sample_results();
  std::string j = to_json(r, check_budget(r, budget_of(kBudget)));
  EXPECT_NE(j.find("\"boot_ratio\": {\"value\": 1.0123"), std::string::npos) << j;
  EXPECT_NE(j.find("\"vmm_image_bytes\": {\"value\": 61440,"), std::string::npos) << j;
  EXPECT_NE(j.find("\"exits\": {\"cpuid\": 3088, \"hypercall\": 2001}"), std::string::npos) << j;
  EXPECT_NE(j.find("\"loc\": {\"vmm/arch\": 300, \"lib\": 1200}"), std::string::npos) << j;
  EXPECT_NE(j.find("{\"figure\": \"msgsendint_instructions\", \"limit\": 2000, \"value\": null, \"fraction\": null, "
                   "\"status\": \"not measured yet\""),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"within_budget\": true"), std::string::npos) << j;
  r.set("hypercall_over_cpuid", 2);
  EXPECT_NE(to_json(r, check_budget(r, budget_of(kBudget))).find("\"within_budget\": false"), std::string::npos);
}

TEST(Json, Escaping) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\te\x01"), "a\\\"b\\\\c\\nd\\te\\u0001");
}

TEST(Gnuplot, DataRowPerBarAndScript) {
  Results r = sample_results();
  r.set("boot_ratio", 2.04);
  auto checks = check_budget(r, budget_of(kBudget));
  std::string d = gnuplot_data(checks);
  EXPECT_NE(d.find("0 \"boot_ratio\" 2 13378082 \"2.0400 / 1.02\""), std::string::npos) << d;      // red
  EXPECT_NE(d.find("1 \"vmm_reserved_mib\" 0.25 3050327 \"4.00 / 16\""), std::string::npos) << d;  // green
  EXPECT_NE(d.find("3 \"msgsendint_instructions\" 0 10066329 \"not measured yet\""), std::string::npos) << d;
  std::string s = gnuplot_script("/o/results.dat", "/o/it's.png", "pngcairo", checks);
  EXPECT_NE(s.find("set terminal pngcairo"), std::string::npos) << s;
  EXPECT_NE(s.find("set output '/o/it''s.png'"), std::string::npos) << s;
  EXPECT_NE(s.find("plot '/o/results.dat'"), std::string::npos) << s;
  EXPECT_NE(s.find("set yrange [0:2.300]"), std::string::npos) << s;  // 2.0 * 1.15
  EXPECT_NE(s.find("title 'budget'"), std::string::npos) << s;
}

// --- docs/performance.md ------------------------------------------------------------

TEST(Doc, ReplacesOnlyTheGeneratedSection) {
  std::string doc = "# Perf\n\nintro\n<!-- bench:begin -->\nold table\nold\n<!-- bench:end -->\n\nafter\n";
  auto out = replace_doc_section(doc, "new table\n");
  ASSERT_TRUE(out) << out.error;
  EXPECT_EQ(*out, "# Perf\n\nintro\n<!-- bench:begin -->\nnew table\n<!-- bench:end -->\n\nafter\n");
  auto again = replace_doc_section(*out, "new table");  // idempotent, newline added
  ASSERT_TRUE(again) << again.error;
  EXPECT_EQ(*again, *out);
}

TEST(Doc, EmptySectionAndNoFinalNewline) {
  auto out = replace_doc_section("<!-- bench:begin -->\n<!-- bench:end -->", "x\n");
  ASSERT_TRUE(out) << out.error;
  EXPECT_EQ(*out, "<!-- bench:begin -->\nx\n<!-- bench:end -->");
}

TEST(Doc, MarkerErrors) {
  EXPECT_NE(replace_doc_section("a\n<!-- bench:end -->\n", "x").error.find("no '<!-- bench:begin -->'"),
            std::string::npos);
  EXPECT_NE(replace_doc_section("<!-- bench:begin -->\n", "x").error.find("no '<!-- bench:end -->'"),
            std::string::npos);
  EXPECT_NE(replace_doc_section("<!-- bench:end -->\n<!-- bench:begin -->\n", "x").error.find("before"),
            std::string::npos);
  EXPECT_NE(replace_doc_section("<!-- bench:begin -->\n<!-- bench:begin -->\n<!-- bench:end -->\n", "x")
                .error.find("line 2: second"),
            std::string::npos);
  EXPECT_NE(replace_doc_section("see `<!-- bench:begin -->` here\n<!-- bench:end -->\n", "x")
                .error.find("no '<!-- bench:begin -->'"),
            std::string::npos);
}

TEST(Doc, MarkersMentionedInProseAreText) {
  std::string doc =
      "between `<!-- bench:begin -->` and `<!-- bench:end -->`:\n  <!-- bench:begin -->\nold\n<!-- bench:end -->\n";
  auto out = replace_doc_section(doc, "new\n");
  ASSERT_TRUE(out) << out.error;
  EXPECT_EQ(
      *out,
      "between `<!-- bench:begin -->` and `<!-- bench:end -->`:\n  <!-- bench:begin -->\nnew\n<!-- bench:end -->\n");
}

TEST(Budget, NewFiguresTakeBars) {
  auto b = budget_of(
      "cpuid_ticks <= 300   # issue 7\nhypercall_ticks <= 350   # issue 7\n"
      "vmm_startup_instructions <= 3000000   # issue 7\n");
  ASSERT_EQ(b.size(), 3u);
  Results r;
  r.set("cpuid_ticks", 690);
  r.set("hypercall_ticks", 350);
  r.set("vmm_startup_instructions", 2612345);
  auto checks = check_budget(r, b);
  EXPECT_EQ(checks[0].status, BudgetStatus::Over);
  EXPECT_EQ(checks[1].status, BudgetStatus::Ok);
  EXPECT_EQ(checks[2].status, BudgetStatus::Ok);
  EXPECT_EQ(format_value("vmm_startup_instructions", 2612345), "2612345");
  EXPECT_EQ(format_value("unknown_hypercall_ticks", 812), "812");
  // A large whole bar is printed in full, not as 3e+06.
  std::string table = format_table(r, checks);
  EXPECT_NE(table.find("<= 3000000"), std::string::npos) << table;
  EXPECT_EQ(table.find("e+06"), std::string::npos) << table;
  EXPECT_EQ(over_budget_messages(checks), std::vector<std::string>{"cpuid_ticks = 690 > 300 (issue 7)"});
}

// --- paths in the generated doc ---------------------------------------------------------

TEST(RepoRelative, SourceAndInTreeBuildPaths) {
  const char* src = "/work/wt";
  const char* build = "/work/wt/build";
  EXPECT_EQ(repo_relative("/work/wt/build/tools/tvbench --doc /work/wt/docs/performance.md", src, build),
            "build/tools/tvbench --doc docs/performance.md");
  EXPECT_EQ(repo_relative("--source /work/wt --build=/work/wt/build", src, build), "--source . --build=build");
  EXPECT_EQ(repo_relative("-debugcon file:/work/wt/build/bench/thinvisor-vmm.log", src, build),
            "-debugcon file:build/bench/thinvisor-vmm.log");
  EXPECT_EQ(repo_relative("/boot/vmlinuz-6.1.0-56-amd64,/work/wt/build/guest/initramfs.cpio.gz", src, build),
            "/boot/vmlinuz-6.1.0-56-amd64,build/guest/initramfs.cpio.gz");
  EXPECT_EQ(repo_relative("'/work/wt/my dir/x'", src, build), "'my dir/x'");
}

TEST(RepoRelative, OutOfTreeBuildAndLookalikes) {
  EXPECT_EQ(repo_relative("-kernel /tmp/tvb/vmm/thinvisor.bin -initrd /tmp/tvb", "/work/wt", "/tmp/tvb"),
            "-kernel <build>/vmm/thinvisor.bin -initrd <build>");
  // Other directories that merely start with a root's name, or contain it, stay.
  EXPECT_EQ(repo_relative("/work/wt2/x /x/work/wt/y a/work/wt", "/work/wt", "/tmp/tvb"),
            "/work/wt2/x /x/work/wt/y a/work/wt");
  EXPECT_EQ(repo_relative("/boot/vmlinuz qemu-system-x86_64 -m 1024", "/work/wt", "/work/wt/build"),
            "/boot/vmlinuz qemu-system-x86_64 -m 1024");
  EXPECT_EQ(repo_relative("/work/wt/x", "", ""), "/work/wt/x");
}

TEST(Doc, SectionHasCommandTableAndNotes) {
  Results r = sample_results();
  r.notes = {"QEMU: QEMU emulator version 7.2"};
  std::string s = doc_section(r, check_budget(r, budget_of(kBudget)));
  EXPECT_NE(s.find("```\ntvbench --check\n```"), std::string::npos) << s;
  EXPECT_NE(s.find("| boot_ratio"), std::string::npos) << s;
  EXPECT_NE(s.find("- QEMU: QEMU emulator version 7.2"), std::string::npos) << s;
}

TEST(Parse, DebugregBench) {
  auto d = parse_debugreg_bench("[ 3.1] tvdebugreg: ready\ndebugreg_set_kernel 402\r\ndebugreg_nop_kernel 301\n");
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->set, 402u);
  EXPECT_EQ(d->nop, 301u);
  EXPECT_FALSE(parse_debugreg_bench("debugreg_set_kernel 402\n"));
  EXPECT_FALSE(parse_debugreg_bench("debugreg_set_kernel 0\ndebugreg_nop_kernel 3\n"));
  EXPECT_FALSE(parse_debugreg_bench("debugreg_set_kernel x\ndebugreg_nop_kernel 3\n"));
}

TEST(Parse, ModwatchBench) {
  auto m = parse_modwatch_bench(
      "modwatch_before 1000\r\n[ 3.1] thinvisor_testmod: loaded\n"
      "modwatch_entry thinvisor_testmod 0xffffffffc0381000 16384 live agent 1500 2500\n");
  ASSERT_TRUE(m) << m.error;
  EXPECT_EQ(m->before, 1000u);
  EXPECT_EQ(m->coming, 1500u);
  EXPECT_EQ(m->live, 2500u);
  EXPECT_FALSE(parse_modwatch_bench("modwatch_before 1000\n"));
  auto both = parse_modwatch_bench(
      "modwatch_agentless_before 100\nmodwatch_agentless_entry thinvisor_testmod 0xffffffffc0381000 16384 live "
      "agentless 400 700\nmodwatch_before 1000\n"
      "modwatch_entry thinvisor_testmod 0xffffffffc0381000 16384 live agent+agentless 1500 2500\n");
  ASSERT_TRUE(both) << both.error;
  EXPECT_EQ(both->agentless_coming - both->agentless_before, 300u);
  EXPECT_EQ(both->coming, 1500u);
  EXPECT_FALSE(parse_modwatch_bench(
      "modwatch_agentless_before 900\nmodwatch_agentless_entry thinvisor_testmod 0xffffffffc0381000 16384 live "
      "agentless 400 700\nmodwatch_before 1000\n"
      "modwatch_entry thinvisor_testmod 0xffffffffc0381000 16384 live agent 1500 2500\n"));
  EXPECT_FALSE(parse_modwatch_bench(
      "modwatch_before 1000\nmodwatch_entry thinvisor_testmod 0xffffffffc0381000 16384 unloaded agent 1500 2500\n"));
  EXPECT_FALSE(parse_modwatch_bench(
      "modwatch_before 2000\nmodwatch_entry thinvisor_testmod 0xffffffffc0381000 16384 live agent 1500 2500\n"));
  EXPECT_FALSE(parse_modwatch_bench(
      "modwatch_before 1000\nmodwatch_entry thinvisor_testmod 0xffffffffc0381000 16384 live agent 1500 x\n"));
}

}  // namespace
