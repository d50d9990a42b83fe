// The Node-API surface: the only file family that includes <napi.h>. Internal exports start
// with "_"; src/ wraps them with argument checks and friendly messages. Every entry point
// re-checks types and lengths here too, so a caller that bypasses src/ still cannot make the
// native code read or write out of bounds.
//
// Async calls copy the caller's activations into the worker (a "baton") and keep the packed
// weights and the output alive by reference: the caller may mutate or detach its inputs while
// the work runs without affecting it. Outputs are ordinary ArrayBuffers created in JS.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../include/lowbit/lowbit.h"

namespace {

using lowbit::Status;

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}
void check(Napi::Env env, Status s, const char* what) {
  if (s == Status::ok) return;
  const std::string msg = std::string(what) + ": " + lowbit::status_message(s);
  if (s == Status::invalid_argument || s == Status::buffer_too_small) throw_range(env, msg);
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, s == Status::stale_pack ? "ERR_LOWBIT_STALE_PACK"
                                              : s == Status::out_of_memory ? "ERR_LOWBIT_OOM"
                                                                             : "ERR_LOWBIT_ISA"));
  throw err;
}

size_t to_size(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<int64_t>(d)))
    throw_range(v.Env(), std::string(name) + " must be a non-negative integer");
  return static_cast<size_t>(d);
}
int32_t to_i32(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int64_t>(d)))
    throw_range(v.Env(), std::string(name) + " must be an int32");
  return static_cast<int32_t>(d);
}

// A typed array of the given element type with at least min_len elements.
template <typename T>
struct View {
  T* data = nullptr;
  size_t length = 0;
  Napi::TypedArray array;
};
template <typename T>
View<T> typed(const Napi::Value& v, napi_typedarray_type type, size_t min_len, const char* name,
              bool optional = false) {
  View<T> out;
  if (optional && (v.IsUndefined() || v.IsNull())) return out;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw_type(v.Env(), std::string(name) + " has the wrong array type");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  if (ab.IsDetached()) throw_type(v.Env(), std::string(name) + " is detached");
  if (ta.ElementLength() < min_len)
    throw_range(v.Env(), std::string(name) + " is too short: " + std::to_string(ta.ElementLength()) +
                             " elements, need " + std::to_string(min_len));
  out.data = reinterpret_cast<T*>(static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset());
  out.length = ta.ElementLength();
  out.array = ta;
  return out;
}

