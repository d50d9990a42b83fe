// A small fork-join pool for GEMM tiles. One parallel region runs at a time; a caller that
// finds the pool busy (another thread's GEMM, a second async call) runs its work inline
// instead of waiting, so concurrent callers never deadlock or oversubscribe the cores.
#pragma once

#include <cstddef>
#include <functional>

namespace lowbit {

// Calls fn(i) for every i in [0, n), spread over the pool's threads; returns when all are done.
// max_threads caps how many threads take part (1 = inline on the caller).
void parallel_for(size_t n, size_t max_threads, const std::function<void(size_t)>& fn);

}  // namespace lowbit
