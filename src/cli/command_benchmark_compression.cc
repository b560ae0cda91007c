// ferry benchmark compression: compression and decompression throughput and output size of
// every compressor on a user-supplied file, ranked (kopia's output shape).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <ostream>
#include <sstream>

#include "cli/benchmark_runner.h"
#include "cli/commands.h"
#include "cli/units.h"
#include "compression/compression.h"

namespace ferry::cli {

namespace {

constexpr size_t kMaxData = size_t{128} << 20;  // like kopia: at most 128 MiB of the file

struct Options {
  std::string data_file;
  int64_t repeat = 0;
  int64_t parallel = 0;
  bool by_size = false;
  bool print_options = false;
  bool deprecated = false;
  bool verify_stable = false;
  std::string operations;
  std::string algorithms;
};

struct Row {
  std::string name;
  double throughput;
  size_t compressed_size;
  bool deprecated;
};

bool Included(const Options& o, const compression::CompressorInfo& c) {
  if (!c.can_compress) return false;
  if (o.algorithms.empty()) return o.deprecated || !c.deprecated;
  std::stringstream ss(o.algorithms);
  std::string prefix;
  while (std::getline(ss, prefix, ',')) {
    if (!prefix.empty() && c.name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

void PrintRows(const Options& o, std::vector<Row> rows, const char* flag_hint, Context& ctx) {
  if (o.by_size) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.compressed_size < b.compressed_size; });
  } else {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.throughput > b.throughput; });
  }
  char line[256];
  std::snprintf(line, sizeof(line), "     %-26s %-12s %-12s\n", "Compression", "Compressed", "Throughput");
  ctx.out << line << std::string(65, '-') << "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    std::snprintf(line, sizeof(line), "%3zu. %-26s %-12s %8s/s%s", i, rows[i].name.c_str(),
                  BytesString(double(rows[i].compressed_size)).c_str(),
                  BytesString(rows[i].throughput).c_str(), rows[i].deprecated ? " (deprecated)" : "");
    ctx.out << line;
    if (o.print_options) ctx.out << ", --compression=" << rows[i].name;
    ctx.out << "\n";
  }
  ctx.out << std::string(65, '-') << "\n";
  if (!rows.empty()) {
    ctx.out << (o.by_size ? "Smallest" : "Fastest") << " option for this machine is: " << flag_hint
            << rows[0].name << "\n";
  }
}

Status Run(const Options& o, Context& ctx) {
  if (o.parallel < 1) return Status::InvalidArgument("--parallel must be positive");
  std::ifstream in(o.data_file, std::ios::binary);
  if (!in) return Status::NotFound("cannot open data file " + o.data_file);
  Bytes data(kMaxData);
  in.read(reinterpret_cast<char*>(data.data()), std::streamsize(data.size()));
  data.resize(size_t(in.gcount()));
  if (data.empty()) return Status::InvalidArgument("empty data file " + o.data_file);
  if (data.size() == kMaxData) {
    BenchmarkNote("NOTICE: The provided input file is too big, using first " +
                  BytesStringBase2(double(kMaxData)) + ".");
  }
  int64_t repeat = o.repeat > 0 ? o.repeat : std::max<int64_t>(1, int64_t(kMaxData / data.size()));
  BenchmarkNote("Will repeat each benchmark " + std::to_string(repeat) +
                " times per compression method (total " + BytesString(double(repeat) * double(data.size())) +
                "). Override with --repeat=N.");
  std::vector<compression::CompressorInfo> algos;
  for (const auto& c : compression::Compressors()) {
    if (Included(o, c)) algos.push_back(c);
  }
  double total = double(o.parallel) * double(data.size()) * double(repeat);

  if (o.operations != "decompress") {
    BenchmarkNote("Compressing input file \"" + o.data_file + "\" (" + BytesString(double(data.size())) +
                  ") using " + std::to_string(algos.size()) + " compression methods.");
    std::vector<Row> rows;
    for (const auto& c : algos) {
      BenchmarkNote("Benchmarking compressor '" + c.name + "'...");
      std::mutex mu;
      Status failure;
      size_t size = 0;
      double secs = TimeParallel(int(o.parallel), [&](int) {
        Bytes out;
        out.reserve(data.size() + data.size() / 8 + 1024);
        Bytes first;
        for (int64_t i = 0; i < repeat; ++i) {
          Status s = compression::Compress(c.header_id, data, &out);
          if (s.ok() && o.verify_stable) {
            if (i == 0) first = out;
            else if (out != first) s = Status::Internal("compression " + c.name + " is not stable");
          }
          if (!s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            failure = s;
            return;
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        size = out.size();
      });
      FERRY_RETURN_IF_ERROR(failure);
      rows.push_back({c.name, total / secs, size, c.deprecated});
    }
    PrintRows(o, rows, "--compression=", ctx);
  }
  if (o.operations != "compress") {
    BenchmarkNote("Decompressing input file \"" + o.data_file + "\" (" + BytesString(double(data.size())) +
                  ") using " + std::to_string(algos.size()) + " compression methods.");
    std::vector<Row> rows;
    for (const auto& c : algos) {
      Bytes compressed;
      FERRY_RETURN_IF_ERROR(compression::Compress(c.header_id, data, &compressed));
      BenchmarkNote("Benchmarking decompressor '" + c.name + "'...");
      std::mutex mu;
      Status failure;
      double secs = TimeParallel(int(o.parallel), [&](int) {
        Bytes out;
        out.reserve(data.size());
        for (int64_t i = 0; i < repeat; ++i) {
          Status s = compression::Decompress(compressed, &out, data.size() + 1);
          if (s.ok() && out.size() != data.size()) s = Status::Internal("decompressed size mismatch");
          if (!s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            failure = s.WithContext("decompressing " + c.name);
            return;
          }
        }
      });
      FERRY_RETURN_IF_ERROR(failure);
      rows.push_back({c.name, total / secs, compressed.size(), c.deprecated});
    }
    PrintRows(o, rows, "--compression=", ctx);
  }
  return Status::OK();
}

}  // namespace

void AddBenchmarkCompressionCommand(Command& benchmark) {
  auto o = std::make_shared<Options>();
  Command& cmd = benchmark.AddCommand("compression", "Run compression benchmarks");
  cmd.StringFlag("data-file", "Use data from the given file", &o->data_file).required = true;
  cmd.IntFlag("repeat", "Number of repetitions (0: enough to process 128 MiB)", &o->repeat, 0);
  cmd.IntFlag("parallel", "Number of parallel threads", &o->parallel, 1);
  cmd.BoolFlag("by-size", "Sort results by size", &o->by_size);
  cmd.EnumFlag("operations", "Operations", &o->operations, {"compress", "decompress", "both"}, "both");
  cmd.BoolFlag("verify-stable", "Verify that compression is stable", &o->verify_stable);
  cmd.BoolFlag("print-options", "Print out options usable for repository creation", &o->print_options);
  cmd.BoolFlag("deprecated", "Include deprecated compression algorithms", &o->deprecated);
  cmd.StringFlag("algorithms", "Comma-separated list of algorithm name prefixes to benchmark", &o->algorithms);
  cmd.SetAction([o](Context& ctx) { return Run(*o, ctx); });
}

}  // namespace ferry::cli