// Runs `work` on libuv's pool; `keep` holds JS objects alive until it settles.
class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, std::function<Status()> work, Napi::Value result, const char* what)
      : Napi::AsyncWorker(env, "lowbit"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), what_(what) {
    result_.Reset(result, 1);
  }
  void keep(Napi::Value v) {
    if (v.IsObject()) keep_.emplace_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { status_ = work_(); }
  void OnOK() override {
    Napi::Env env = Env();
    if (status_ == Status::ok) {
      deferred_.Resolve(result_.Value());
      return;
    }
    try {
      check(env, status_, what_);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<Status()> work_;
  const char* what_;
  Status status_ = Status::ok;
  Napi::Reference<Napi::Value> result_;
  std::vector<Napi::ObjectReference> keep_;
};

// Async calls this small complete on the calling thread: handing them to libuv's pool and back
// costs ten times their work (~15 µs here against ~1 µs), and they cannot stall the loop.
constexpr size_t kInlineMacs = size_t{1} << 16;

// A promise already settled with a status that was computed synchronously.
Napi::Value settled(Napi::Env env, Status s, Napi::Value result, const char* what) {
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  if (s == Status::ok) {
    d.Resolve(result);
  } else {
    try {
      check(env, s, what);
    } catch (const Napi::Error& e) {
      d.Reject(e.Value());
    }
  }
  return d.Promise();
}

// Copies of the caller's inputs for async calls come from recycled blocks: a fresh block of
// megabytes costs more in page faults than the copy itself (3 ms against 0.4 ms for 4 MiB here).
class BlockPool {
 public:
  std::shared_ptr<uint8_t> get(size_t bytes) {
    uint8_t* block = nullptr;
    size_t size = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (auto it = free_.begin(); it != free_.end(); ++it)
        if (it->second >= bytes && it->second <= 2 * bytes + 4096) {
          block = it->first;
          size = it->second;
          cached_ -= size;
          free_.erase(it);
          break;
        }
    }
    if (!block) {
      size = bytes ? bytes : 1;
      block = new uint8_t[size];
    }
    return std::shared_ptr<uint8_t>(block, [this, size](uint8_t* p) { put(p, size); });
  }

 private:
  void put(uint8_t* p, size_t size) {
    std::lock_guard<std::mutex> lk(mu_);
    if (cached_ + size > kCap) {
      delete[] p;
      return;
    }
    free_.emplace_back(p, size);
    cached_ += size;
  }
  static constexpr size_t kCap = size_t{256} << 20;
  std::mutex mu_;
  std::vector<std::pair<uint8_t*, size_t>> free_;
  size_t cached_ = 0;
};

BlockPool& block_pool() {
  static BlockPool* pool = new BlockPool();  // leaked: deleters may run during process exit
  return *pool;
}

template <typename T>
std::shared_ptr<T> copy_of(const View<T>& v, size_t n) {
  std::shared_ptr<uint8_t> block = block_pool().get(n * sizeof(T));
  if (n != 0) std::memcpy(block.get(), v.data, n * sizeof(T));
  return std::shared_ptr<T>(block, reinterpret_cast<T*>(block.get()));
}

// ---- cpu / dispatch / threads ----------------------------------------------------------

Napi::Value Cpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::CpuInfo ci = lowbit::cpu_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arch", ci.arch);
  o.Set("isa", lowbit::isa_name(ci.isa));
  Napi::Array avail = Napi::Array::New(env), built = Napi::Array::New(env), feats = Napi::Array::New(env);
  for (int i = 0, a = 0, b = 0; i < static_cast<int>(lowbit::Isa::count); ++i) {
    const char* name = lowbit::isa_name(static_cast<lowbit::Isa>(i));
    if (ci.available & (1u << i)) avail.Set(a++, name);
    if (ci.built & (1u << i)) built.Set(b++, name);
  }
  for (int i = 0; ci.features[i]; ++i) feats.Set(i, ci.features[i]);
  o.Set("available", avail);
  o.Set("built", built);
  o.Set("features", feats);
  o.Set("threads", lowbit::threads());
  o.Set("physicalCores", lowbit::physical_cores());
  return o;
}

Napi::Value CurrentIsa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), lowbit::isa_name(lowbit::cpu_info().isa));
}

Napi::Value InitError(const Napi::CallbackInfo& info) {
  const Status s = lowbit::init_status();
  if (s == Status::ok) return info.Env().Null();
  return Napi::String::New(info.Env(), lowbit::status_message(s));
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_type(env, "isa must be a string");
  const std::string name = info[0].As<Napi::String>();
  lowbit::Isa isa;
  if (!lowbit::isa_from_name(name.c_str(), &isa)) check(env, Status::unknown_isa, name.c_str());
  check(env, lowbit::set_isa(isa), name.c_str());
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const size_t n = to_size(info[0], "threads");
  if (n < 1 || n > 1024) throw_range(info.Env(), "threads must be between 1 and 1024");
  lowbit::set_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

// ---- packing ----------------------------------------------------------------------------

// _packB(kind: 'int8' | 'float32', b, K, N, strideK, strideN) -> Uint8Array
Napi::Value PackB(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kind = info[0].As<Napi::String>();
  const size_t K = to_size(info[2], "K"), N = to_size(info[3], "N");
  const size_t sk = to_size(info[4], "strideK"), sn = to_size(info[5], "strideN");
  if (K > (size_t{1} << 31) || N > (size_t{1} << 31)) throw_range(env, "weights are too large");
  const size_t need = (K && N) ? (K - 1) * sk + (N - 1) * sn + 1 : 0;
  const bool f32 = kind == "float32";
  const size_t size = f32 ? lowbit::sgemm_packed_b_size(K, N) : lowbit::qgemm_packed_b_size(K, N);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, size);
  Status s;
  if (f32) {
    View<float> b = typed<float>(info[1], napi_float32_array, need, "weights");
    s = lowbit::sgemm_pack_b(b.data, K, N, sk, sn, ab.Data(), size);
  } else {
    View<int8_t> b = typed<int8_t>(info[1], napi_int8_array, need, "weights");
    s = lowbit::qgemm_pack_b(b.data, K, N, sk, sn, ab.Data(), size);
  }
  check(env, s, "pack weights");
  return Napi::Uint8Array::New(env, size, ab, 0);
}

