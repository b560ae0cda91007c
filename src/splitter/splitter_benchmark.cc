// Throughput of every splitter on 32 MiB of random data, fed as one buffer (the object writer's
// largest case) and in 1 MiB pieces. Compare with kopia's `kopia benchmark splitter` (16 × 32 MiB
// random, /work/shared/bench/peers.md).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

#include "base/bytes.h"
#include "splitter/splitter.h"

namespace ferry::splitter {
namespace {

const Bytes& RandomData() {
  static const Bytes* const data = [] {
    auto* d = new Bytes(32 << 20);
    std::mt19937_64 rng(1);
    for (size_t i = 0; i < d->size(); i += 8) {
      const uint64_t r = rng();
      for (size_t k = 0; k < 8; ++k) (*d)[i + k] = static_cast<uint8_t>(r >> (8 * k));
    }
    return d;
  }();
  return *data;
}

void BM_Split(benchmark::State& state, const std::string& name, size_t piece) {
  const Bytes& data = RandomData();
  Result<SplitterFactory> factory = GetSplitterFactory(name);
  if (!factory.ok()) {
    state.SkipWithError(factory.status().ToString().c_str());
    return;
  }
  auto s = (*factory)();
  size_t chunks = 0;
  for (auto _ : state) {
    s->Reset();
    for (size_t pos = 0; pos < data.size(); pos += piece) {
      ByteView p(data.data() + pos, std::min(piece, data.size() - pos));
      while (!p.empty()) {
        const size_t n = s->NextSplitPoint(p);
        if (n == kNoSplit) break;
        ++chunks;
        p = p.subspan(n);
      }
    }
    benchmark::DoNotOptimize(chunks);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}

// The rolling hash alone, hashing every byte: no minimum to skip and a mask that never matches.
// This is what a chunk costs past its first min - 64 bytes.
void BM_Scan(benchmark::State& state, bool rabinkarp) {
  const Bytes& data = RandomData();
  auto s = rabinkarp ? NewRabinKarpSplitter(1, size_t{1} << 62, SIZE_MAX)
                     : NewBuzhashSplitter(1, size_t{1} << 32, SIZE_MAX);
  for (auto _ : state) {
    s->Reset();
    benchmark::DoNotOptimize(s->NextSplitPoint(data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK_CAPTURE(BM_Scan, BUZHASH, false);
BENCHMARK_CAPTURE(BM_Scan, RABINKARP, true);

const bool kRegistered = [] {
  for (const std::string& name : SplitterNames()) {
    benchmark::RegisterBenchmark(("Split/" + name + "/whole32M").c_str(),
                                 [name](benchmark::State& st) { BM_Split(st, name, 32 << 20); });
  }
  for (const char* name : {"DYNAMIC-4M-BUZHASH", "DYNAMIC-4M-RABINKARP"}) {
    benchmark::RegisterBenchmark(
        (std::string("Split/") + name + "/pieces1M").c_str(),
        [name = std::string(name)](benchmark::State& st) { BM_Split(st, name, 1 << 20); });
  }
  return true;
}();

}  // namespace
}  // namespace ferry::splitter

BENCHMARK_MAIN();
