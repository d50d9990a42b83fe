// Declarations of every microkernel, and the descriptors that carry their packed layouts.
// ISA-free: included by the kernels themselves and by dispatch/ (the one place that names
// more than one ISA). The semantics every kernel must match live in native/ref/.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowbit {

// ---- int8 GEMM microkernels ---------------------------------------------------------------
// A packed by the driver as [k / a_kr][mr][a_kr] for one tile of at most `mr` rows (rows past
// the tile's height are zero), elements as `a_format` says. B packed as panels of `nr` columns,
// [k / kr][nr][kr], elements int8 or int16 (b_int16). Both are zero-padded to Kp, a multiple
// of max(kr, a_kr).
// The kernel computes acc[m][n] = sum_k a(m,k) * b(k,n) over the padded depth and writes
//   int32 out: c[m][n] = acc + row_offset[m] - row_zp[m] * col_sum[n]
//   float out: y[m][n] = float(that) * row_scale[m] * col_scale[n] + bias[n]
// for m < mr_used, n < nr_used. Wrapping int32 arithmetic throughout.
enum class QgemmAFormat : uint8_t {
  u8,         // A as uint8 (A, or int8 A xor 0x80)
  s8_shifted, // kernel consumes (Au - 128) as int8: used where only s8*s8 dots exist
  s16,        // A widened to int16 pairs
};
struct QgemmTileOut {
  const int32_t* row_offset;  // [mr_used]
  const int32_t* row_zp;      // [mr_used]
  const int32_t* col_sum;     // [nr] (whole panel)
  int32_t* c;                 // int32 out, or nullptr
  float* y;                   // float out, or nullptr
  size_t ldc;                 // elements
  const float* row_scale;     // [mr_used]     float out only
  const float* col_scale;     // [nr]          float out only
  const float* bias;          // [nr] or null  float out only
  // Kernels with QgemmUkernel::a_direct only: A is row-major, lda bytes between rows: the
  // caller's own rows (full tiles), or packed rows Kp apart (zero-padded, sign-flipped).
  size_t lda;
  // The zero-point terms of every row of this tile are zero: c = acc (int32 out only).
  bool plain;
};
using QgemmUkernelFn = void (*)(size_t mr_used, size_t nr_used, size_t kp, const void* a_packed,
                                const void* b_panel, const QgemmTileOut& out);
struct QgemmUkernel {
  QgemmUkernelFn fn;
  uint8_t mr, nr, kr;
  QgemmAFormat a_format;
  bool b_int16;
  uint8_t a_kr;  // A's k interleave
  // Called around each run of tiles on one thread (may be null): per-thread state such as
  // the AMX tile configuration is set once per run, not once per tile.
  void (*begin)();
  void (*end)();
  // Takes A row-major (see QgemmTileOut::lda), so full tiles of uint8 A whose rows start on
  // cache lines, with K a multiple of a_kr, are read where they are, not packed.
  bool a_direct;
  // Loop order for kernels whose A and B tiles are the same size (AMX: 2 KB of each per k
  // step): one A tile meets every panel of an L2-sized group of B before the next tile, so A
  // stays in L1 while B's contiguous panels stream. Otherwise one panel stays while the tiles
  // pass (the usual order for register-blocked kernels, whose B panel is the larger operand).
  bool tile_major = false;
};

// ---- fp32 GEMM microkernels ----------------------------------------------------------------
// A packed as [k][mr] (rows past the tile are zero), B as panels of nr columns [k][nr].
// y[m][n] (+)= sum_k a(m,k) * b(k,n) for m < mr_used, n < nr_used over kc steps;
// accumulate=false overwrites y (adding bias if non-null), true adds to it.
using SgemmUkernelFn = void (*)(size_t mr_used, size_t nr_used, size_t kc, const float* a_packed,
                                const float* b_panel, float* y, size_t ldy, bool accumulate,
                                const float* bias);
struct SgemmUkernel {
  SgemmUkernelFn fn;
  uint8_t mr, nr;
};

