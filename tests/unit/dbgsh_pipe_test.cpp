#include "tv/dbgsh_pipe.hpp"

#include <gtest/gtest.h>

namespace tv::dbgsh {
namespace {

TEST(DbgshPipe, WithoutASessionEveryCallIsNothingPending) {
  Pipe p;
  EXPECT_FALSE(p.active());
  EXPECT_FALSE(p.feed(kSendPoll));
  EXPECT_EQ(p.answer(), kRecvNothing);
}

TEST(DbgshPipe, OutputIsOneCharacterPerCallAndWaitsForTheAck) {
  Pipe p;
  p.start();
  p.shell_writes('>');
  EXPECT_EQ(p.answer(), '>');
  EXPECT_FALSE(p.feed(kSendPoll));  // a poll is not an ack: the same character again
  EXPECT_EQ(p.answer(), '>');
  EXPECT_TRUE(p.feed(kSendAck));
  EXPECT_EQ(p.state(), Pipe::Shell::Running);
}

TEST(DbgshPipe, AnOutputNulIsSentAs0x100) {
  Pipe p;
  p.start();
  p.shell_writes(0);
  EXPECT_EQ(p.answer(), kRecvNul);
}

TEST(DbgshPipe, InputIsAskedForWithZeroAndDeliveredOnce) {
  Pipe p;
  p.start();
  p.shell_reads();
  EXPECT_EQ(p.answer(), kRecvWantInput);
  EXPECT_FALSE(p.feed(kSendPoll));
  EXPECT_FALSE(p.feed(kSendAck));  // an ack is not a keystroke
  EXPECT_EQ(p.answer(), kRecvWantInput);
  EXPECT_TRUE(p.feed('l'));
  EXPECT_EQ(p.shell_input(), 'l');
  EXPECT_FALSE(p.feed('x'));  // the shell has not asked again
}

TEST(DbgshPipe, ANulKeystrokeIs0x100) {
  Pipe p;
  p.start();
  p.shell_reads();
  EXPECT_TRUE(p.feed(kSendNul));
  EXPECT_EQ(p.shell_input(), 0);
  EXPECT_FALSE(Pipe::is_keystroke(0x101));
  EXPECT_FALSE(Pipe::is_keystroke(-2));
}

TEST(DbgshPipe, TheEndOfASessionIsToldOnceThenANewOneCanStart) {
  Pipe p;
  p.start();
  p.shell_ended();
  EXPECT_FALSE(p.active());
  EXPECT_EQ(p.answer(), kRecvSessionOver);
  EXPECT_EQ(p.answer(), kRecvNothing);
  p.start();
  EXPECT_TRUE(p.active());
}

TEST(DbgshPipe, AfterAHangUpReadsSeeEndOfInput) {
  Pipe p;
  p.start();
  p.hang_up();
  p.shell_reads();
  EXPECT_EQ(p.state(), Pipe::Shell::Running);
  EXPECT_EQ(p.shell_input(), -1);
  p.start();
  EXPECT_FALSE(p.hung_up());
}

TEST(DbgshPipe, APeekIsResumedByAPollWithoutAKey) {
  Pipe p;
  p.start();
  p.shell_peeks();
  EXPECT_EQ(p.answer(), kRecvWantInput);  // the client may type: the shell asked
  EXPECT_FALSE(p.feed(kSendAck));         // an ack is neither a key nor a poll
  EXPECT_TRUE(p.feed(kSendPoll));         // nothing typed: the shell goes on
  EXPECT_EQ(p.state(), Pipe::Shell::Running);
  EXPECT_EQ(p.shell_input(), Pipe::kNoKey);
  EXPECT_FALSE(p.feed(kSendPoll));  // once per peek
}

TEST(DbgshPipe, APeekTakesAKeystrokeAsARead) {
  Pipe p;
  p.start();
  p.shell_peeks();
  EXPECT_TRUE(p.feed('q'));
  EXPECT_EQ(p.shell_input(), 'q');
  p.shell_peeks();  // a key is delivered once
  EXPECT_TRUE(p.feed(kSendPoll));
  EXPECT_EQ(p.shell_input(), Pipe::kNoKey);
}

TEST(DbgshPipe, AnOrdinaryReadIsNotResumedByAPoll) {
  Pipe p;
  p.start();
  p.shell_peeks();
  EXPECT_TRUE(p.feed(kSendPoll));
  p.shell_reads();  // the peek's flag does not outlive it
  EXPECT_FALSE(p.feed(kSendPoll));
  EXPECT_EQ(p.state(), Pipe::Shell::WaitsInput);
}

TEST(DbgshPipe, AfterAHangUpAPeekSeesEndOfInput) {
  Pipe p;
  p.start();
  p.hang_up();
  p.shell_peeks();
  EXPECT_EQ(p.state(), Pipe::Shell::Running);
  EXPECT_EQ(p.shell_input(), -1);
}

}  // namespace
}  // namespace tv::dbgsh