// _packedInfo(packed) -> { K, N, isa, kind }
Napi::Value PackedInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<uint8_t> p = typed<uint8_t>(info[0], napi_uint8_array, 0, "packed");
  lowbit::PackedBInfo pi{};
  const char* kind = "int8";
  if (lowbit::qgemm_packed_b_info(p.data, p.length, &pi) != Status::ok) {
    kind = "float32";
    check(env, lowbit::sgemm_packed_b_info(p.data, p.length, &pi), "packed weights");
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("K", static_cast<double>(pi.K));
  o.Set("N", static_cast<double>(pi.N));
  o.Set("isa", lowbit::isa_name(pi.isa));
  o.Set("kind", kind);
  return o;
}

// ---- matmulInteger ----------------------------------------------------------------------

// _matmulInteger(a, aSigned, M, K, aZeroPoint, packedB, bZeroPoint, c, async)
Napi::Value MatmulInteger(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool a_signed = info[1].ToBoolean();
  const size_t M = to_size(info[2], "M"), K = to_size(info[3], "K");
  const int32_t za = to_i32(info[4], "aZeroPoint"), zb = to_i32(info[6], "bZeroPoint");
  View<uint8_t> packed = typed<uint8_t>(info[5], napi_uint8_array, 0, "packed weights");
  lowbit::PackedBInfo pi{};
  check(env, lowbit::qgemm_packed_b_info(packed.data, packed.length, &pi), "packed weights");
  if (pi.K != K) throw_range(env, "a has K = " + std::to_string(K) + " but b has K = " + std::to_string(pi.K));
  if (M > (size_t{1} << 31)) throw_range(env, "a is too large");
  const size_t N = pi.N;
  View<int32_t> c = typed<int32_t>(info[7], napi_int32_array, M * N, "output");
  const bool async = info[8].ToBoolean();

  lowbit::QgemmArgs args;
  args.M = M;
  args.lda = K;
  args.a_signed = a_signed;
  args.a_zero_point = za;
  args.b_zero_point = zb;
  args.packed_b = packed.data;
  args.packed_b_size = packed.length;
  args.c = c.data;
  args.ldc = N;
  if (!async || M * N * K < kInlineMacs) {
    const void* a = a_signed ? static_cast<const void*>(typed<int8_t>(info[0], napi_int8_array, M * K, "a").data)
                             : static_cast<const void*>(typed<uint8_t>(info[0], napi_uint8_array, M * K, "a").data);
    args.a = a;
    if (async) return settled(env, lowbit::qgemm(args), info[7], "matmulInteger");
    check(env, lowbit::qgemm(args), "matmulInteger");
    return info[7];
  }
  std::shared_ptr<const void> a_copy;
  if (a_signed) a_copy = copy_of(typed<int8_t>(info[0], napi_int8_array, M * K, "a"), M * K);
  else a_copy = copy_of(typed<uint8_t>(info[0], napi_uint8_array, M * K, "a"), M * K);
  auto* task = new Task(env, [args, a_copy]() mutable {
    args.a = a_copy.get();
    return lowbit::qgemm(args);
  }, info[7], "matmulInteger");
  task->keep(info[5]);
  task->keep(info[7]);
  Napi::Promise p = task->promise();
  task->Queue();
  return p;
}

// ---- linear -----------------------------------------------------------------------------

