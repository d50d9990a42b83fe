// ONNX QuantizeLinear for AVX-512 CPUs: the shared branch-free loop
// (quantize-linear.h), vectorized at this file's width. Matches the portable version exactly.
#if defined(__x86_64__) || defined(_M_X64)
#include "../quantize-linear.h"
#include "../ukernels.h"

namespace lowbit {

void lb_f32_qs8_quantize__avx512vnni(const float* x, int8_t* y, size_t n, float scale, int32_t zp) {
  quantize_linear_run(x, y, n, scale, zp);
}
void lb_f32_qu8_quantize__avx512vnni(const float* x, uint8_t* y, size_t n, float scale, int32_t zp) {
  quantize_linear_run(x, y, n, scale, zp);
}

}  // namespace lowbit
#endif
