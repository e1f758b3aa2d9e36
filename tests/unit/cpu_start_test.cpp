// The vCPU start-state machine (INIT, start-up IPI) and the mailbox other CPUs post them to.
#include "tv/cpu_start.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {
using namespace tv;
using namespace tv::smp;

void expect_step(StartStep s, StartState next, bool leave_guest, bool start) {
  EXPECT_EQ(s.next, next);
  EXPECT_EQ(s.leave_guest, leave_guest);
  EXPECT_EQ(s.start, start);
}

// ---- State machine ----

TEST(CpuStart, StateNames) {
  EXPECT_STREQ(to_string(StartState::Parked), "parked");
  EXPECT_STREQ(to_string(StartState::WaitForSipi), "wait-for-sipi");
  EXPECT_STREQ(to_string(StartState::Running), "running");
  EXPECT_STREQ(to_string(static_cast<StartState>(7)), "unknown");
}

TEST(CpuStart, ParkedIgnoresSipi) {
  expect_step(on_sipi(StartState::Parked), StartState::Parked, false, false);
}

TEST(CpuStart, ParkedInitWaitsForSipi) {
  expect_step(on_init(StartState::Parked), StartState::WaitForSipi, false, false);
}

TEST(CpuStart, WaitForSipiSipiStartsTheCpu) {
  expect_step(on_sipi(StartState::WaitForSipi), StartState::Running, false, true);
}

TEST(CpuStart, RunningInitStopsTheGuestCode) {
  expect_step(on_init(StartState::Running), StartState::WaitForSipi, true, false);
}

TEST(CpuStart, RunningIgnoresSipi) {
  expect_step(on_sipi(StartState::Running), StartState::Running, false, false);
}

TEST(CpuStart, InitTwiceStaysWaitingForSipi) {
  StartStep a = on_init(StartState::Parked);
  StartStep b = on_init(a.next);
  expect_step(b, StartState::WaitForSipi, false, false);  // nothing to leave: it was not running
}

// Linux: INIT, SIPI, SIPI brings an AP up once; a later INIT, SIPI (CPU offline/online) again.
TEST(CpuStart, LinuxBringUpAndRestart) {
  StartState s = StartState::Parked;
  int starts = 0, leaves = 0;
  auto apply = [&](StartStep step) {
    starts += step.start;
    leaves += step.leave_guest;
    s = step.next;
  };
  apply(on_sipi(s));  // a stray SIPI before the first INIT
  EXPECT_EQ(s, StartState::Parked);
  apply(on_init(s));
  apply(on_sipi(s));
  apply(on_sipi(s));
  EXPECT_EQ(s, StartState::Running);
  EXPECT_EQ(starts, 1);
  apply(on_init(s));
  EXPECT_EQ(s, StartState::WaitForSipi);
  EXPECT_EQ(leaves, 1);
  apply(on_sipi(s));
  EXPECT_EQ(s, StartState::Running);
  EXPECT_EQ(starts, 2);
}

TEST(CpuStart, StartAddressOfTheVector) {
  EXPECT_EQ(start_cs_selector(0x00), 0x0000);
  EXPECT_EQ(start_cs_base(0x00), 0x00000u);
  EXPECT_EQ(start_cs_selector(0x08), 0x0800);
  EXPECT_EQ(start_cs_base(0x08), 0x08000u);
  EXPECT_EQ(start_cs_selector(0x9A), 0x9A00);
  EXPECT_EQ(start_cs_base(0x9A), 0x9A000u);
  EXPECT_EQ(start_cs_selector(0xFF), 0xFF00);
  EXPECT_EQ(start_cs_base(0xFF), 0xFF000u);
  for (u32 v = 0; v < 256; ++v) EXPECT_EQ(u64(start_cs_selector(u8(v))) << 4, start_cs_base(u8(v)));  // real mode
  static_assert(start_cs_base(0x9A) == 0x9A000);
}

// ---- Mailbox ----

void expect_taken(StartMailbox::Taken t, bool init, bool sipi, u8 vector) {
  EXPECT_EQ(t.init, init);
  EXPECT_EQ(t.sipi, sipi);
  EXPECT_EQ(t.vector, vector);
}

TEST(CpuStartMailbox, StartsEmpty) {
  StartMailbox m;
  EXPECT_TRUE(m.empty());
  expect_taken(m.take(), false, false, 0);
}

TEST(CpuStartMailbox, InitThenSipi) {
  StartMailbox m;
  EXPECT_TRUE(m.post_init());
  EXPECT_FALSE(m.empty());
  EXPECT_TRUE(m.post_sipi(0x9A));
  expect_taken(m.take(), true, true, 0x9A);
  EXPECT_TRUE(m.empty());
}

