// Shared helpers for the native tests: the ISAs to run, a printed seed, random fills.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lowbit/lowbit.h"

namespace lowbit::test {

// Every ISA built into this binary and supported by this CPU, best last.
inline std::vector<Isa> available_isas() {
  const CpuInfo ci = cpu_info();
  std::vector<Isa> out;
  for (int i = 0; i < static_cast<int>(Isa::count); ++i)
    if (ci.available & (1u << i)) out.push_back(static_cast<Isa>(i));
  return out;
}

inline uint64_t seed() {
  static const uint64_t s = [] {
    const char* env = std::getenv("LOWBIT_TEST_SEED");
    const uint64_t v = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::printf("[lowbit] LOWBIT_TEST_SEED=%llu\n", static_cast<unsigned long long>(v));
    return v;
  }();
  return s;
}

// Sets the ISA for a scope and checks it really is the one that runs.
struct IsaScope {
  Isa saved;
  explicit IsaScope(Isa isa) : saved(cpu_info().isa) {
    EXPECT_EQ(set_isa(isa), Status::ok);
    EXPECT_EQ(cpu_info().isa, isa);
  }
  ~IsaScope() { set_isa(saved); }
};

}  // namespace lowbit::test
