// Compression and decompression throughput per kopia compressor, one thread.
//
// Default input: 8 MiB of deterministic prose-like text (test_text.h). To measure on another
// file, e.g. kopia's benchmark text (`gen-dataset.sh benchfile /tmp/bench64.txt`), set
// FERRY_BENCH_FILE=/tmp/bench64.txt; the whole file is compressed as one payload, as
// `kopia benchmark compression` does. Reported: bytes/s of uncompressed data, and the
// compressed size (counter "out_MiB") and ratio. compress_4KiB/* compresses the first 4 KiB
// only: the per-call cost that small contents (directories, manifests) pay.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "compression/compression.h"
#include "compression/test_text.h"

namespace ferry::compression {
namespace {

const Bytes& Input() {
  static const Bytes input = [] {
    if (const char* path = std::getenv("FERRY_BENCH_FILE"); path != nullptr && *path != '\0') {
      std::ifstream f(path, std::ios::binary);
      Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (!data.empty()) return data;
      std::fprintf(stderr, "cannot read FERRY_BENCH_FILE=%s, using generated text\n", path);
    }
    return testing::ProseText(size_t{8} << 20, 2024);
  }();
  return input;
}

void SetCounters(benchmark::State& state, ByteView input, size_t compressed) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["out_MiB"] = static_cast<double>(compressed) / (1 << 20);
  state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(input.size());
}

void BM_Compress(benchmark::State& state, std::string name, size_t limit) {
  const ByteView input = ByteView(Input()).first(std::min(limit, Input().size()));
  Bytes out;
  // Warm-up outside the clock: the first call allocates the thread's codec context and the
  // output buffer's pages; a run of 64 MiB payloads has only a few timed iterations.
  if (Status s = Compress(name, input, &out); !s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  for (auto _ : state) {
    Status s = Compress(name, input, &out);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, input, out.size());
}

void BM_Decompress(benchmark::State& state, std::string name) {
  const Bytes& input = Input();
  Bytes compressed, out;
  if (Status s = Compress(name, input, &compressed); !s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  (void)Decompress(compressed, &out);  // warm-up, as above
  for (auto _ : state) {
    Status s = Decompress(compressed, &out);
    if (!s.ok() || out.size() != input.size()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, input, compressed.size());
}

int Register() {
  for (const auto& c : Compressors()) {
    if (!c.can_compress) continue;
    benchmark::RegisterBenchmark(("compress/" + c.name).c_str(), BM_Compress, c.name, SIZE_MAX)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  for (const auto& c : Compressors()) {
    if (!c.can_compress) continue;
    benchmark::RegisterBenchmark(("compress_4KiB/" + c.name).c_str(), BM_Compress, c.name,
                                 size_t{4096})
        ->Unit(benchmark::kMicrosecond);
  }
  for (const auto& c : Compressors()) {
    if (!c.can_compress) continue;
    benchmark::RegisterBenchmark(("decompress/" + c.name).c_str(), BM_Decompress, c.name)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return 0;
}
const int kRegistered = Register();

}  // namespace
}  // namespace ferry::compression

BENCHMARK_MAIN();
