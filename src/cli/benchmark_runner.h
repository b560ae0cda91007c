// Shared machinery of the `ferry benchmark ...` commands: run a body on N threads, time it
// after a warm-up, and print a ranked table the way kopia does.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <ostream>
#include <string>
#include <vector>

namespace ferry::cli {

// Runs body(thread_index) on `parallel` threads at once and returns the wall seconds it took.
// Each body is called once; it does its own repetitions.
double TimeParallel(int parallel, const std::function<void(int)>& body);

// Deterministic pseudo-random bytes (SplitMix64), fast enough to fill hundreds of MiB.
std::vector<uint8_t> PseudoRandomBytes(size_t size, uint64_t seed);

struct ThroughputRow {
  std::string name;
  double bytes_per_second;
};

// Sorts rows fastest first and prints kopia's table: a header with `title` in a column of
// `name_width`, one "N. NAME  X / second" line each (with ",   --FLAG=NAME" when print_options),
// then "Fastest option for this machine is: --FLAG=NAME".
void PrintThroughputRanking(std::ostream& out, const std::string& title, int name_width,
                            const std::string& flag, bool print_options, std::vector<ThroughputRow> rows);

// Prints a progress note on stderr ("Benchmarking hash 'X' (100 x 1048576 bytes, parallelism 1)").
void BenchmarkNote(const std::string& message);

}  // namespace ferry::cli
