// The references: naive loops that DEFINE lowbit's semantics (rounding, clamping, wrapping).
// Every kernel is tested against these; none of them is ever on a hot path.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowbit {

// ONNX MatMulInteger: c[m,n] = sum_k (a[m,k] - za[m]) * (b(k,n) - zb), wrapping mod 2^32.
// za[m] = a_zero_points ? a_zero_points[m] : a_zero_point; b(k,n) = b[k*stride_k + n*stride_n].
void lb_qgemm_ref(size_t M, size_t N, size_t K, const void* a, size_t lda, bool a_signed,
                  int32_t a_zero_point, const int32_t* a_zero_points, const int8_t* b,
                  ptrdiff_t stride_k, ptrdiff_t stride_n, int32_t b_zero_point, int32_t* c,
                  size_t ldc);

// y[m,n] = sum_k a[m,k] * b(k,n) + bias[n], accumulated in double then rounded once (the
// tolerance of the fp32 kernels is stated against this).
void lb_f32_gemm_ref(size_t M, size_t N, size_t K, const float* a, size_t lda, const float* b,
                     ptrdiff_t stride_k, ptrdiff_t stride_n, const float* bias, float* y,
                     size_t ldy);

// Dynamic per-row asymmetric uint8 quantization (see lowbit.h quantize_rows_u8).
void lb_quantize_rows_u8_ref(const float* x, size_t M, size_t K, size_t ldx, uint8_t* q,
                             size_t ldq, float* scales, int32_t* zero_points);

}  // namespace lowbit

namespace lowbit {

// ONNX QuantizeLinear over [outer, channels, inner]: y = saturate(round_half_even(x / scale)
// + zp); NaN -> the lowest value (as onnxruntime). T is int8_t or uint8_t.
template <typename T>
void lb_quantize_linear_ref(const float* x, T* y, size_t outer, size_t channels, size_t inner,
                            const float* scales, const int32_t* zero_points);
// ONNX DequantizeLinear: y = float(x - zp) * scale.
template <typename T>
void lb_dequantize_linear_ref(const T* x, float* y, size_t outer, size_t channels, size_t inner,
                              const float* scales, const int32_t* zero_points);

}  // namespace lowbit

#include "../include/lowbit/formats.h"

namespace lowbit {

// ggml's reference quantizers and dequantizers, arithmetic for arithmetic (DESIGN.md §5):
// the scale is computed in fp32, values are quantized with the unrounded scale through its
// reciprocal, and fp16(d) is stored. n is a multiple of 32; inputs are finite.
void lb_quantize_row_q4_0_ref(const float* x, block_q4_0* y, size_t n);
void lb_quantize_row_q4_1_ref(const float* x, block_q4_1* y, size_t n);
void lb_quantize_row_q8_0_ref(const float* x, block_q8_0* y, size_t n);
void lb_dequantize_row_q4_0_ref(const block_q4_0* x, float* y, size_t n);
void lb_dequantize_row_q4_1_ref(const block_q4_1* x, float* y, size_t n);
void lb_dequantize_row_q8_0_ref(const block_q8_0* x, float* y, size_t n);

}  // namespace lowbit

namespace lowbit {

// Blockwise int4 (onnxruntime MatMulNBits layout) for one row of K weights in blocks of g
// (the last block zero-padded when g does not divide K): data[ceil(K/g) * g/2] with element
// 2j in the low nibble of byte j; one scale per block (float32, or float16 bits when
// fp16_scales); asymmetric rows also get one 4-bit zero point per block, packed two per byte
// (low nibble first) into zps[ceil(blocks/2)] (symmetric: the zero point is 8).
//   symmetric:  scale = m / -8, m the value of largest magnitude (first wins);
//   asymmetric: lo = min(0, min), hi = max(0, max), scale = (hi - lo) / 15,
//               zp = clamp(round_half_even(-lo / scale), 0, 15);
//   q = clamp(round_half_even(x * (1 / scale)) + zp, 0, 15), weight = (q - zp) * scale, using
//   the scale as stored (so float16 scales are rounded first). A zero scale quantizes to zp.
// mse: the range is shrunk by the factor in {1, 0.98, ..., 0.6} (symmetric) or hi and lo in
// turn (asymmetric) that minimizes the block's squared reconstruction error; symmetric blocks
// then refit the scale by least squares on the chosen levels while that lowers the error.
struct Qb4Row {
  uint8_t* data;
  void* scales;
  uint8_t* zps;  // nullptr when symmetric
};
void lb_quantize_qb4_row_ref(const float* x, size_t K, size_t g, bool fp16_scales, bool mse, const Qb4Row& out);
void lb_dequantize_qb4_row_ref(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                               size_t g, bool fp16_scales, float* y);

}  // namespace lowbit

namespace lowbit {

// Dynamic per-(row, block) int8 quantization of activations for int4 linear: for each block
// of g values of a row (the last block zero-padded), sx = max|x| / 127,
// xq = round_half_even(x * (1 / sx)) (0 when sx = 0), sum = Σ xq. A row holding NaN or ±Inf
// gets sx = NaN in every block (its outputs are NaN) and xq = 0.
// xq: [M, blocks * g], sx and sum: [M, blocks].
void lb_quantize_rows_q8_blocks_ref(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                    int32_t* sum);

// y[m, n] = Σ_b float(Σ_{k in b} xq[m,k] q[n,k] - zp[n,b] sum[m,b]) * (sx[m,b] * sw[n,b]) + bias[n],
// the blocks added in order in float (no fused multiply-add): the semantics of linear with
// int4 weights. w is the blockwise layout of lb_quantize_qb4_row_ref, N rows.
void lb_linear_qb4_ref(const float* x, size_t M, size_t K, size_t N, size_t g, const uint8_t* data,
                       const void* scales, bool fp16_scales, const uint8_t* zps, const float* bias, float* y);

}  // namespace lowbit

namespace lowbit {

// linear with ggml q4_1 / q8_0 weights [N, K] (blocks of 32 in row order), activations as in
// lb_linear_qb4_ref (g = 32). Per block, in order, in float:
//   q4_1: acc += float(Σ xq q) * (sx * d) + float(Σ xq) * (sx * m)
//   q8_0: acc += float(Σ xq q) * (sx * d)
// then y = acc + bias.
void lb_linear_q4_1_ref(const float* x, size_t M, size_t K, size_t N, const block_q4_1* w, const float* bias, float* y);
void lb_linear_q8_0_ref(const float* x, size_t M, size_t K, size_t N, const block_q8_0* w, const float* bias, float* y);

}  // namespace lowbit