// ---- quantization (portable, written to auto-vectorize) ------------------------------------
// Dynamic per-row uint8 quantization: matches lb_quantize_rows_u8_ref exactly.
void lb_f32_qu8_quantize_rows__scalar(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                      size_t ldq, float* scales, int32_t* zero_points);
// One contiguous run of QuantizeLinear / DequantizeLinear with one scale and zero point:
// matches lb_quantize_linear_ref / lb_dequantize_linear_ref exactly.
void lb_f32_qs8_quantize__scalar(const float* x, int8_t* y, size_t n, float scale, int32_t zp);
void lb_f32_qu8_quantize__scalar(const float* x, uint8_t* y, size_t n, float scale, int32_t zp);
void lb_qs8_f32_dequantize__scalar(const int8_t* x, float* y, size_t n, float scale, int32_t zp);
void lb_qu8_f32_dequantize__scalar(const uint8_t* x, float* y, size_t n, float scale, int32_t zp);

// Sum of (x[i] ^ flip) over n bytes: the row sums the int8 GEMM's zero-point algebra needs.
using SumU8Fn = uint32_t (*)(const uint8_t* x, size_t n, uint8_t flip);
uint32_t lb_u8_sum__scalar(const uint8_t* x, size_t n, uint8_t flip);

// ---- int4 x int8 GEMM (linear with blockwise int4 weights) ----------------------------------
// Weights packed per panel of 16 columns, per block of g along k, as one record:
//   [g/8 groups of 64 bytes: byte 4c + j holds w[c][k0 + j] (low nibble) and w[c][k0 + 4 + j]
//    (high nibble), k0 = 8 * group] [16 scales: float32, or float16 bits] [16 zero points, bytes,
//    asymmetric only]
// Activations: xq int8 [rows][blocks * g] (padded blocks), sx float [rows][blocks],
// xsum int32 [rows][blocks] (Σ xq per block). The kernel computes, for m < mr_used, n < nr_used,
//   y[m][n] = Σ_b float(dot(m, n, b) - zp[n][b] * xsum[m][b]) * (sx[m][b] * sw[n][b]) (+ bias[n]),
// blocks added in order, no fused multiply-add: exactly lb_linear_qb4_ref.
struct Qb4GemmArgs {
  size_t mr_used, nr_used, blocks, g;
  const int8_t* xq;      // row 0 of the tile; rows blocks * g apart
  const float* sx;       // rows `blocks` apart
  const int32_t* xsum;   // rows `blocks` apart
  const uint8_t* panel;  // the panel's first record
  bool fp16_scales, symmetric;
  float* y;
  size_t ldy;
  const float* bias;     // [nr_used] or null
};
using Qb4GemmFn = void (*)(const Qb4GemmArgs& a);
constexpr size_t kQb4Nr = 16;
inline size_t qb4_record_bytes(size_t g, bool fp16_scales, bool symmetric) {
  return g * 8 + kQb4Nr * (fp16_scales ? 2 : 4) + (symmetric ? 0 : kQb4Nr);
}
// ggml's other blocks in the same panel scheme (g = 32, float16 fields):
//   q4_1: the int4 nibble groups, then 16 scales d, then 16 minimums m;
//         y += float(dot) * (sx * d) + float(xsum) * (sx * m)        (lb_linear_q4_1_ref)
//   q8_0: g/4 groups of 64 bytes, byte 4c + j = w[c][k0 + j] + 128 (k0 = 4 * group), then 16 d;
//         y += float(dot(xq, w + 128) - 128 * xsum) * (sx * d)        (lb_linear_q8_0_ref)
inline size_t q41_record_bytes() { return 32 * 8 + kQb4Nr * 4; }
inline size_t qb8_record_bytes() { return 32 * 16 + kQb4Nr * 2; }
void lb_qd8_f32_q41w_gemm_ukernel_4x16c8__scalar(const Qb4GemmArgs& a);
void lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__scalar(const Qb4GemmArgs& a);
void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__scalar(const Qb4GemmArgs& a);
// Per-(row, block) int8 activations for it: matches lb_quantize_rows_q8_blocks_ref exactly.
using QuantizeRowsQ8BlocksFn = void (*)(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                        int32_t* sum);
void lb_f32_qs8_quantize_blocks__scalar(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                        int32_t* sum);

// One row of blockwise int4 (MatMulNBits layout) back to float: matches
// lb_dequantize_qb4_row_ref exactly. zps null = symmetric (zero point 8).
using DequantizeQb4RowFn = void (*)(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                                    size_t g, bool fp16_scales, float* y);
void lb_qb4_f32_dequantize_row__scalar(const uint8_t*, const void*, const uint8_t*, size_t, size_t, bool, float*);

