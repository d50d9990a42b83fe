// Dispatch: best first among built and supported ISAs, overrides that take, refusals that
// are errors (never a SIGILL later).
#include <cstdlib>
#include <cstring>

#include "dispatch/dispatch.h"
#include "test-util.h"

namespace lowbit::test {
namespace {

TEST(Dispatch, DefaultIsTheBestAvailable) {
  if (std::getenv("LOWBIT_ISA")) GTEST_SKIP() << "LOWBIT_ISA overrides the default";
  const CpuInfo ci = cpu_info();
  // Isa enumerators are ordered worst to best within each architecture.
  int best = -1;
  for (int i = 0; i < static_cast<int>(Isa::count); ++i)
    if (ci.available & (1u << i)) best = i;
  EXPECT_EQ(static_cast<int>(ci.isa), best);
  EXPECT_TRUE(ci.available & 1u) << "scalar is always available";
  // Set by the CI for each emulated CPU model: the choice must be exactly this one.
  if (const char* expect = std::getenv("LOWBIT_EXPECT_ISA")) {
    EXPECT_STREQ(isa_name(ci.isa), expect);
  }
}

TEST(Dispatch, UnsupportedAndUnknownAreRefused) {
  const CpuInfo ci = cpu_info();
  for (int i = 0; i < static_cast<int>(Isa::count); ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (ci.available & (1u << i)) continue;
    EXPECT_EQ(set_isa(isa), Status::unsupported_isa) << isa_name(isa);
    EXPECT_EQ(cpu_info().isa, ci.isa) << "a refused set_isa must not change the choice";
  }
  EXPECT_EQ(set_isa(Isa::count), Status::unknown_isa);
  Isa parsed;
  EXPECT_FALSE(isa_from_name("avx9000", &parsed));
  for (int i = 0; i < static_cast<int>(Isa::count); ++i) {
    ASSERT_TRUE(isa_from_name(isa_name(static_cast<Isa>(i)), &parsed));
    EXPECT_EQ(static_cast<int>(parsed), i);
  }
}

TEST(Dispatch, FeaturesAreReported) {
  const CpuInfo ci = cpu_info();
  ASSERT_NE(ci.features, nullptr);
#if defined(__x86_64__)
  if (ci.available & (1u << static_cast<int>(Isa::avx512vnni))) {
    bool zmm = false;
    for (int i = 0; ci.features[i]; ++i) zmm |= std::strcmp(ci.features[i], "os-zmm") == 0;
    EXPECT_TRUE(zmm) << "avx512vnni needs the OS to save ZMM state";
  }
#endif
}

}  // namespace
}  // namespace lowbit::test

namespace lowbit::test {
namespace {

TEST(Dispatch, PeakProbesRunOnEveryIsa) {
  // Each probe reports the multiply-accumulates of its chains: a positive multiple of the
  // iteration count, and twice the iterations give twice the work.
  for (Isa isa : available_isas()) {
    const KernelTable* t = kernel_table(isa);
    for (ProbeFn probe : {t->probe_int8, t->probe_f32}) {
      const uint64_t one = probe(1000), two = probe(2000);
      EXPECT_GT(one, 0u) << isa_name(isa);
      EXPECT_EQ(one % 1000, 0u) << isa_name(isa);
      EXPECT_EQ(two, 2 * one) << isa_name(isa);
    }
  }
}

}  // namespace
}  // namespace lowbit::test