// _linear(x, M, K, packedW, wScales | null, bias | null, y, async)
// int8 weights (wScales given): dynamic per-row uint8 activations, integer GEMM, float epilogue.
// float32 weights (wScales null): the fp32 GEMM.
Napi::Value Linear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t M = to_size(info[1], "M"), K = to_size(info[2], "K");
  View<uint8_t> packed = typed<uint8_t>(info[3], napi_uint8_array, 0, "packed weights");
  const bool int8 = !(info[4].IsNull() || info[4].IsUndefined());
  lowbit::PackedBInfo pi{};
  check(env, int8 ? lowbit::qgemm_packed_b_info(packed.data, packed.length, &pi)
                  : lowbit::sgemm_packed_b_info(packed.data, packed.length, &pi),
        "packed weights");
  if (pi.K != K) throw_range(env, "x has K = " + std::to_string(K) + " but the weight has K = " + std::to_string(pi.K));
  if (M > (size_t{1} << 31) || (K && (M * K) / K != M)) throw_range(env, "x is too large");
  const size_t N = pi.N;
  View<float> x = typed<float>(info[0], napi_float32_array, M * K, "x");
  View<float> w_scales = typed<float>(info[4], napi_float32_array, N, "weight scales", true);
  View<float> bias = typed<float>(info[5], napi_float32_array, N, "bias", true);
  View<float> y = typed<float>(info[6], napi_float32_array, M * N, "output");
  const bool async = info[7].ToBoolean();

  lowbit::LinearArgs args;
  // info[8]: static activation scale (or undefined), info[9]: its zero point.
  if (!(info[8].IsUndefined() || info[8].IsNull())) {
    if (!int8) throw_type(env, "static activation quantization needs int8 weights");
    args.static_x = true;
    args.x_scale = info[8].ToNumber().FloatValue();
    args.x_zero_point = to_i32(info[9], "activation zero point");
  }
  args.M = M;
  args.ldx = K;
  args.packed_w = packed.data;
  args.packed_w_size = packed.length;
  args.w_scales = w_scales.data;
  args.y = y.data;
  args.ldy = N;
  auto run = [args](const float* xd, const float* biasd) {
    lowbit::LinearArgs a = args;
    a.x = xd;
    a.bias = biasd;
    return lowbit::linear(a);
  };
  if (!async) {
    check(env, run(x.data, bias.data), "linear");
    return info[6];
  }
  if (M * N * K < kInlineMacs) return settled(env, run(x.data, bias.data), info[6], "linear");
  // Scales belong to the weight (lowbit-owned, kept alive); x and bias are the caller's: copy.
  auto x_copy = copy_of(x, M * K);
  std::shared_ptr<float> bias_copy = bias.data ? copy_of(bias, N) : nullptr;
  auto* task = new Task(env, [run, x_copy, bias_copy]() {
    return run(x_copy.get(), bias_copy ? bias_copy.get() : nullptr);
  }, info[6], "linear");
  task->keep(info[3]);
  task->keep(info[4]);
  task->keep(info[6]);
  Napi::Promise p = task->promise();
  task->Queue();
  return p;
}

// ---- quantize / dequantize -----------------------------------------------------------------

// _quantizeLinear(x: Float32Array, y: Int8Array | Uint8Array, outer, channels, inner, scales, zps | null)
Napi::Value QuantizeLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t outer = to_size(info[2], "outer"), ch = to_size(info[3], "channels"),
               inner = to_size(info[4], "inner");
  if (ch == 0) throw_range(env, "channels must be at least 1");
  const size_t n = outer * ch * inner;
  if (inner && outer && (n / inner / outer != ch)) throw_range(env, "tensor is too large");
  View<float> x = typed<float>(info[0], napi_float32_array, n, "x");
  View<float> scales = typed<float>(info[5], napi_float32_array, ch, "scales");
  View<int32_t> zps = typed<int32_t>(info[6], napi_int32_array, ch, "zero points", true);
  lowbit::QuantizeLinearArgs a;
  a.outer = outer;
  a.channels = ch;
  a.inner = inner;
  a.scales = scales.data;
  a.zero_points = zps.data;
  if (info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array) {
    check(env, lowbit::quantize_linear_s8(x.data, typed<int8_t>(info[1], napi_int8_array, n, "y").data, a), "quantize");
  } else {
    check(env, lowbit::quantize_linear_u8(x.data, typed<uint8_t>(info[1], napi_uint8_array, n, "y").data, a), "quantize");
  }
  return info[1];
}

