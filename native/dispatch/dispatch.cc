// Runtime dispatch: choose once, best first, among ISAs that are built AND supported AND
// allowed (LOWBIT_ISA / set_isa). A forced ISA the CPU lacks is an error, never a SIGILL.
#include "dispatch.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "cpuinfo.h"

namespace lowbit {
namespace {

constexpr KernelTable kScalar{
    {lb_u8_s8_s32_gemm_ukernel_4x4c1__scalar, 4, 4, 1, QgemmAFormat::u8, false, 1, nullptr, nullptr, false},
    {},
    0,
    {lb_f32_gemm_ukernel_4x4__scalar, 4, 4},
    lb_f32_qu8_quantize_rows__scalar,
    lb_u8_sum__scalar,
    lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__scalar,
    4,
    lb_qd8_f32_q41w_gemm_ukernel_4x16c8__scalar,
    lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__scalar,
    lb_f32_qs8_quantize_blocks__scalar,
    lb_qb4_f32_dequantize_row__scalar,
    lb_probe_int8__scalar,
    lb_probe_f32__scalar,
};
#if defined(__x86_64__) || defined(_M_X64)
constexpr KernelTable kAvx2{
    {lb_u8_s8_s32_gemm_ukernel_6x16c2__avx2, 6, 16, 2, QgemmAFormat::s16, true, 2, nullptr, nullptr, false},
    {},
    0,
    {lb_f32_gemm_ukernel_6x16__avx2, 6, 16},
    lb_f32_qu8_quantize_rows__avx2,
    lb_u8_sum__avx2,
    lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avx2,
    4,
    lb_qd8_f32_q41w_gemm_ukernel_4x16c8__avx2,
    lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__avx2,
    lb_f32_qs8_quantize_blocks__avx2,
    lb_qb4_f32_dequantize_row__avx2,
    lb_probe_int8__avx2,
    lb_probe_f32__avx2,
    nullptr,
    lb_f32_qs8_quantize__avx2,
    lb_f32_qu8_quantize__avx2,
};
// AVX-VNNI is the AVX2 tier with VEX vpdpbusd for int8 GEMM and int4 / q4_1 / q8_0 linear: u8 A needs no
// widening to int16 and B no interleaving by 2, so its GEMM packs A and B like AVX-512 VNNI.
constexpr KernelTable avxvnni_from(KernelTable t) {
  t.qgemm = {lb_u8_s8_s32_gemm_ukernel_6x16c4__avxvnni, 6, 16, 4, QgemmAFormat::u8, false, 4, nullptr, nullptr, false};
  t.qb4_gemm = lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avxvnni;
  t.q41_gemm = lb_qd8_f32_q41w_gemm_ukernel_4x16c8__avxvnni;
  t.qb8_gemm = lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__avxvnni;
  t.probe_int8 = lb_probe_int8__avxvnni;
  return t;
}
constexpr KernelTable kAvxvnni = avxvnni_from(kAvx2);
constexpr QgemmUkernel kVnni8x32{lb_u8_s8_s32_gemm_ukernel_8x32c4__avx512vnni, 8, 32, 4, QgemmAFormat::u8, false, 4, nullptr, nullptr, false};
constexpr KernelTable kAvx512vnni{
    kVnni8x32,
    {},
    0,
    {lb_f32_gemm_ukernel_14x32__avx512vnni, 14, 32},
    lb_f32_qu8_quantize_rows__avx512vnni,
    lb_u8_sum__avx2,
    lb_qd8_f32_qb4w_gemm_ukernel_8x16c8__avx512vnni,
    8,
    lb_qd8_f32_q41w_gemm_ukernel_8x16c8__avx512vnni,
    lb_qd8_f32_qb8w_gemm_ukernel_8x16c4__avx512vnni,
    lb_f32_qs8_quantize_blocks__avx512vnni,
    lb_qb4_f32_dequantize_row__avx512vnni,
    lb_probe_int8__avx512vnni,
    lb_probe_f32__avx512vnni,
    lb_f32_qb4_quantize_row__avx512vnni,
    lb_f32_qs8_quantize__avx512vnni,
    lb_f32_qu8_quantize__avx512vnni,
};
// AMX is the AVX-512 VNNI tier with tile GEMMs for 16+ rows. AMX tiles take B in exactly the
// VNNI panel layout (rows of 4-k groups), so up to 15 rows of A go to the VNNI kernel on the
// same packed weights.
constexpr KernelTable amx_from(KernelTable t) {
  t.qgemm = {lb_u8_s8_s32_gemm_ukernel_32x32c4__amx, 32, 32, 4, QgemmAFormat::u8, false, 64,
             lb_u8_s8_s32_gemm_begin__amx, lb_u8_s8_s32_gemm_end__amx, true, true};
  t.qgemm_small = kVnni8x32;
  t.small_m_max = 15;
  t.probe_int8 = lb_probe_int8__amx;
  t.qb4_gemm_tiles = lb_qd8_f32_qb4w_gemm_ukernel_16x16c4__amx;
  t.qb4_tiles_mr = 16;
  t.qb4_tiles_begin = lb_qd8_f32_qb4w_gemm_begin__amx;
  t.qb4_tiles_end = lb_qd8_f32_qb4w_gemm_end__amx;
  return t;
}
constexpr KernelTable kAmx = amx_from(kAvx512vnni);
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
constexpr KernelTable kNeon{
    {lb_u8_s8_s32_gemm_ukernel_8x8c1__neon, 8, 8, 1, QgemmAFormat::s16, true, 1, nullptr, nullptr, false},
    {},
    0,
    {lb_f32_gemm_ukernel_8x12__neon, 8, 12},
    lb_f32_qu8_quantize_rows__neon,
    lb_u8_sum__neon,
    lb_qd8_f32_qb4w_gemm_ukernel_2x16c8__neon,
    4,
    lb_qd8_f32_q41w_gemm_ukernel_4x16c8__scalar,
    lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__scalar,
    lb_f32_qs8_quantize_blocks__neon,
    lb_qb4_f32_dequantize_row__neon,
    lb_probe_int8__neon,
    lb_probe_f32__neon,
};
// The dot-product and i8mm tiers replace the integer kernels of the tier below them; the
// float, quantization and dequantization kernels are NEON's.
constexpr KernelTable neondot_from(KernelTable t) {
  t.qgemm = {lb_u8_s8_s32_gemm_ukernel_8x8c4__neondot, 8, 8, 4, QgemmAFormat::s8_shifted, false, 4, nullptr, nullptr, false};
  t.qb4_gemm = lb_qd8_f32_qb4w_gemm_ukernel_2x16c8__neondot;
  t.qb4_mr = 2;
  t.q41_gemm = lb_qd8_f32_q41w_gemm_ukernel_2x16c8__neondot;
  t.qb8_gemm = lb_qd8_f32_qb8w_gemm_ukernel_2x16c4__neondot;
  t.probe_int8 = lb_probe_int8__neondot;
  return t;
}
constexpr KernelTable kNeondot = neondot_from(kNeon);
constexpr KernelTable i8mm_from(KernelTable t) {
  t.qgemm = {lb_u8_s8_s32_gemm_ukernel_8x8c8__i8mm, 8, 8, 8, QgemmAFormat::u8, false, 8, nullptr, nullptr, false};
  t.qb4_gemm = lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__i8mm;  // q4_1 / q8_0 stay on sdot
  t.qb4_mr = 4;
  t.probe_int8 = lb_probe_int8__i8mm;
  return t;
}
constexpr KernelTable kI8mm = i8mm_from(kNeondot);
#endif

bool supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return f.avx2_fma;
    case Isa::avxvnni: return f.avxvnni;
    case Isa::avx512vnni: return f.avx512vnni;
    case Isa::amx: return f.avx512vnni && f.amx_int8;
    case Isa::neon: return f.neon;
    case Isa::neondot: return f.neon && f.dotprod;
    case Isa::i8mm: return f.neon && f.dotprod && f.i8mm;
    default: return false;
  }
}

