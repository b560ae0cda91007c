// ferry benchmark hashing: throughput of every content hash, ranked (kopia's output shape).
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cli/benchmark_runner.h"
#include "cli/commands.h"
#include "cli/units.h"
#include "crypto/hashing.h"

namespace ferry::cli {

namespace {

struct Options {
  uint64_t block_size = 0;
  int64_t repeat = 0;
  int64_t parallel = 0;
  bool print_options = false;
};

Status Run(const Options& o, Context& ctx) {
  if (o.block_size == 0 || o.repeat < 1 || o.parallel < 1) {
    return Status::InvalidArgument("--block-size, --repeat and --parallel must be positive");
  }
  auto data = PseudoRandomBytes(o.block_size, 1);
  Bytes secret(32, 0);
  std::vector<ThroughputRow> rows;
  for (const auto& name : crypto::HashAlgorithmNames()) {
    FERRY_ASSIGN_OR_RETURN(auto hash, crypto::NewHashFunction(name, secret));
    BenchmarkNote("Benchmarking hash '" + name + "' (" + std::to_string(o.repeat) + " x " +
                  std::to_string(o.block_size) + " bytes, parallelism " +
                  std::to_string(o.parallel) + ")");
    uint8_t warm[crypto::kMaxHashSize];
    hash->Hash(data, warm);  // first touch of the data and of any lazily built state
    double secs = TimeParallel(static_cast<int>(o.parallel), [&](int) {
      uint8_t out[crypto::kMaxHashSize];
      for (int64_t i = 0; i < o.repeat; ++i) hash->Hash(data, out);
    });
    double bytes = double(o.parallel) * double(o.block_size) * double(o.repeat);
    rows.push_back({name, bytes / secs});
  }
  PrintThroughputRanking(ctx.out, "Hash", 20, "block-hash", o.print_options, std::move(rows));
  return Status::OK();
}

}  // namespace

void AddBenchmarkHashingCommand(Command& benchmark) {
  auto o = std::make_shared<Options>();
  Command& cmd = benchmark.AddCommand("hashing", "Run hashing function benchmarks").Alias("hash");
  cmd.BytesFlag("block-size", "Size of a block to hash", &o->block_size, "1MB");
  cmd.IntFlag("repeat", "Number of repetitions", &o->repeat, 100);
  cmd.IntFlag("parallel", "Number of parallel threads", &o->parallel, 1);
  cmd.BoolFlag("print-options", "Print out options usable for repository creation", &o->print_options);
  cmd.SetAction([o](Context& ctx) { return Run(*o, ctx); });
}

}  // namespace ferry::cli
