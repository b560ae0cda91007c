// ferry benchmark encryption: steady-state throughput of every content encryptor, ranked.
// Unlike kopia 0.12.1 (which appends every output to one growing buffer and so mostly times
// page faults), each thread reuses one output buffer, after a warm-up call.
#include <algorithm>
#include <mutex>
#include <cstdio>
#include <ostream>

#include "cli/benchmark_runner.h"
#include "cli/commands.h"
#include "cli/units.h"
#include "crypto/encryption.h"

namespace ferry::cli {

namespace {

struct Options {
  uint64_t block_size = 0;
  int64_t repeat = 0;
  int64_t parallel = 0;
  bool print_options = false;
  bool deprecated = false;
};

Status Run(const Options& o, Context& ctx) {
  if (o.block_size == 0 || o.repeat < 1 || o.parallel < 1) {
    return Status::InvalidArgument("--block-size, --repeat and --parallel must be positive");
  }
  auto data = PseudoRandomBytes(o.block_size, 2);
  Bytes master_key(32, 0);
  Bytes iv(16, 0x5a);
  std::vector<ThroughputRow> rows;
  for (const auto& name : crypto::EncryptionAlgorithmNames()) {
    FERRY_ASSIGN_OR_RETURN(auto enc, crypto::NewEncryptor(name, master_key));
    BenchmarkNote("Benchmarking encryption '" + name + "'... (" + std::to_string(o.repeat) +
                  " x " + std::to_string(o.block_size) + " bytes, parallelism " +
                  std::to_string(o.parallel) + ")");
    Status failure;
    std::mutex failure_mu;
    double secs = TimeParallel(static_cast<int>(o.parallel), [&](int) {
      Bytes out;
      Status s = enc->Encrypt(data, iv, &out);  // warm-up: sizes the buffer once
      for (int64_t i = 0; i < o.repeat && s.ok(); ++i) s = enc->Encrypt(data, iv, &out);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(failure_mu);
        failure = s;
      }
    });
    FERRY_RETURN_IF_ERROR(failure);
    double bytes = double(o.parallel) * double(o.block_size) * double(o.repeat);
    rows.push_back({name, bytes / secs});
  }
  PrintThroughputRanking(ctx.out, "Encryption", 30, "encryption", o.print_options, std::move(rows));
  return Status::OK();
}

}  // namespace

void AddBenchmarkEncryptionCommand(Command& benchmark) {
  auto o = std::make_shared<Options>();
  Command& cmd = benchmark.AddCommand("encryption", "Run encryption benchmarks");
  cmd.BytesFlag("block-size", "Size of a block to encrypt", &o->block_size, "1MB");
  cmd.IntFlag("repeat", "Number of repetitions", &o->repeat, 1000);
  cmd.IntFlag("parallel", "Number of parallel threads", &o->parallel, 1);
  cmd.BoolFlag("deprecated", "Include deprecated algorithms (kopia 0.9+ has none)", &o->deprecated);
  cmd.BoolFlag("print-options", "Print out options usable for repository creation", &o->print_options);
  cmd.SetAction([o](Context& ctx) { return Run(*o, ctx); });
}

}  // namespace ferry::cli