constexpr Isa kBestFirst[] = {Isa::amx, Isa::avx512vnni, Isa::avxvnni, Isa::avx2, Isa::i8mm, Isa::neondot, Isa::neon,
                              Isa::scalar};

std::atomic<int> g_isa{-1};
Status g_init_status = Status::ok;
std::once_flag g_once;

void init() {
  std::call_once(g_once, [] {
    Isa best = Isa::scalar;
    for (Isa i : kBestFirst)
      if (kernel_table(i) && supported(i)) { best = i; break; }
    g_isa.store(static_cast<int>(best));
    if (const char* env = std::getenv("LOWBIT_ISA"); env && *env) {
      Isa forced;
      if (!isa_from_name(env, &forced)) g_init_status = Status::unknown_isa;
      else if (!kernel_table(forced) || !supported(forced)) g_init_status = Status::unsupported_isa;
      else g_isa.store(static_cast<int>(forced));
    }
  });
}

}  // namespace

const KernelTable* kernel_table(Isa isa) {
  switch (isa) {
    case Isa::scalar: return &kScalar;
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return &kAvx2;
    case Isa::avxvnni: return &kAvxvnni;
    case Isa::avx512vnni: return &kAvx512vnni;
    case Isa::amx: return &kAmx;
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
    case Isa::neon: return &kNeon;
    case Isa::neondot: return &kNeondot;
    case Isa::i8mm: return &kI8mm;
#endif
    default: return nullptr;
  }
}