// One weight row to blockwise int4, round to nearest (MatMulNBits layout): matches
// lb_quantize_qb4_row_ref with mse = false exactly. zps null = symmetric. Returns false when
// some weight is NaN or ±Inf (the outputs are then unspecified).
using QuantizeQb4RowFn = bool (*)(const float* x, size_t K, size_t g, bool fp16_scales, uint8_t* data,
                                  void* scales, uint8_t* zps);

using QuantizeRowsU8Fn = void (*)(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                                  size_t ldq, float* scales, int32_t* zero_points);

// ---- peak probes -----------------------------------------------------------------------------
// Register-only loops of the tier's best int8 dot-product / fp32 FMA instruction, with enough
// independent chains to hide latency: what the benchmark quotes fractions of. Each returns the
// multiply-accumulates it performed (so the caller times it and nothing is optimized away).
using ProbeFn = uint64_t (*)(uint64_t iterations);
uint64_t lb_probe_int8__scalar(uint64_t iterations);
uint64_t lb_probe_f32__scalar(uint64_t iterations);

// One table per ISA: what dispatch chooses.
struct KernelTable {
  QgemmUkernel qgemm;
  // Optional kernel for M <= small_m_max on the same packed B (same nr, kr, b_int16): tile
  // engines like AMX waste most of their work on a single row.
  QgemmUkernel qgemm_small;
  size_t small_m_max;
  SgemmUkernel sgemm;
  QuantizeRowsU8Fn quantize_rows_u8;  // matches lb_quantize_rows_u8_ref exactly
  SumU8Fn sum_u8;
  Qb4GemmFn qb4_gemm;
  uint8_t qb4_mr;  // rows per qb4_gemm, q41_gemm and qb8_gemm call
  Qb4GemmFn q41_gemm;
  Qb4GemmFn qb8_gemm;
  QuantizeRowsQ8BlocksFn quantize_q8_blocks;
  DequantizeQb4RowFn dequantize_qb4_row;
  ProbeFn probe_int8;
  ProbeFn probe_f32;
  QuantizeQb4RowFn quantize_qb4_row;  // null: the reference arithmetic (portable)
  // ONNX QuantizeLinear on a run of values (null: the portable loop).
  void (*quantize_linear_s8)(const float* x, int8_t* y, size_t n, float scale, int32_t zp);
  void (*quantize_linear_u8)(const float* x, uint8_t* y, size_t n, float scale, int32_t zp);
  // Optional: int4 (and q4_0) linear on full tiles of qb4_tiles_mr rows (AMX); the rows left
  // over, and inputs of fewer rows, go to qb4_gemm.
  Qb4GemmFn qb4_gemm_tiles = nullptr;
  uint8_t qb4_tiles_mr = 0;
  // Around each run of qb4_gemm_tiles calls on one thread, for one group size (as
  // QgemmUkernel::begin / end: per-thread tile state set once, not once per call).
  void (*qb4_tiles_begin)(size_t g) = nullptr;
  void (*qb4_tiles_end)() = nullptr;
};

#define LB_DECLARE_QGEMM(name) \
  void name(size_t, size_t, size_t, const void*, const void*, const QgemmTileOut&)
#define LB_DECLARE_SGEMM(name) \
  void name(size_t, size_t, size_t, const float*, const float*, float*, size_t, bool, const float*)

LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_4x4c1__scalar);
LB_DECLARE_SGEMM(lb_f32_gemm_ukernel_4x4__scalar);
#if defined(__x86_64__) || defined(_M_X64)
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_6x16c2__avx2);
uint32_t lb_u8_sum__avx2(const uint8_t*, size_t, uint8_t);
void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avx2(const Qb4GemmArgs& a);
void lb_qd8_f32_q41w_gemm_ukernel_4x16c8__avx2(const Qb4GemmArgs& a);
void lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__avx2(const Qb4GemmArgs& a);
uint64_t lb_probe_int8__avx2(uint64_t iterations);
uint64_t lb_probe_f32__avx2(uint64_t iterations);
uint64_t lb_probe_int8__avx512vnni(uint64_t iterations);
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_6x16c4__avxvnni);
void lb_f32_qs8_quantize__avx2(const float*, int8_t*, size_t, float, int32_t);
void lb_f32_qu8_quantize__avx2(const float*, uint8_t*, size_t, float, int32_t);
void lb_f32_qs8_quantize__avx512vnni(const float*, int8_t*, size_t, float, int32_t);
void lb_f32_qu8_quantize__avx512vnni(const float*, uint8_t*, size_t, float, int32_t);
void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__avxvnni(const Qb4GemmArgs& a);
void lb_qd8_f32_q41w_gemm_ukernel_4x16c8__avxvnni(const Qb4GemmArgs& a);
void lb_qd8_f32_qb8w_gemm_ukernel_4x16c4__avxvnni(const Qb4GemmArgs& a);
uint64_t lb_probe_int8__avxvnni(uint64_t iterations);
bool lb_f32_qb4_quantize_row__avx512vnni(const float*, size_t, size_t, bool, uint8_t*, void*, uint8_t*);
uint64_t lb_probe_f32__avx512vnni(uint64_t iterations);
uint64_t lb_probe_int8__amx(uint64_t iterations);
void lb_qb4_f32_dequantize_row__avx2(const uint8_t*, const void*, const uint8_t*, size_t, size_t, bool, float*);
void lb_f32_qs8_quantize_blocks__avx2(const float*, size_t, size_t, size_t, int8_t*, float*, int32_t*);
void lb_f32_qu8_quantize_rows__avx2(const float*, size_t, size_t, size_t, uint8_t*, size_t, float*, int32_t*);
void lb_f32_qu8_quantize_rows__avx512vnni(const float*, size_t, size_t, size_t, uint8_t*, size_t, float*, int32_t*);
LB_DECLARE_SGEMM(lb_f32_gemm_ukernel_6x16__avx2);
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_8x32c4__avx512vnni);
LB_DECLARE_SGEMM(lb_f32_gemm_ukernel_14x32__avx512vnni);
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_32x32c4__amx);
void lb_qd8_f32_qb4w_gemm_ukernel_8x16c8__avx512vnni(const Qb4GemmArgs& a);
void lb_qd8_f32_q41w_gemm_ukernel_8x16c8__avx512vnni(const Qb4GemmArgs& a);
void lb_qd8_f32_qb8w_gemm_ukernel_8x16c4__avx512vnni(const Qb4GemmArgs& a);
void lb_qb4_f32_dequantize_row__avx512vnni(const uint8_t*, const void*, const uint8_t*, size_t, size_t, bool, float*);
void lb_f32_qs8_quantize_blocks__avx512vnni(const float*, size_t, size_t, size_t, int8_t*, float*, int32_t*);
void lb_qd8_f32_qb4w_gemm_ukernel_16x16c4__amx(const Qb4GemmArgs& a);
void lb_qd8_f32_qb4w_gemm_begin__amx(size_t g);
void lb_qd8_f32_qb4w_gemm_end__amx();
void lb_u8_s8_s32_gemm_begin__amx();
void lb_u8_s8_s32_gemm_end__amx();
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_8x8c1__neon);
uint32_t lb_u8_sum__neon(const uint8_t*, size_t, uint8_t);
void lb_qd8_f32_qb4w_gemm_ukernel_2x16c8__neon(const Qb4GemmArgs& a);
uint64_t lb_probe_int8__neon(uint64_t iterations);
uint64_t lb_probe_f32__neon(uint64_t iterations);
uint64_t lb_probe_int8__neondot(uint64_t iterations);
uint64_t lb_probe_int8__i8mm(uint64_t iterations);
void lb_f32_qs8_quantize_blocks__neon(const float*, size_t, size_t, size_t, int8_t*, float*, int32_t*);
void lb_qb4_f32_dequantize_row__neon(const uint8_t*, const void*, const uint8_t*, size_t, size_t, bool, float*);
void lb_f32_qu8_quantize_rows__neon(const float*, size_t, size_t, size_t, uint8_t*, size_t, float*, int32_t*);
LB_DECLARE_SGEMM(lb_f32_gemm_ukernel_8x12__neon);
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_8x8c4__neondot);
void lb_qd8_f32_qb4w_gemm_ukernel_2x16c8__neondot(const Qb4GemmArgs& a);
void lb_qd8_f32_q41w_gemm_ukernel_2x16c8__neondot(const Qb4GemmArgs& a);
void lb_qd8_f32_qb8w_gemm_ukernel_2x16c4__neondot(const Qb4GemmArgs& a);
LB_DECLARE_QGEMM(lb_u8_s8_s32_gemm_ukernel_8x8c8__i8mm);
void lb_qd8_f32_qb4w_gemm_ukernel_4x16c8__i8mm(const Qb4GemmArgs& a);
#endif

}  // namespace lowbit
