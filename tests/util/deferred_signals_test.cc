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

// count() as the handler of `signal` for a scope, the count at zero.
struct CountingHandler {
  explicit CountingHandler(int signal) : signal(signal) {
    struct sigaction action {};
    action.sa_handler = count;
    sigemptyset(&action.sa_mask);
    sigaction(signal, &action, &before);
    handled = 0;
  }
  ~CountingHandler() { sigaction(signal, &before, nullptr); }
  int signal;
  struct sigaction before {};
};

TEST(DeferredSignals, ASignalInTheSectionReachesTheFormerHandlerWhenItEnds) {
  CountingHandler counting(SIGTERM);
  {
    DeferredSignals section("the test");
    std::raise(SIGTERM);
    std::raise(SIGTERM);
    EXPECT_EQ(handled, 0) << "the signal acted inside the section";
  }
  EXPECT_EQ(handled, 1);
  std::raise(SIGTERM);  // the former handler is back
  EXPECT_EQ(handled, 2);
}

TEST(DeferredSignals, ASectionWithoutSignalsRaisesNothing) {
  CountingHandler counting(SIGINT);
  { DeferredSignals section("the test"); }
  EXPECT_EQ(handled, 0);
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