TEST(CpuStartMailbox, InitCancelsAnEarlierSipi) {
  StartMailbox m;
  EXPECT_TRUE(m.post_sipi(0x9A));
  EXPECT_TRUE(m.post_init());
  expect_taken(m.take(), true, false, 0);
  // INIT, SIPI, INIT: the SIPI belonged to the life the second INIT ended.
  EXPECT_TRUE(m.post_init());
  EXPECT_TRUE(m.post_sipi(0x10));
  EXPECT_TRUE(m.post_init());
  expect_taken(m.take(), true, false, 0);
  // ...and a SIPI after the cancelling INIT counts, with its own vector.
  EXPECT_TRUE(m.post_sipi(0x10));
  EXPECT_TRUE(m.post_init());
  EXPECT_TRUE(m.post_sipi(0x20));
  expect_taken(m.take(), true, true, 0x20);
}

TEST(CpuStartMailbox, SecondSipiIsDroppedAndKeepsTheFirstVector) {
  StartMailbox m;
  EXPECT_TRUE(m.post_sipi(0x9A));
  EXPECT_FALSE(m.post_sipi(0x10));
  EXPECT_FALSE(m.post_sipi(0x9A));
  expect_taken(m.take(), false, true, 0x9A);
  EXPECT_TRUE(m.post_init());
  EXPECT_TRUE(m.post_sipi(0x08));
  EXPECT_FALSE(m.post_sipi(0xFF));
  expect_taken(m.take(), true, true, 0x08);
}

TEST(CpuStartMailbox, SecondInitChangesNothing) {
  StartMailbox m;
  EXPECT_TRUE(m.post_init());
  EXPECT_FALSE(m.post_init());
  expect_taken(m.take(), true, false, 0);
}

TEST(CpuStartMailbox, TakeEmptiesTheMailbox) {
  StartMailbox m;
  EXPECT_TRUE(m.post_init());
  EXPECT_TRUE(m.post_sipi(0x9A));
  expect_taken(m.take(), true, true, 0x9A);
  EXPECT_TRUE(m.empty());
  expect_taken(m.take(), false, false, 0);
  EXPECT_TRUE(m.post_sipi(0x10));  // a new SIPI is accepted after the take
  expect_taken(m.take(), false, true, 0x10);
  EXPECT_TRUE(m.post_init());  // and a new INIT
  expect_taken(m.take(), true, false, 0);
}

TEST(CpuStartMailbox, EveryVectorSurvives) {
  StartMailbox m;
  for (u32 v = 0; v < 256; ++v) {
    EXPECT_TRUE(m.post_init());
    EXPECT_TRUE(m.post_sipi(u8(v)));
    expect_taken(m.take(), true, true, u8(v));
  }
  EXPECT_TRUE(m.post_sipi(0x00));  // vector 0 is a real SIPI, not an empty mailbox
  EXPECT_FALSE(m.empty());
  expect_taken(m.take(), false, true, 0x00);
}

// The owner's loop: take, apply INIT then SIPI.
StartState apply(StartState s, StartMailbox::Taken t, int* starts) {
  if (t.init) s = on_init(s).next;
  if (t.sipi) {
    StartStep step = on_sipi(s);
    *starts += step.start;
    s = step.next;
  }
  return s;
}

TEST(CpuStartMailbox, OwnerAppliesInitBeforeSipi) {
  StartMailbox m;
  int starts = 0;
  EXPECT_TRUE(m.post_init());
  EXPECT_TRUE(m.post_sipi(0x9A));
  StartState s = apply(StartState::Parked, m.take(), &starts);
  EXPECT_EQ(s, StartState::Running);
  EXPECT_EQ(starts, 1);
  EXPECT_TRUE(m.post_sipi(0x9A));  // Linux's second SIPI, after the CPU started: ignored
  s = apply(s, m.take(), &starts);
  EXPECT_EQ(s, StartState::Running);
  EXPECT_EQ(starts, 1);
}

// ---- Concurrency: several posters, one taker (the owner) ----

struct Tally {
  u64 inits = 0, sipis = 0, empty = 0;
  std::vector<u64> per_vector = std::vector<u64>(256, 0);
  StartMailbox::Taken last{};  // the last non-empty take
  void add(StartMailbox::Taken t) {
    if (!t.init && !t.sipi) {
      ++empty;
      EXPECT_EQ(t.vector, 0);
      return;
    }
    inits += t.init;
    sipis += t.sipi;
    if (t.sipi) {
      ++per_vector[t.vector];
    } else {
      EXPECT_EQ(t.vector, 0);
    }
    last = t;
  }
};