// _quantizeWeightsInt8(w, N, K, symmetric, q: Int8Array | Uint8Array, scales, zps | null) -> bool
// (false: a weight is NaN or ±Inf; the caller finds which, for its message)
Napi::Value QuantizeWeightsInt8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t N = to_size(info[1], "N"), K = to_size(info[2], "K");
  const bool symmetric = info[3].ToBoolean();
  if (N > (size_t{1} << 31) || K > (size_t{1} << 31)) throw_range(env, "weights are too large");
  View<float> w = typed<float>(info[0], napi_float32_array, N * K, "w");
  void* q = symmetric ? static_cast<void*>(typed<int8_t>(info[4], napi_int8_array, N * K, "q").data)
                      : static_cast<void*>(typed<uint8_t>(info[4], napi_uint8_array, N * K, "q").data);
  View<float> scales = typed<float>(info[5], napi_float32_array, N, "scales");
  View<uint8_t> zps = typed<uint8_t>(info[6], napi_uint8_array, symmetric ? 0 : N, "zero points", symmetric);
  const Status s = lowbit::quantize_weights_int8(w.data, N, K, symmetric, q, scales.data, zps.data);
  if (s == Status::invalid_argument) return Napi::Boolean::New(env, false);
  check(env, s, "quantize");
  return Napi::Boolean::New(env, true);
}

// _dequantizeLinear(x: Int8Array | Uint8Array, y: Float32Array, outer, channels, inner, scales, zps | null)
Napi::Value DequantizeLinear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t outer = to_size(info[2], "outer"), ch = to_size(info[3], "channels"),
               inner = to_size(info[4], "inner");
  if (ch == 0) throw_range(env, "channels must be at least 1");
  const size_t n = outer * ch * inner;
  if (inner && outer && (n / inner / outer != ch)) throw_range(env, "tensor is too large");
  View<float> y = typed<float>(info[1], napi_float32_array, n, "y");
  View<float> scales = typed<float>(info[5], napi_float32_array, ch, "scales");
  View<int32_t> zps = typed<int32_t>(info[6], napi_int32_array, ch, "zero points", true);
  lowbit::QuantizeLinearArgs a;
  a.outer = outer;
  a.channels = ch;
  a.inner = inner;
  a.scales = scales.data;
  a.zero_points = zps.data;
  if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_int8_array) {
    check(env, lowbit::dequantize_linear_s8(typed<int8_t>(info[0], napi_int8_array, n, "x").data, y.data, a), "dequantize");
  } else {
    check(env, lowbit::dequantize_linear_u8(typed<uint8_t>(info[0], napi_uint8_array, n, "x").data, y.data, a), "dequantize");
  }
  return info[1];
}

// _convertHalf(src, dst): Float32Array -> Uint16Array (IEEE half, round half to even) or back.
Napi::Value ConvertHalf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw_type(env, "src must be a Float32Array or Uint16Array");
  const size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  if (info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float32_array) {
    View<float> src = typed<float>(info[0], napi_float32_array, n, "src");
    View<uint16_t> dst = typed<uint16_t>(info[1], napi_uint16_array, n, "dst");
    for (size_t i = 0; i < n; i++) dst.data[i] = lowbit::fp32_to_fp16(src.data[i]);
  } else {
    View<uint16_t> src = typed<uint16_t>(info[0], napi_uint16_array, n, "src");
    View<float> dst = typed<float>(info[1], napi_float32_array, n, "dst");
    for (size_t i = 0; i < n; i++) dst.data[i] = lowbit::fp16_to_fp32(src.data[i]);
  }
  return info[1];
}

// ---- ggml blocks -------------------------------------------------------------------------

lowbit::GgmlType ggml_type(const Napi::Value& v) {
  if (!v.IsString()) throw_type(v.Env(), "format must be a string");
  const std::string s = v.As<Napi::String>();
  if (s == "q4_0") return lowbit::GgmlType::q4_0;
  if (s == "q4_1") return lowbit::GgmlType::q4_1;
  if (s == "q8_0") return lowbit::GgmlType::q8_0;
  throw_range(v.Env(), "format must be q4_0, q4_1 or q8_0");
}

