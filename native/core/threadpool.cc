#include "threadpool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../include/lowbit/lowbit.h"

#if defined(__linux__)
#include <sched.h>

#include <fstream>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace lowbit {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

// Waits up to kSpinTime for pred() to hold by polling before the caller blocks: waking a
// sleeping thread costs tens of microseconds in a VM, more than a small GEMM's whole run.
constexpr auto kSpinTime = std::chrono::microseconds(100);
template <typename Pred>
bool spin_until(Pred pred) {
  const auto end = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (pred()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() > end) return false;
  }
}

class Pool {
 public:
  ~Pool() { resize(0); }

  // Workers besides the caller.
  void resize(int workers) {
    std::lock_guard<std::mutex> region(region_mu_);
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = false;
    // A worker starts from the generation current now; reading it itself, later, could miss
    // a bump made before it first waits (and then never wake for it).
    const uint64_t start = generation_;
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this, start] { loop(start); });
  }

  void run(size_t n, size_t max_threads, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> region(region_mu_, std::try_to_lock);
    const size_t helpers = std::min(threads_.size(), max_threads > 0 ? max_threads - 1 : 0);
    if (!region.owns_lock() || helpers == 0 || n <= 1) {
      for (size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      n_ = n;
      next_.store(0);
      active_ = helpers;
      helpers_wanted_ = helpers;
      ++generation_;
    }
    cv_.notify_all();
    work();
    {
      std::lock_guard<std::mutex> lk(mu_);
      // Helpers that have not woken yet have nothing left to do: do not wait for them to wake.
      active_ -= helpers_wanted_;
      helpers_wanted_ = 0;
    }
    spin_until([this] { return active_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [this] { return active_ == 0; });
    fn_ = nullptr;
  }

  size_t size() const { return threads_.size(); }

 private:
  void work() {
    for (size_t i; (i = next_.fetch_add(1)) < n_;) (*fn_)(i);
  }
  void loop(uint64_t seen) {
    for (;;) {
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      if (helpers_wanted_ == 0) continue;
      --helpers_wanted_;
      lk.unlock();
      work();
      lk.lock();
      if (--active_ == 0) done_cv_.notify_one();
    }
  }

  std::mutex region_mu_;  // one parallel region (or resize) at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> threads_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<size_t> active_{0};
  size_t helpers_wanted_ = 0;
  std::atomic<uint64_t> generation_{0};  // written under mu_, also polled without it
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit races with
  // the runtime's own teardown (and with Node's worker shutdown).
  static Pool* p = new Pool();
  return *p;
}

std::atomic<int> g_threads{0};
std::once_flag g_threads_once;

void init_threads() {
  std::call_once(g_threads_once, [] {
    int n = physical_cores();
    if (const char* env = std::getenv("LOWBIT_THREADS"); env && *env) {
      const int v = std::atoi(env);
      if (v >= 1 && v <= 1024) n = v;
    }
    g_threads.store(n);
    pool().resize(n - 1);
  });
}

}  // namespace

int physical_cores() {
  static const int cores = [] {
    int n = 0;
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
      std::set<std::pair<std::string, std::string>> cores;
      for (int c = 0; c < CPU_SETSIZE; ++c) {
        if (!CPU_ISSET(c, &set)) continue;
        const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/";
        std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
        std::string p, k;
        if (!(pkg >> p) || !(core >> k)) { cores.clear(); break; }
        cores.emplace(p, k);
      }
      n = static_cast<int>(cores.size());
      if (n == 0) n = CPU_COUNT(&set);
    }
#elif defined(__APPLE__)
    int v = 0;
    size_t len = sizeof(v);
    if (sysctlbyname("hw.perflevel0.physicalcpu", &v, &len, nullptr, 0) == 0 && v > 0) n = v;
    else if (sysctlbyname("hw.physicalcpu", &v, &len, nullptr, 0) == 0) n = v;
#endif
    if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
    return n > 0 ? n : 1;
  }();
  return cores;
}

void set_threads(int n) {
  init_threads();
  if (n < 1) n = 1;
  if (n == g_threads.load()) return;
  g_threads.store(n);
  pool().resize(n - 1);
}

int threads() {
  init_threads();
  return g_threads.load();
}

void parallel_for(size_t n, size_t max_threads, const std::function<void(size_t)>& fn) {
  init_threads();
  const size_t t = std::min<size_t>(max_threads, static_cast<size_t>(g_threads.load()));
  pool().run(n, t, fn);
}

}  // namespace lowbit
