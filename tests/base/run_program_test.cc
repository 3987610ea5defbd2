// RunProgram: a program's stdout, its failure with stderr's first line, and a
// time limit for one that does not end (helper-146 F3: a hung postconf held
// the agent's start and check-config for good).
#include "base/run_program.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace mailtrail {
namespace {

TEST(RunProgram, GivesStdoutAndFailsWithStderr) {
  auto out = RunProgram({"/bin/sh", "-c", "echo out; echo err >&2"});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "out\n");
  auto failed = RunProgram({"/bin/sh", "-c", "echo why >&2; exit 3"});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("failed: why"), std::string::npos);
  EXPECT_FALSE(RunProgram({"/nonexistent/program"}).ok());
}

TEST(RunProgram, AProgramThatDoesNotEndIsStoppedAtItsTimeLimit) {
  // A child that keeps its pipes open and does not end: stopped, said.
  auto hung = RunProgram({"/bin/sleep", "600"}, 200);
  ASSERT_FALSE(hung.ok());
  EXPECT_NE(hung.status().message().find("did not finish within 200 ms"), std::string::npos)
      << hung.status().message();
  // One that closes its pipes and goes on: the same.
  auto quiet = RunProgram({"/bin/sh", "-c", "exec >&- 2>&-; sleep 600"}, 200);
  ASSERT_FALSE(quiet.ok());
  EXPECT_NE(quiet.status().message().find("did not finish"), std::string::npos);
  auto quick = RunProgram({"/bin/echo", "in time"}, 60000);
  ASSERT_TRUE(quick.ok()) << quick.status().message();
  EXPECT_EQ(*quick, "in time\n");
}

TEST(RunProgram, AProgramIsStoppedWhenItsCallerStops) {
  const int stop = eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(stop, 0);
  // The caller stops once the program runs (it said so): no clock involved.
  RunOptions o;
  o.cancel_fd = stop;
  o.on_stdout = [stop](std::string_view piece) {
    const uint64_t one = 1;
    if (piece.find("running") != std::string_view::npos) {
      EXPECT_EQ(write(stop, &one, sizeof one), 8);
    }
  };
  auto hung = RunProgram({"/bin/sh", "-c", "echo running; exec sleep 600"}, o);
  ASSERT_FALSE(hung.ok());
  EXPECT_NE(hung.status().message().find("stopped: we are stopping"), std::string::npos)
      << hung.status().message();
  // Stopped already: not waited for, and one that closed its pipes too.
  o.on_stdout = nullptr;
  auto quiet = RunProgram({"/bin/sh", "-c", "exec >&- 2>&-; sleep 600"}, o);
  ASSERT_FALSE(quiet.ok());
  close(stop);
}

// A program that leaves a process behind with its own stdio elsewhere has
// ended: the pipes are no one else's (helper-148: their write ends leaked
// into the child a second time, the grandchild held them, and the read
// waited for the time limit).
TEST(RunProgram, ABackgroundGrandchildHoldsNoPipe) {
  auto r = RunProgram({"/bin/sh", "-c", "echo done; sleep 30 </dev/null >/dev/null 2>&1 &"}, 5000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "done\n");
}

TEST(RunProgram, StdoutGivenInPiecesIsGivenWhole) {
  // Past the 1 MiB kept of an output: a queue's postqueue -j.
  RunOptions o;
  std::string got;
  o.on_stdout = [&got](std::string_view piece) { got.append(piece); };
  auto r = RunProgram({"/bin/sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x"}, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "") << "nothing kept";
  EXPECT_EQ(got, std::string(3000000, 'x'));
}

}  // namespace
}  // namespace mailtrail