// _quantizeGgml(format, x: Float32Array, blocks: Uint8Array): x.length values, a multiple of 32
Napi::Value QuantizeGgml(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::GgmlType t = ggml_type(info[0]);
  View<float> x = typed<float>(info[1], napi_float32_array, 0, "x");
  if (x.length % lowbit::kGgmlBlock) throw_range(env, "x must hold a multiple of 32 values");
  const size_t bytes = x.length / lowbit::kGgmlBlock * lowbit::ggml_block_bytes(t);
  View<uint8_t> out = typed<uint8_t>(info[2], napi_uint8_array, bytes, "blocks");
  // Sizes were checked above: invalid_argument now means a non-finite value, reported as false.
  const Status s = lowbit::quantize_ggml(t, x.data, x.length, out.data, bytes);
  if (s == Status::invalid_argument) return Napi::Boolean::New(env, false);
  check(env, s, "quantize");
  return Napi::Boolean::New(env, true);
}

// _dequantizeGgml(format, blocks: Uint8Array, y: Float32Array): y.length values
Napi::Value DequantizeGgml(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::GgmlType t = ggml_type(info[0]);
  View<float> y = typed<float>(info[2], napi_float32_array, 0, "y");
  if (y.length % lowbit::kGgmlBlock) throw_range(env, "y must hold a multiple of 32 values");
  const size_t bytes = y.length / lowbit::kGgmlBlock * lowbit::ggml_block_bytes(t);
  View<uint8_t> blocks = typed<uint8_t>(info[1], napi_uint8_array, bytes, "blocks");
  check(env, lowbit::dequantize_ggml(t, blocks.data, bytes, y.data, y.length), "dequantize");
  return info[2];
}

// ---- blockwise int4 ------------------------------------------------------------------------

lowbit::Qb4Layout qb4_layout(const Napi::CallbackInfo& info, size_t at) {
  lowbit::Qb4Layout l;
  l.N = to_size(info[at], "N");
  l.K = to_size(info[at + 1], "K");
  l.group = to_size(info[at + 2], "groupSize");
  l.symmetric = info[at + 3].ToBoolean();
  l.fp16_scales = info[at + 4].ToBoolean();
  if (!lowbit::qb4_layout_ok(l)) throw_range(info.Env(), "groupSize must be 16, 32, 64, 128 or 256, and N, K at most 2^31");
  return l;
}

lowbit::Qb4Buffers qb4_buffers(const Napi::CallbackInfo& info, size_t at, const lowbit::Qb4Layout& l) {
  lowbit::Qb4Buffers b;
  b.data = typed<uint8_t>(info[at], napi_uint8_array, l.data_bytes(), "data").data;
  if (l.fp16_scales) b.scales = typed<uint16_t>(info[at + 1], napi_uint16_array, l.scale_bytes() / 2, "scales").data;
  else b.scales = typed<float>(info[at + 1], napi_float32_array, l.scale_bytes() / 4, "scales").data;
  if (!l.symmetric) b.zero_points = typed<uint8_t>(info[at + 2], napi_uint8_array, l.zp_bytes(), "zeroPoints").data;
  return b;
}

// _quantizeQb4(w, N, K, group, symmetric, fp16, mse, data, scales, zps | null)
Napi::Value QuantizeQb4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::Qb4Layout l = qb4_layout(info, 1);
  View<float> w = typed<float>(info[0], napi_float32_array, l.N * l.K, "w");
  const lowbit::Qb4Buffers b = qb4_buffers(info, 7, l);
  // A non-finite weight is reported as false: the caller finds which one for its message.
  const Status s = lowbit::quantize_qb4(w.data, l, info[6].ToBoolean(), b);
  if (s == Status::invalid_argument && lowbit::qb4_layout_ok(l)) return Napi::Boolean::New(env, false);
  check(env, s, "quantize");
  return Napi::Boolean::New(env, true);
}

