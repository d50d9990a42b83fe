// lowbit's C++ API: plain pointers, sizes, strides and status codes. No SIMD types, no Node.
// Everything here is callable from C++ tests and tools without Node.
#pragma once

#include <cstddef>
#include <cstdint>

#include "formats.h"

namespace lowbit {

enum class Status : int {
  ok = 0,
  invalid_argument,   // a size, stride or option is out of range
  buffer_too_small,   // a caller buffer is shorter than the shape needs
  unsupported_isa,    // the ISA is not built into this binary or not supported by this CPU
  unknown_isa,        // the name is not an ISA lowbit knows
  stale_pack,         // packed weights were made for another ISA or another shape
  out_of_memory,
};
const char* status_message(Status s);

// ---- CPU and dispatch ---------------------------------------------------------------------
// ISA names are one vocabulary: folders, file suffixes, LOWBIT_ISA, cpu().isa, bench labels.
// Within each architecture the enumerators go from worst to best.
// Worst to best within each architecture (dispatch and its tests rely on the order).
enum class Isa : int { scalar = 0, avx2, avxvnni, avx512vnni, amx, neon, neondot, i8mm, count };
const char* isa_name(Isa isa);
bool isa_from_name(const char* name, Isa* out);

struct CpuInfo {
  const char* arch;          // "x64" or "arm64" (Node's process.arch words) or "unknown"
  Isa isa;                   // the ISA whose kernels run now
  uint32_t available;        // bit i set: Isa(i) is built into this binary AND supported here
  uint32_t built;            // bit i set: Isa(i) is compiled into this binary
  const char* const* features;  // raw CPU features detected, nullptr-terminated
};
CpuInfo cpu_info();
// Chooses the kernels. Default: LOWBIT_ISA if set (an invalid value is reported by
// init_status()), else the best available ISA.
Status set_isa(Isa isa);
Status init_status();        // the outcome of applying LOWBIT_ISA at first use

// ---- threads ------------------------------------------------------------------------------
// Default: LOWBIT_THREADS if set, else the number of physical cores.
void set_threads(int n);     // n >= 1
int threads();
int physical_cores();

// ---- peak probes (for the benchmark's fractions of peak) ---------------------------------------
// Runs the current tier's register-only int8 dot-product (int8 = true) or fp32 FMA loop for
// `iterations` and returns the multiply-accumulates done; time it to get the per-core peak.
uint64_t probe_peak(bool int8, uint64_t iterations);
// Reads n bytes once (a byte sum with the tier's widest loads): time it for read bandwidth.
uint64_t probe_read(const uint8_t* p, size_t n);

// ---- INT8 GEMM: ONNX MatMulInteger ----------------------------------------------------------
// C[m,n] = sum_k (A[m,k] - a_zero_point) * (B[k,n] - b_zero_point), int32, wrapping mod 2^32
// exactly as two's-complement int32 accumulation would. A is uint8 or int8; B is int8.
//
// B is packed once ("prepacked weights") for the ISA active at packing time; a pack made for
// another ISA is rejected with Status::stale_pack. The pack holds its own shape and checksums
// of its header, so a corrupted pack gives an error, never an out-of-bounds access.
struct PackedBInfo { size_t K, N; Isa isa; };
// Bytes needed to pack a K x N int8 B for the current ISA.
size_t qgemm_packed_b_size(size_t K, size_t N);
// b(k, n) = b[k * stride_k + n * stride_n]: a row-major [K,N] matrix has (N, 1); a row-major
// [N,K] weight used as B = Wᵀ has (1, K).
Status qgemm_pack_b(const int8_t* b, size_t K, size_t N, ptrdiff_t stride_k, ptrdiff_t stride_n,
                    void* packed, size_t packed_size);
Status qgemm_packed_b_info(const void* packed, size_t packed_size, PackedBInfo* info);

struct QgemmArgs {
  size_t M = 0;
  const void* a = nullptr;     // [M, K] row-major, lda elements between rows
  size_t lda = 0;
  bool a_signed = false;       // int8 A if true, else uint8
  // Zero points: per tensor, or per row of A (a_zero_points[m], for dynamic quantization).
  int32_t a_zero_point = 0;
  const int32_t* a_zero_points = nullptr;
  int32_t b_zero_point = 0;
  const void* packed_b = nullptr;
  size_t packed_b_size = 0;
  // Output, one of:
  int32_t* c = nullptr;        // int32 [M, N], ldc elements between rows
  // or float: y[m,n] = float(acc) * a_scales[m] * b_scales[n] + bias[n] (bias optional)
  float* y = nullptr;
  const float* a_scales = nullptr;  // [M]
  const float* b_scales = nullptr;  // [N]
  const float* bias = nullptr;      // [N] or nullptr
  size_t ldc = 0;
};
Status qgemm(const QgemmArgs& args);

// ---- dynamic activation quantization ---------------------------------------------------------
// Per row, asymmetric uint8 over [min(0, min x), max(0, max x)] (so 0 is exact):
//   scale = hi/255 - lo/255 (1 if hi == lo), zp = clamp(round_half_even(-lo / scale), 0, 255),
//   q = clamp(round_half_even(x * (1 / scale)) + zp, 0, 255)  (1/scale rounded to float once:
//   a multiply per value, as ggml does, instead of a divide, which costs 5x on every CPU).
// A row holding NaN or ±Inf gets scale NaN, so every output that depends on it is NaN.
Status quantize_rows_u8(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q, size_t ldq,
                        float* scales, int32_t* zero_points);

// ---- int8 QuantizeLinear / DequantizeLinear (ONNX) -------------------------------------------
// y = saturate(round_half_even(x / scale) + zero_point); NaN maps to the lowest value (as
// onnxruntime does; checked bit-exact against it).
// axis layout: x is [outer, channels, inner]; scales/zero_points have `channels` entries
// (channels = 1 for per-tensor).
struct QuantizeLinearArgs {
  size_t outer = 1, channels = 1, inner = 0;
  const float* scales = nullptr;
  const int32_t* zero_points = nullptr;  // nullptr = all zero
};
Status quantize_linear_s8(const float* x, int8_t* y, const QuantizeLinearArgs& a);
Status quantize_linear_u8(const float* x, uint8_t* y, const QuantizeLinearArgs& a);
Status dequantize_linear_s8(const int8_t* x, float* y, const QuantizeLinearArgs& a);
Status dequantize_linear_u8(const uint8_t* x, float* y, const QuantizeLinearArgs& a);

// int8 weights [N, K], one scale per row: symmetric -> int8 with scale = max|w| / 127 (1 for
// an all-zero row); asymmetric -> uint8 with scale = hi/255 - lo/255 over [min(0, lo),
// max(0, hi)] (1 if 0) and zero point round_half_even(-lo / scale); values by QuantizeLinear
// (x / scale, half to even, saturate). A NaN or ±Inf weight gives invalid_argument.
Status quantize_weights_int8(const float* w, size_t N, size_t K, bool symmetric, void* q, float* scales,
                             uint8_t* zero_points);

// ---- FP32 GEMM --------------------------------------------------------------------------------
// y[m,n] = sum_k x[m,k] * B[k,n] + bias[n], B packed once like the int8 one.
size_t sgemm_packed_b_size(size_t K, size_t N);
Status sgemm_pack_b(const float* b, size_t K, size_t N, ptrdiff_t stride_k, ptrdiff_t stride_n,
                    void* packed, size_t packed_size);
Status sgemm_packed_b_info(const void* packed, size_t packed_size, PackedBInfo* info);
struct SgemmArgs {
  size_t M = 0;
  const float* a = nullptr;
  size_t lda = 0;
  const void* packed_b = nullptr;
  size_t packed_b_size = 0;
  const float* bias = nullptr;
  float* y = nullptr;
  size_t ldy = 0;
};
Status sgemm(const SgemmArgs& args);

// ---- ggml blocks (q4_0, q4_1, q8_0) ----------------------------------------------------------
// n values (a multiple of 32) <-> n / 32 blocks, bit-exact with ggml's reference code.
// Quantizing refuses NaN and ±Inf (invalid_argument) rather than storing garbage.
Status quantize_ggml(GgmlType type, const float* x, size_t n, void* blocks, size_t bytes);
Status dequantize_ggml(GgmlType type, const void* blocks, size_t bytes, float* y, size_t n);

// ---- blockwise int4 (onnxruntime MatMulNBits layout) -----------------------------------------
// w [N, K] in blocks of `group` along K (16, 32, 64, 128 or 256; the last block zero-padded):
// data [N, ceil(K/g), g/2] bytes, scales [N, ceil(K/g)] (float32, or float16 bits), and for
// asymmetric weights zero points [N, ceil(ceil(K/g)/2)] packed two per byte. Semantics:
// lb_quantize_qb4_row_ref (ref/ref.h). Non-finite weights are refused (invalid_argument).
struct Qb4Layout {
  size_t N = 0, K = 0, group = 32;
  bool symmetric = true;
  bool fp16_scales = false;
  size_t blocks() const { return (K + group - 1) / group; }
  size_t data_bytes() const { return N * blocks() * (group / 2); }
  size_t scale_bytes() const { return N * blocks() * (fp16_scales ? 2 : 4); }
  size_t zp_bytes() const { return symmetric ? 0 : N * ((blocks() + 1) / 2); }
};
struct Qb4Buffers {
  uint8_t* data = nullptr;
  void* scales = nullptr;
  uint8_t* zero_points = nullptr;  // asymmetric only
};
bool qb4_layout_ok(const Qb4Layout& l);
Status quantize_qb4(const float* w, const Qb4Layout& layout, bool mse, const Qb4Buffers& out);
Status dequantize_qb4(const Qb4Buffers& in, const Qb4Layout& layout, float* y);

// Packed for linear: the weights re-laid once into the int4 kernels' panels (one layout for
// every ISA). y[m, n] = lb_linear_qb4_ref (ref/ref.h): x is quantized per (row, block) to
// int8, multiplied exactly with the int4 weights, and scaled per block in float.
size_t qb4_packed_size(const Qb4Layout& layout);
Status qb4_pack(const Qb4Buffers& in, const Qb4Layout& layout, void* packed, size_t packed_size);
// ggml blocks [N, K/32] packed for the same linear_qb4: q4_0 is exactly symmetric int4 with
// g = 32 and float16 scales (it runs the int4 kernels); q4_1 and q8_0 have kernels of their
// own (lb_linear_q4_1_ref, lb_linear_q8_0_ref).
size_t ggml_linear_packed_size(GgmlType type, size_t N, size_t K);
Status ggml_linear_pack(GgmlType type, const void* blocks, size_t N, size_t K, void* packed, size_t packed_size);
Status qb4_packed_info(const void* packed, size_t packed_size, Qb4Layout* layout);
Status linear_qb4(const float* x, size_t M, const void* packed, size_t packed_size, const float* bias,
                  float* y);

// ---- linear: y = x · wᵀ + bias ------------------------------------------------------------
// With an int8 packed weight (w_scales given): x is quantized per row to uint8 on the fly
// (quantize_rows_u8), multiplied exactly in int32, and scaled back:
//   y[m,n] = float(acc[m,n]) * x_scale[m] * w_scales[n] + bias[n].
// With an fp32 packed weight (w_scales null): the fp32 GEMM.
struct LinearArgs {
  size_t M = 0;
  const float* x = nullptr;  // [M, K], ldx between rows
  size_t ldx = 0;
  const void* packed_w = nullptr;
  size_t packed_w_size = 0;
  const float* w_scales = nullptr;
  const float* bias = nullptr;
  float* y = nullptr;        // [M, N], ldy between rows
  size_t ldy = 0;
  // int8 weights only. Static activations: x quantized with this fixed scale and zero point
  // (ONNX QuantizeLinear to uint8: x / scale, half to even, saturate; NaN -> 0) instead of per
  // row from its own range. x_scale must be finite and > 0, x_zero_point in [0, 255].
  bool static_x = false;
  float x_scale = 1.f;
  int32_t x_zero_point = 0;
};
Status linear(const LinearArgs& args);

}  // namespace lowbit