Dispatch current_dispatch() {
  init();
  const Isa isa = static_cast<Isa>(g_isa.load(std::memory_order_acquire));
  return {isa, kernel_table(isa)};
}

Status init_status() {
  init();
  return g_init_status;
}

Status set_isa(Isa isa) {
  init();
  if (static_cast<int>(isa) < 0 || isa >= Isa::count) return Status::unknown_isa;
  if (!kernel_table(isa) || !supported(isa)) return Status::unsupported_isa;
  g_isa.store(static_cast<int>(isa), std::memory_order_release);
  return Status::ok;
}

uint64_t probe_peak(bool int8, uint64_t iterations) {
  const KernelTable& t = *current_dispatch().table;
  return int8 ? t.probe_int8(iterations) : t.probe_f32(iterations);
}

uint64_t probe_read(const uint8_t* p, size_t n) { return current_dispatch().table->sum_u8(p, n, 0); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avxvnni: return "avxvnni";
    case Isa::avx512vnni: return "avx512vnni";
    case Isa::amx: return "amx";
    case Isa::neon: return "neon";
    case Isa::neondot: return "neondot";
    case Isa::i8mm: return "i8mm";
    default: return "unknown";
  }
}

bool isa_from_name(const char* name, Isa* out) {
  for (int i = 0; i < static_cast<int>(Isa::count); ++i)
    if (std::strcmp(name, isa_name(static_cast<Isa>(i))) == 0) {
      *out = static_cast<Isa>(i);
      return true;
    }
  return false;
}

CpuInfo cpu_info() {
  init();
  CpuInfo info{};
#if defined(__x86_64__) || defined(_M_X64)
  info.arch = "x64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  info.arch = "arm64";
#else
  info.arch = "unknown";
#endif
  info.isa = static_cast<Isa>(g_isa.load());
  for (int i = 0; i < static_cast<int>(Isa::count); ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (kernel_table(isa)) {
      info.built |= 1u << i;
      if (supported(isa)) info.available |= 1u << i;
    }
  }
  info.features = cpu_features().names;
  return info;
}

const char* status_message(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid argument";
    case Status::buffer_too_small: return "buffer too small";
    case Status::unsupported_isa: return "ISA not supported by this CPU or not built into this binary";
    case Status::unknown_isa: return "unknown ISA name";
    case Status::stale_pack: return "packed weights were made for another ISA or are corrupt";
    case Status::out_of_memory: return "out of memory";
  }
  return "unknown status";
}

}  // namespace lowbit
