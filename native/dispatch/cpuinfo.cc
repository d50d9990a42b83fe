#include "cpuinfo.h"

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif
#if (defined(_M_ARM64) || defined(__aarch64__)) && defined(_WIN32)
#include <windows.h>
#endif

namespace lowbit {
namespace {

struct Names {
  CpuFeatures& f;
  int n = 0;
  void add(bool present, const char* name) {
    if (present && n + 1 < static_cast<int>(sizeof(f.names) / sizeof(f.names[0]))) f.names[n++] = name;
  }
};

#if defined(__x86_64__) || defined(_M_X64)
void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
#if defined(_MSC_VER)
  int v[4];
  __cpuidex(v, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<uint32_t>(v[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}
uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

// Linux hands out AMX tile state only on request (arch_prctl, kernel >= 5.16); without the
// grant the first tile instruction raises SIGILL. Other systems: not used.
bool amx_permitted() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

void detect(CpuFeatures& f) {
  Names out{f};
  uint32_t r[4];
  cpuid(0, 0, r);
  const uint32_t max_leaf = r[0];
  cpuid(1, 0, r);
  const uint32_t ecx1 = r[2];
  const bool osxsave = ecx1 & (1u << 27);
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
  bool os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;  // + opmask, ZMM_Hi256, Hi16_ZMM
#if defined(__APPLE__)
  // macOS enables AVX-512 state per thread on first use, so XCR0 does not show it yet; the
  // kernel's own flag says whether it will.
  if (os_ymm && !os_zmm) {
    int v = 0;
    size_t len = sizeof(v);
    os_zmm = sysctlbyname("hw.optional.avx512f", &v, &len, nullptr, 0) == 0 && v != 0;
  }
#endif
  uint32_t ebx7 = 0, ecx7 = 0, edx7 = 0, eax7_1 = 0;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    ebx7 = r[1];
    ecx7 = r[2];
    edx7 = r[3];
    const uint32_t max_sub = r[0];
    if (max_sub >= 1) {
      cpuid(7, 1, r);
      eax7_1 = r[0];
    }
  }
  const bool sse42 = ecx1 & (1u << 20), fma = ecx1 & (1u << 12), avx = ecx1 & (1u << 28),
             f16c = ecx1 & (1u << 29);
  const bool avx2 = ebx7 & (1u << 5), avx512f = ebx7 & (1u << 16), avx512dq = ebx7 & (1u << 17),
             avx512bw = ebx7 & (1u << 30), avx512vl = ebx7 & (1u << 31),
             avx512vbmi = ecx7 & (1u << 1), avx512vnni = ecx7 & (1u << 11),
             avxvnni = eax7_1 & (1u << 4), amx_tile = edx7 & (1u << 24),
             amx_int8 = edx7 & (1u << 25);
  const bool os_amx = (xcr0 & 0x60000) == 0x60000;  // XTILECFG + XTILEDATA
  out.add(sse42, "sse4.2");
  out.add(avx, "avx");
  out.add(fma, "fma");
  out.add(f16c, "f16c");
  out.add(avx2, "avx2");
  out.add(avxvnni, "avxvnni");
  out.add(avx512f, "avx512f");
  out.add(avx512dq, "avx512dq");
  out.add(avx512bw, "avx512bw");
  out.add(avx512vl, "avx512vl");
  out.add(avx512vbmi, "avx512vbmi");
  out.add(avx512vnni, "avx512vnni");
  out.add(amx_tile, "amx-tile");
  out.add(amx_int8, "amx-int8");
  out.add(os_ymm, "os-ymm");
  out.add(os_zmm, "os-zmm");
  f.avx2_fma = os_ymm && avx && avx2 && fma && f16c;
  f.avxvnni = f.avx2_fma && avxvnni;
  f.avx512vnni = f.avx2_fma && os_zmm && avx512f && avx512dq && avx512bw && avx512vl && avx512vnni;
  f.amx_int8 = f.avx512vnni && amx_tile && amx_int8 && os_amx && amx_permitted();
  out.add(f.amx_int8, "os-amx");
}
#elif defined(__aarch64__) || defined(_M_ARM64)
void detect(CpuFeatures& f) {
  Names out{f};
  f.neon = true;  // Advanced SIMD is mandatory in AArch64
#if defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  f.dotprod = hw & (1ul << 20);  // HWCAP_ASIMDDP
  f.i8mm = hw2 & (1ul << 13);    // HWCAP2_I8MM
#elif defined(__APPLE__)
  auto flag = [](const char* name) {
    int v = 0;
    size_t len = sizeof(v);
    return sysctlbyname(name, &v, &len, nullptr, 0) == 0 && v != 0;
  };
  f.dotprod = flag("hw.optional.arm.FEAT_DotProd");
  f.i8mm = flag("hw.optional.arm.FEAT_I8MM");
#elif defined(_WIN32)
  f.dotprod = IsProcessorFeaturePresent(43);  // PF_ARM_V82_DP_INSTRUCTIONS_AVAILABLE
  f.i8mm = false;  // no Windows feature flag for NEON i8mm yet: stay on dotprod
#endif
  out.add(true, "asimd");
  out.add(f.dotprod, "asimddp");
  out.add(f.i8mm, "i8mm");
}
#else
void detect(CpuFeatures&) {}
#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = [] {
    CpuFeatures v;
    detect(v);
    return v;
  }();
  return f;
}

}  // namespace lowbit
