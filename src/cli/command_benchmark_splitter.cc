// ferry benchmark splitter: throughput and chunk-size distribution of every splitter.
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cli/benchmark_runner.h"
#include "cli/commands.h"
#include "cli/units.h"
#include "splitter/splitter.h"

namespace ferry::cli {

namespace {

struct Options {
  uint64_t data_size = 0;
  int64_t block_count = 0;
  int64_t seed = 0;
  int64_t parallel = 0;
  bool print_options = false;
  std::string block_size;  // alias of --data-size
  int64_t repeat = -1;     // alias of --block-count
};

struct Row {
  std::string name;
  double seconds;
  double throughput;
  std::vector<size_t> sorted;
};

std::string Distribution(const Row& r) {
  const auto& s = r.sorted;
  auto at = [&](size_t pct) { return std::to_string(s[s.size() * pct / 100]); };
  return "count:" + std::to_string(s.size()) + " min:" + std::to_string(s.front()) +
         " 10th:" + at(10) + " 25th:" + at(25) + " 50th:" + at(50) + " 75th:" + at(75) +
         " 90th:" + at(90) + " max:" + std::to_string(s.back());
}

Status Run(Options o, Context& ctx) {
  if (!o.block_size.empty()) {
    FERRY_ASSIGN_OR_RETURN(o.data_size, ParseByteSize(o.block_size));
  }
  if (o.repeat >= 0) o.block_count = o.repeat;
  if (o.data_size == 0 || o.block_count < 1 || o.parallel < 1) {
    return Status::InvalidArgument("--data-size, --block-count and --parallel must be positive");
  }
  BenchmarkNote("splitting " + std::to_string(o.block_count) + " blocks of " +
                BytesString(double(o.data_size)) + " each, parallelism " + std::to_string(o.parallel));
  std::vector<std::vector<uint8_t>> blocks;
  for (int64_t i = 0; i < o.block_count; ++i) {
    blocks.push_back(PseudoRandomBytes(o.data_size, uint64_t(o.seed) + uint64_t(i)));
  }
  std::vector<Row> rows;
  char line[512];
  for (const auto& name : splitter::SplitterNames()) {
    FERRY_ASSIGN_OR_RETURN(auto factory, splitter::GetSplitterFactory(name));
    std::vector<std::vector<size_t>> lengths(size_t(o.parallel));
    double secs = TimeParallel(static_cast<int>(o.parallel), [&](int t) {
      auto& out = lengths[size_t(t)];
      for (const auto& block : blocks) {
        auto s = factory();
        ByteView d(block);
        while (!d.empty()) {
          size_t n = s->NextSplitPoint(d);
          if (n == splitter::kNoSplit) {
            out.push_back(d.size());
            break;
          }
          out.push_back(n);
          d = d.subspan(n);
        }
      }
    });
    Row r{name, secs, double(o.parallel) * double(o.block_count) * double(o.data_size) / secs, {}};
    for (auto& l : lengths) r.sorted.insert(r.sorted.end(), l.begin(), l.end());
    std::sort(r.sorted.begin(), r.sorted.end());
    std::snprintf(line, sizeof(line), "%-25s %12s/s %s\n", name.c_str(),
                  BytesString(r.throughput).c_str(), Distribution(r).c_str());
    ctx.out << line;
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.seconds < b.seconds; });
  ctx.out << std::string(65, '-') << "\n";
  const Row* best = nullptr;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string tp = BytesString(rows[i].throughput) + "/s";
    std::snprintf(line, sizeof(line), "%3zu. %-25s %-12s %s", i, rows[i].name.c_str(),
                  tp.c_str(), Distribution(rows[i]).c_str());
    ctx.out << line;
    if (o.print_options) ctx.out << ", --object-splitter=" << rows[i].name;
    ctx.out << "\n";
    if (!best && rows[i].name.rfind("FIXED", 0) != 0) best = &rows[i];
  }
  ctx.out << std::string(65, '-') << "\n";
  if (best) ctx.out << "Fastest option for this machine is: --object-splitter=" << best->name << "\n";
  return Status::OK();
}

}  // namespace

void AddBenchmarkSplitterCommand(Command& benchmark) {
  auto o = std::make_shared<Options>();
  Command& cmd = benchmark.AddCommand("splitter", "Run splitter benchmarks");
  cmd.BytesFlag("data-size", "Size of a data to split", &o->data_size, "32MB");
  cmd.StringFlag("block-size", "Same as --data-size", &o->block_size);
  cmd.IntFlag("block-count", "Number of data blocks to split", &o->block_count, 16);
  cmd.IntFlag("repeat", "Same as --block-count", &o->repeat, -1).hidden = true;
  cmd.IntFlag("rand-seed", "Random seed", &o->seed, 42);
  cmd.IntFlag("parallel", "Number of parallel threads", &o->parallel, 1);
  cmd.BoolFlag("print-options", "Print out the fastest dynamic splitter option", &o->print_options);
  cmd.SetAction([o](Context& ctx) { return Run(*o, ctx); });
}

}  // namespace ferry::cli
