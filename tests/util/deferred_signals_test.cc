// A signal during a DeferredSignals section waits for its end, then does
// what the handler from before would have done.
#include "util/deferred_signals.h"

#include <gtest/gtest.h>

#include <csignal>

namespace migrate {
namespace {

volatile std::sig_atomic_t handled = 0;

void count(int) {
  handled = handled + 1;
}

TEST(DeferredSignals, ASignalInTheSectionReachesTheFormerHandlerWhenItEnds) {
  struct sigaction action {
  }, before{};
  action.sa_handler = count;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGTERM, &action, &before), 0);
  handled = 0;
  {
    DeferredSignals section("the test");
    std::raise(SIGTERM);
    std::raise(SIGTERM);
    EXPECT_EQ(handled, 0) << "the signal acted inside the section";
  }
  EXPECT_EQ(handled, 1);
  std::raise(SIGTERM);  // the former handler is back
  EXPECT_EQ(handled, 2);
  sigaction(SIGTERM, &before, nullptr);
}

TEST(DeferredSignals, ASectionWithoutSignalsRaisesNothing) {
  struct sigaction action {
  }, before{};
  action.sa_handler = count;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGINT, &action, &before), 0);
  handled = 0;
  { DeferredSignals section("the test"); }
  EXPECT_EQ(handled, 0);
  sigaction(SIGINT, &before, nullptr);
}

// The default action still ends the process once the section is over.
TEST(DeferredSignalsDeathTest, TheDefaultActionEndsTheProcessAfterTheSection) {
  EXPECT_EXIT(
      {
        std::signal(SIGTERM, SIG_DFL);
        {
          DeferredSignals section("the test");
          std::raise(SIGTERM);
          std::fputs("survived the signal inside the section\n", stderr);
        }
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "survived the signal inside the section");
}

}  // namespace
}  // namespace migrate