// Runs `posters` threads of `body(thread index)` against one taker; returns what it took.
template <typename Body>
Tally run_concurrently(StartMailbox& m, int posters, Body body) {
  std::atomic<int> running{posters};
  std::atomic<bool> go{false};
  Tally tally;
  std::thread taker([&] {
    while (!go.load()) std::this_thread::yield();
    while (running.load() != 0) tally.add(m.take());
    tally.add(m.take());  // whatever the last posts left
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < posters; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      body(i);
      running.fetch_sub(1);
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();
  taker.join();
  EXPECT_TRUE(m.empty());
  return tally;
}

constexpr int kPosters = 4;
constexpr int kRounds = 100000;

// With INITs only, post_init returns true exactly when it set the INIT bit, and every
// such INIT reaches the owner: none is lost, none is made up.
TEST(CpuStartMailboxStress, NoInitIsLost) {
  StartMailbox m;
  std::atomic<u64> changed{0};
  Tally t = run_concurrently(m, kPosters, [&](int) {
    for (int r = 0; r < kRounds; ++r) changed += m.post_init();
  });
  EXPECT_GT(changed.load(), 0u);
  EXPECT_EQ(t.inits, changed.load());
  EXPECT_EQ(t.sipis, 0u);
}

// With SIPIs only, every accepted one (post_sipi true) is taken once, with its own vector.
TEST(CpuStartMailboxStress, NoAcceptedSipiIsLostOrTorn) {
  StartMailbox m;
  std::vector<std::atomic<u64>> accepted(256);
  Tally t = run_concurrently(m, kPosters, [&](int i) {
    for (int r = 0; r < kRounds; ++r) {
      const u8 v = u8(0x10 * (i + 1) + (r & 0xF));
      if (m.post_sipi(v)) ++accepted[v];
    }
  });
  u64 total = 0;
  for (usize v = 0; v < 256; ++v) {
    EXPECT_EQ(t.per_vector[v], accepted[v].load()) << "vector " << v;
    total += accepted[v].load();
  }
  EXPECT_GT(total, 0u);
  EXPECT_EQ(t.sipis, total);
  EXPECT_EQ(t.inits, 0u);
}

// Mixed: each poster sends SIPI then INIT, so the last event of all is an INIT; once
// everyone is done the owner's last take holds that INIT and no SIPI (it was cancelled or
// taken before), and the CPU ends waiting for a SIPI.
TEST(CpuStartMailboxStress, LastInitWinsAndVectorsStayWhole) {
  StartMailbox m;
  Tally t = run_concurrently(m, kPosters, [&](int i) {
    for (int r = 0; r < kRounds; ++r) {
      m.post_sipi(u8(0x40 + i));
      m.post_init();
    }
  });
  EXPECT_GT(t.inits, 0u);
  EXPECT_TRUE(t.last.init);
  EXPECT_FALSE(t.last.sipi);
  u64 valid = 0;
  for (int i = 0; i < kPosters; ++i) valid += t.per_vector[0x40 + i];
  EXPECT_EQ(valid, t.sipis);  // no vector but those posted
}

// The owner applies what it takes: INITs and SIPIs from several senders, in any
// interleaving, never start the CPU more often than it was INITed.
TEST(CpuStartMailboxStress, OwnerNeverStartsTwicePerInit) {
  StartMailbox m;
  std::atomic<int> running{kPosters};
  StartState s = StartState::Parked;
  int starts = 0, inits_taken = 0;
  bool ok = true;
  std::thread owner([&] {
    for (;;) {
      const bool last = running.load() == 0;
      StartMailbox::Taken t = m.take();
      inits_taken += t.init;
      s = apply(s, t, &starts);
      if (starts > inits_taken) ok = false;
      if (last) break;
    }
  });
  std::vector<std::thread> posters;
  for (int i = 0; i < kPosters; ++i) {
    posters.emplace_back([&, i] {
      for (int r = 0; r < kRounds / 4; ++r) {
        m.post_init();
        m.post_sipi(u8(0x9A + i));
        m.post_sipi(u8(0x9A + i));
      }
      running.fetch_sub(1);
    });
  }
  for (auto& p : posters) p.join();
  owner.join();
  EXPECT_TRUE(ok);
  EXPECT_GT(starts, 0);
  EXPECT_NE(s, StartState::Parked);
}

}  // namespace
