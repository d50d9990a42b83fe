#include <cmath>
#include <cstring>
#include <vector>

#include "ref.h"

namespace lowbit {
namespace {

float stored(float s, bool fp16) { return fp16 ? fp16_to_fp32(fp32_to_fp16(s)) : s; }

// x·inv rounded, plus the zero point, clamped to a nibble. A scale so small that 1/scale
// overflows makes 0·∞ = NaN: that value is 0 (it dequantizes to 0, which is right).
uint8_t quant(float x, float inv, int zp) {
  const float r = x * inv;
  const float v = (r == r ? std::nearbyint(r) : 0.f) + static_cast<float>(zp);
  return static_cast<uint8_t>(v < 0.f ? 0.f : v > 15.f ? 15.f : v);
}

struct Choice {
  float scale;
  int zp;
};

// Squared error of quantizing b[0, n) with (scale, zp).
double block_error(const float* b, size_t n, const Choice& c) {
  const float inv = c.scale != 0.f ? 1.f / c.scale : 0.f;
  double e = 0;
  for (size_t i = 0; i < n; ++i) {
    const float w = static_cast<float>(quant(b[i], inv, c.zp) - c.zp) * c.scale;
    e += static_cast<double>(b[i] - w) * (b[i] - w);
  }
  return e;
}

Choice symmetric_choice(float m, bool fp16) { return {stored(m / -8.f, fp16), 8}; }

Choice asymmetric_choice(float lo, float hi, bool fp16) {
  const float scale = stored((hi - lo) / 15.f, fp16);
  if (scale == 0.f) return {0.f, 0};
  const float z = std::nearbyint(-lo / scale);
  return {scale, static_cast<int>(z < 0.f ? 0.f : z > 15.f ? 15.f : z)};
}

}  // namespace

void lb_quantize_qb4_row_ref(const float* x, size_t K, size_t g, bool fp16_scales, bool mse, const Qb4Row& out) {
  const size_t blocks = (K + g - 1) / g;
  const bool symmetric = out.zps == nullptr;
  if (!symmetric) std::memset(out.zps, 0, (blocks + 1) / 2);
  for (size_t bi = 0; bi < blocks; ++bi) {
    const float* b = x + bi * g;
    const size_t n = bi + 1 < blocks ? g : K - bi * g;  // real values; the rest is padding
    Choice c;
    if (symmetric) {
      float amax = 0.f, m = 0.f;
      for (size_t i = 0; i < n; ++i)
        if (amax < std::fabs(b[i])) {
          amax = std::fabs(b[i]);
          m = b[i];
        }
      c = symmetric_choice(m, fp16_scales);
      if (mse) {
        double best = block_error(b, n, c);
        for (int step = 1; step <= 20; ++step) {
          const Choice t = symmetric_choice(m * (1.f - 0.02f * static_cast<float>(step)), fp16_scales);
          const double e = block_error(b, n, t);
          if (e < best) { best = e; c = t; }
        }
        // Then refit: for the levels the best scale assigns, the least-squares scale is
        // sum(x q) / sum(q q); re-quantizing with it can only be kept if it is better.
        for (int iter = 0; iter < 3; ++iter) {
          const float inv = c.scale != 0.f ? 1.f / c.scale : 0.f;
          double xq = 0, qq = 0;
          for (size_t i = 0; i < n; ++i) {
            const int q = quant(b[i], inv, 8) - 8;
            xq += static_cast<double>(b[i]) * q;
            qq += static_cast<double>(q) * q;
          }
          if (qq == 0) break;
          const Choice t{stored(static_cast<float>(xq / qq), fp16_scales), 8};
          const double e = block_error(b, n, t);
          if (!(e < best)) break;
          best = e;
          c = t;
        }
      }
    } else {
      float lo = 0.f, hi = 0.f;
      for (size_t i = 0; i < n; ++i) {
        lo = b[i] < lo ? b[i] : lo;
        hi = b[i] > hi ? b[i] : hi;
      }
      c = asymmetric_choice(lo, hi, fp16_scales);
      if (mse) {
        double best = block_error(b, n, c);
        float best_lo = lo, best_hi = hi;
        for (int side = 0; side < 2; ++side)
          for (int step = 1; step <= 20; ++step) {
            const float f = 1.f - 0.02f * static_cast<float>(step);
            const float tl = side == 0 ? best_lo : lo * f, th = side == 0 ? hi * f : best_hi;
            const Choice t = asymmetric_choice(tl, th, fp16_scales);
            const double e = block_error(b, n, t);
            if (e < best) { best = e; c = t; best_lo = tl; best_hi = th; }
          }
      }
      out.zps[bi / 2] |= static_cast<uint8_t>(c.zp << (4 * (bi % 2)));
    }
    if (fp16_scales) static_cast<uint16_t*>(out.scales)[bi] = fp32_to_fp16(c.scale);
    else static_cast<float*>(out.scales)[bi] = c.scale;
    const float inv = c.scale != 0.f ? 1.f / c.scale : 0.f;
    uint8_t* d = out.data + bi * (g / 2);
    for (size_t j = 0; j < g / 2; ++j) {
      const uint8_t q0 = 2 * j < n ? quant(b[2 * j], inv, c.zp) : static_cast<uint8_t>(c.zp);
      const uint8_t q1 = 2 * j + 1 < n ? quant(b[2 * j + 1], inv, c.zp) : static_cast<uint8_t>(c.zp);
      d[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void lb_dequantize_qb4_row_ref(const uint8_t* data, const void* scales, const uint8_t* zps, size_t K,
                               size_t g, bool fp16_scales, float* y) {
  for (size_t k = 0; k < K; ++k) {
    const size_t bi = k / g, j = k % g;
    const float scale = fp16_scales ? fp16_to_fp32(static_cast<const uint16_t*>(scales)[bi])
                                    : static_cast<const float*>(scales)[bi];
    const int zp = zps ? (zps[bi / 2] >> (4 * (bi % 2))) & 0x0F : 8;
    const int q = (data[bi * (g / 2) + j / 2] >> (4 * (j % 2))) & 0x0F;
    y[k] = static_cast<float>(q - zp) * scale;
  }
}

}  // namespace lowbit

namespace lowbit {

void lb_quantize_rows_q8_blocks_ref(const float* x, size_t M, size_t K, size_t g, int8_t* xq, float* sx,
                                    int32_t* sum) {
  const size_t blocks = (K + g - 1) / g;
  for (size_t m = 0; m < M; ++m) {
    const float* row = x + m * K;
    bool finite = true;
    for (size_t k = 0; k < K; ++k) finite = finite && std::isfinite(row[k]);
    for (size_t b = 0; b < blocks; ++b) {
      int8_t* q = xq + m * blocks * g + b * g;
      float amax = 0.f;
      for (size_t j = 0; j < g && b * g + j < K; ++j) amax = std::fmax(amax, std::fabs(row[b * g + j]));
      const float s = finite ? amax / 127.f : NAN;
      const float inv = finite && s != 0.f ? 1.f / s : 0.f;
      int32_t total = 0;
      for (size_t j = 0; j < g; ++j) {
        const float v = b * g + j < K ? row[b * g + j] * inv : 0.f;
        q[j] = finite ? static_cast<int8_t>(std::nearbyint(v)) : 0;
        total += q[j];
      }
      sx[m * blocks + b] = s;
      sum[m * blocks + b] = total;
    }
  }
}

void lb_linear_qb4_ref(const float* x, size_t M, size_t K, size_t N, size_t g, const uint8_t* data,
                       const void* scales, bool fp16_scales, const uint8_t* zps, const float* bias, float* y) {
  const size_t blocks = (K + g - 1) / g;
  std::vector<int8_t> xq(M * blocks * g);
  std::vector<float> sx(M * blocks);
  std::vector<int32_t> sum(M * blocks);
  lb_quantize_rows_q8_blocks_ref(x, M, K, g, xq.data(), sx.data(), sum.data());
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      float acc = 0.f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* wb = data + (n * blocks + b) * (g / 2);
        int32_t dot = 0;
        for (size_t j = 0; j < g; ++j)
          dot += static_cast<int32_t>(xq[m * blocks * g + b * g + j]) * ((wb[j / 2] >> (4 * (j % 2))) & 0x0F);
        const int32_t zp = zps ? (zps[n * ((blocks + 1) / 2) + b / 2] >> (4 * (b % 2))) & 0x0F : 8;
        const float sw = fp16_scales ? fp16_to_fp32(static_cast<const uint16_t*>(scales)[n * blocks + b])
                                     : static_cast<const float*>(scales)[n * blocks + b];
        acc += static_cast<float>(dot - zp * sum[m * blocks + b]) * (sx[m * blocks + b] * sw);
      }
      y[m * N + n] = bias ? acc + bias[n] : acc;
    }
}

}  // namespace lowbit

namespace lowbit {
namespace {

template <typename Block, typename Term>
void linear_ggml_ref(const float* x, size_t M, size_t K, size_t N, const Block* w, const float* bias, float* y,
                     Term term) {
  const size_t blocks = K / kGgmlBlock;
  std::vector<int8_t> xq(M * K);
  std::vector<float> sx(M * blocks);
  std::vector<int32_t> sum(M * blocks);
  lb_quantize_rows_q8_blocks_ref(x, M, K, kGgmlBlock, xq.data(), sx.data(), sum.data());
  for (size_t m = 0; m < M; ++m)
    for (size_t n = 0; n < N; ++n) {
      float acc = 0.f;
      for (size_t b = 0; b < blocks; ++b)
        acc += term(xq.data() + m * K + b * kGgmlBlock, w[n * blocks + b], sx[m * blocks + b], sum[m * blocks + b]);
      y[m * N + n] = bias ? acc + bias[n] : acc;
    }
}

}  // namespace

void lb_linear_q4_1_ref(const float* x, size_t M, size_t K, size_t N, const block_q4_1* w, const float* bias, float* y) {
  linear_ggml_ref(x, M, K, N, w, bias, y, [](const int8_t* xq, const block_q4_1& b, float sx, int32_t xsum) {
    int32_t dot = 0;
    for (size_t i = 0; i < kGgmlBlock; ++i) dot += xq[i] * (i < 16 ? b.qs[i] & 0x0F : b.qs[i - 16] >> 4);
    const float t1 = static_cast<float>(dot) * (sx * fp16_to_fp32(b.d));
    const float t2 = static_cast<float>(xsum) * (sx * fp16_to_fp32(b.m));
    return t1 + t2;
  });
}

void lb_linear_q8_0_ref(const float* x, size_t M, size_t K, size_t N, const block_q8_0* w, const float* bias, float* y) {
  linear_ggml_ref(x, M, K, N, w, bias, y, [](const int8_t* xq, const block_q8_0& b, float sx, int32_t) {
    int32_t dot = 0;
    for (size_t i = 0; i < kGgmlBlock; ++i) dot += xq[i] * b.qs[i];
    return static_cast<float>(dot) * (sx * fp16_to_fp32(b.d));
  });
}

}  // namespace lowbit
