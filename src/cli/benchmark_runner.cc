#include "cli/benchmark_runner.h"

#include <chrono>
#include <iostream>
#include <thread>

namespace ferry::cli {

double TimeParallel(int parallel, const std::function<void(int)>& body) {
  if (parallel < 1) parallel = 1;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(parallel));
  for (int i = 0; i < parallel; ++i) threads.emplace_back(body, i);
  for (auto& t : threads) t.join();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count();
}

std::vector<uint8_t> PseudoRandomBytes(size_t size, uint64_t seed) {
  std::vector<uint8_t> out(size);
  uint64_t s = seed;
  size_t i = 0;
  while (i < size) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (int b = 0; b < 8 && i < size; ++b, ++i) out[i] = static_cast<uint8_t>(z >> (8 * b));
  }
  return out;
}

void BenchmarkNote(const std::string& message) { std::cerr << message << std::endl; }

}  // namespace ferry::cli
