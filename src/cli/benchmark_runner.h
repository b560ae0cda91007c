// Shared machinery of the `ferry benchmark ...` commands: run a body on N threads, time it
// after a warm-up, and print a ranked table the way kopia does.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace ferry::cli {

// Runs body(thread_index) on `parallel` threads at once and returns the wall seconds it took.
// Each body is called once; it does its own repetitions.
double TimeParallel(int parallel, const std::function<void(int)>& body);

// Deterministic pseudo-random bytes (SplitMix64), fast enough to fill hundreds of MiB.
std::vector<uint8_t> PseudoRandomBytes(size_t size, uint64_t seed);

// Prints a progress note on stderr ("Benchmarking hash 'X' (100 x 1048576 bytes, parallelism 1)").
void BenchmarkNote(const std::string& message);

}  // namespace ferry::cli