// _dequantizeQb4(data, scales, zps | null, N, K, group, symmetric, fp16, y)
Napi::Value DequantizeQb4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::Qb4Layout l = qb4_layout(info, 3);
  const lowbit::Qb4Buffers b = qb4_buffers(info, 0, l);
  View<float> y = typed<float>(info[8], napi_float32_array, l.N * l.K, "y");
  check(env, lowbit::dequantize_qb4(b, l, y.data), "dequantize");
  return env.Undefined();
}

// _packQb4(data, scales, zps | null, N, K, group, symmetric, fp16) -> Uint8Array
Napi::Value PackQb4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::Qb4Layout l = qb4_layout(info, 3);
  const lowbit::Qb4Buffers b = qb4_buffers(info, 0, l);
  const size_t size = lowbit::qb4_packed_size(l);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, size);
  check(env, lowbit::qb4_pack(b, l, ab.Data(), size), "pack int4 weights");
  return Napi::Uint8Array::New(env, size, ab, 0);
}

// _packGgml(format, blocks, N, K) -> Uint8Array: q4_0 / q4_1 / q8_0 weights for _linearQb4
Napi::Value PackGgml(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const lowbit::GgmlType t = ggml_type(info[0]);
  const size_t N = to_size(info[2], "N"), K = to_size(info[3], "K");
  const size_t size = lowbit::ggml_linear_packed_size(t, N, K);
  if (size == 0) throw_range(env, "ggml weights need K a multiple of 32 and N, K at most 2^31");
  View<uint8_t> blocks = typed<uint8_t>(info[1], napi_uint8_array, N * K / 32 * lowbit::ggml_block_bytes(t), "blocks");
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, size);
  check(env, lowbit::ggml_linear_pack(t, blocks.data, N, K, ab.Data(), size), "pack ggml weights");
  return Napi::Uint8Array::New(env, size, ab, 0);
}

// _linearQb4(x, M, K, packed, bias | null, y, async)
Napi::Value LinearQb4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t M = to_size(info[1], "M"), K = to_size(info[2], "K");
  View<uint8_t> packed = typed<uint8_t>(info[3], napi_uint8_array, 0, "packed weights");
  lowbit::Qb4Layout l;
  check(env, lowbit::qb4_packed_info(packed.data, packed.length, &l), "packed weights");
  if (l.K != K) throw_range(env, "x has K = " + std::to_string(K) + " but the weight has K = " + std::to_string(l.K));
  if (M > (size_t{1} << 31)) throw_range(env, "x is too large");
  View<float> x = typed<float>(info[0], napi_float32_array, M * K, "x");
  View<float> bias = typed<float>(info[4], napi_float32_array, l.N, "bias", true);
  View<float> y = typed<float>(info[5], napi_float32_array, M * l.N, "output");
  const uint8_t* pd = packed.data;
  const size_t ps = packed.length;
  float* yd = y.data;
  if (!info[6].ToBoolean()) {
    check(env, lowbit::linear_qb4(x.data, M, pd, ps, bias.data, yd), "linear");
    return info[5];
  }
  if (M * l.N * K < kInlineMacs) return settled(env, lowbit::linear_qb4(x.data, M, pd, ps, bias.data, yd), info[5], "linear");
  auto x_copy = copy_of(x, M * K);
  std::shared_ptr<float> bias_copy = bias.data ? copy_of(bias, l.N) : nullptr;
  auto* task = new Task(env, [=]() {
    return lowbit::linear_qb4(x_copy.get(), M, pd, ps, bias_copy ? bias_copy.get() : nullptr, yd);
  }, info[5], "linear");
  task->keep(info[3]);
  task->keep(info[5]);
  Napi::Promise p = task->promise();
  task->Queue();
  return p;
}

