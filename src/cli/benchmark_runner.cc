#include "cli/benchmark_runner.h"

#include "cli/units.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
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

void PrintThroughputRanking(std::ostream& out, const std::string& title, int name_width,
                            const std::string& flag, bool print_options, std::vector<ThroughputRow> rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const ThroughputRow& a, const ThroughputRow& b) {
    return a.bytes_per_second > b.bytes_per_second;
  });
  char line[256];
  std::snprintf(line, sizeof(line), "     %-*s %s\n", name_width, title.c_str(), "Throughput");
  out << line << std::string(65, '-') << "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    std::snprintf(line, sizeof(line), "%3zu. %-*s %s / second", i, name_width, rows[i].name.c_str(),
                  BytesString(rows[i].bytes_per_second).c_str());
    out << line;
    if (print_options) out << ",   --" << flag << "=" << rows[i].name;
    out << "\n";
  }
  out << std::string(65, '-') << "\n";
  if (!rows.empty()) out << "Fastest option for this machine is: --" << flag << "=" << rows[0].name << "\n";
}

void BenchmarkNote(const std::string& message) { std::cerr << message << std::endl; }

}  // namespace ferry::cli