// _alignedArray(type, n): a zero-filled typed array ('float32' | 'int32' | 'int8' | 'uint8' |
// 'uint16') whose data starts on a 64-byte boundary: a view at an offset into a slightly
// larger ArrayBuffer. Plain large typed arrays start 16 bytes past a page, which splits every
// 64-byte row a kernel loads or stores across two cache lines (AMX tiles, streaming stores).
Napi::Value AlignedArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_type(env, "type must be a string");
  const std::string type = info[0].As<Napi::String>();
  const size_t n = to_size(info[1], "length");
  const napi_typedarray_type kinds[] = {napi_float32_array, napi_int32_array, napi_int8_array, napi_uint8_array,
                                        napi_uint16_array};
  const char* names[] = {"float32", "int32", "int8", "uint8", "uint16"};
  const size_t widths[] = {4, 4, 1, 1, 2};
  for (size_t i = 0; i < 5; ++i) {
    if (type != names[i]) continue;
    if (n > (size_t{1} << 40)) throw_range(env, "length is too large");
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n * widths[i] + 64);
    const auto addr = reinterpret_cast<uintptr_t>(ab.Data());
    const size_t offset = (64 - addr % 64) % 64;
    napi_value view;
    if (napi_create_typedarray(env, kinds[i], n, ab, offset, &view) != napi_ok) throw_range(env, "could not make the array");
    return Napi::Value(env, view);
  }
  throw_type(env, "type must be float32, int32, int8, uint8 or uint16");
}

// _cacheLineOffset(view): where a typed array's data starts within its 64-byte cache line
// (for tests of the allocation above).
Napi::Value CacheLineOffset(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw_type(info.Env(), "view must be a typed array");
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  const auto addr = reinterpret_cast<uintptr_t>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return Napi::Number::New(info.Env(), static_cast<double>(addr % 64));
}

// _probe(kind: 'int8' | 'f32', iterations) -> multiply-accumulates done
Napi::Value Probe(const Napi::CallbackInfo& info) {
  const std::string kind = info[0].As<Napi::String>();
  const size_t iterations = to_size(info[1], "iterations");
  return Napi::Number::New(info.Env(), static_cast<double>(lowbit::probe_peak(kind == "int8", iterations)));
}

// _probeRead(bytes: Uint8Array) -> their sum (the caller times the read)
Napi::Value ProbeRead(const Napi::CallbackInfo& info) {
  View<uint8_t> b = typed<uint8_t>(info[0], napi_uint8_array, 0, "bytes");
  return Napi::Number::New(info.Env(), static_cast<double>(lowbit::probe_read(b.data, b.length)));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("_cpu", Napi::Function::New(env, Cpu));
  exports.Set("_isa", Napi::Function::New(env, CurrentIsa));
  exports.Set("_initError", Napi::Function::New(env, InitError));
  exports.Set("_setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("_setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("_packB", Napi::Function::New(env, PackB));
  exports.Set("_packedInfo", Napi::Function::New(env, PackedInfo));
  exports.Set("_matmulInteger", Napi::Function::New(env, MatmulInteger));
  exports.Set("_linear", Napi::Function::New(env, Linear));
  exports.Set("_quantizeLinear", Napi::Function::New(env, QuantizeLinear));
  exports.Set("_dequantizeLinear", Napi::Function::New(env, DequantizeLinear));
  exports.Set("_quantizeWeightsInt8", Napi::Function::New(env, QuantizeWeightsInt8));
  exports.Set("_convertHalf", Napi::Function::New(env, ConvertHalf));
  exports.Set("_quantizeGgml", Napi::Function::New(env, QuantizeGgml));
  exports.Set("_probe", Napi::Function::New(env, Probe));
  exports.Set("_probeRead", Napi::Function::New(env, ProbeRead));
  exports.Set("_alignedArray", Napi::Function::New(env, AlignedArray));
  exports.Set("_cacheLineOffset", Napi::Function::New(env, CacheLineOffset));
  exports.Set("_quantizeQb4", Napi::Function::New(env, QuantizeQb4));
  exports.Set("_packQb4", Napi::Function::New(env, PackQb4));
  exports.Set("_packGgml", Napi::Function::New(env, PackGgml));
  exports.Set("_linearQb4", Napi::Function::New(env, LinearQb4));
  exports.Set("_dequantizeQb4", Napi::Function::New(env, DequantizeQb4));
  exports.Set("_dequantizeGgml", Napi::Function::New(env, DequantizeGgml));
  return exports;
}

}  // namespace

NODE_API_MODULE(lowbit, Init)
