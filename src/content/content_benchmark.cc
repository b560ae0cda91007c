// Engine micro benchmarks of the content layer (docs/performance.md, bench/README.md):
//
// - Write/*: 1 GiB of unique 4 MiB contents through ContentManager (BLAKE2B-256-128 +
//   AES256-GCM-HMAC-SHA256, kopia's defaults) into a storage that drops blobs, MemoryStorage and
//   a filesystem repository (sync none and flush), Flush included, next to HashEncrypt: the
//   same hash + encryption of the same buffers with no engine at all. The gap between the two is
//   what the engine costs.
// - IndexOpen: ContentManager::Open of a repository holding one million contents in 50 index
//   blobs (time, RSS growth, peak RSS), and IndexLookup: 1M random GetContentInfo calls; both
//   also with the same contents in one (compacted) index blob.
// - PendingIndex: the memory held for 1M small contents written and not yet flushed.
//
// Wall-clock throughout (UseRealTime): storage work happens in the kernel and in other threads.
// Rates are also given per process CPU second, which survives a loaded machine better.
//
//   build/src/content/content_benchmark                       # all
//   build/src/content/content_benchmark --benchmark_filter=Index
//   BENCH_DIR=/scratch build/src/content/content_benchmark    # where repositories go (/tmp)
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "blob/filesystem_storage.h"
#include "blob/memory_storage.h"
#include "content/content_manager.h"
#include "content/encrypted_blob.h"
#include "content/index_builder.h"
#include "content/session.h"
#include "crypto/encryption.h"
#include "crypto/hashing.h"

namespace ferry::content {
namespace {

namespace fs = std::filesystem;

constexpr size_t kContentSize = size_t{4} << 20;
constexpr size_t kContentsPerRun = 256;  // 1 GiB
constexpr size_t kMillion = 1'000'000;
constexpr size_t kContentsPerPack = 5'000;  // ~20 MiB packs of ~4 KiB contents

// Repository keys and algorithms shared by every benchmark (the defaults of a new repository).
struct Algorithms {
  std::unique_ptr<crypto::HashFunction> hash;
  std::unique_ptr<crypto::Encryptor> encryptor;
  ContentFormat format;
};

const Algorithms& Algos() {
  static const Algorithms* a = [] {
    auto* r = new Algorithms;
    r->hash = std::move(*crypto::NewHashFunction(crypto::kDefaultHashAlgorithm, Bytes(32, 0x80)));
    r->encryptor = std::move(*crypto::NewEncryptor(crypto::kDefaultEncryptionAlgorithm, Bytes(32, 0x40)));
    r->format.hash = r->hash.get();
    r->format.encryptor = r->encryptor.get();
    return r;
  }();
  return *a;
}

std::string BenchDir() {
  const char* d = std::getenv("BENCH_DIR");
  return d && *d ? d : "/tmp";
}

// Per-process scratch directory, removed by main() after the run.
const std::string& ScratchDir() {
  static const std::string dir = [] {
    std::string d = BenchDir() + "/ferry-content-bench-" + std::to_string(::getpid());
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// One 4 MiB random buffer per writer thread; the first 8 bytes are overwritten with a global
// counter before each write so every content is unique (never deduplicated) across iterations.
Bytes RandomBuffer(uint64_t seed) {
  Bytes b(kContentSize);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < b.size(); i += 8) {
    const uint64_t r = rng();
    for (size_t k = 0; k < 8; ++k) b[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  return b;
}

std::atomic<uint64_t> g_unique{1};

void MakeUnique(Bytes* b) {
  const uint64_t n = g_unique++;
  for (size_t k = 0; k < 8; ++k) (*b)[k] = static_cast<uint8_t>(n >> (8 * k));
}

// "VmRSS" or "VmHWM" of this process in bytes.
int64_t ProcStatus(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1)) * 1024;
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so the peak seen later is this phase's.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// User + system CPU seconds of the whole process (every thread; not the kernel's writeback).
double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

// MB/s: per wall second (what the machine delivered, under whatever load it had).
// MB/cpu_s: per CPU second of the process, which the other jobs on the machine disturb far less;
// the engine's cost per byte is the difference of 1 / MB/cpu_s between Write and HashEncrypt.
void SetRate(benchmark::State& state, int64_t bytes, double cpu_seconds) {
  state.SetBytesProcessed(bytes);
  const double mb = static_cast<double>(bytes) / 1e6;
  state.counters["MB/s"] = benchmark::Counter(mb, benchmark::Counter::kIsRate);
  state.counters["MB/cpu_s"] = cpu_seconds > 0 ? mb / cpu_seconds : 0;
}

// ---- 1 GiB of 4 MiB contents -------------------------------------------------------------

// Drops every blob: what is left is the engine alone (hash, encrypt, pack, index), without
// the copy and fresh memory MemoryStorage pays to keep 1 GiB.
class DiscardStorage final : public blob::Storage {
 public:
  std::string DisplayName() const override { return "discard"; }
  std::map<std::string, std::string> Config() const override { return {{"type", "discard"}}; }

 protected:
  Status DoPutBlob(std::string_view, ByteView, const blob::PutOptions&) override { return Status::OK(); }
  Status DoGetBlob(std::string_view id, int64_t, int64_t, Bytes*) override { return blob::BlobNotFound(id); }
  Result<blob::BlobMetadata> DoGetMetadata(std::string_view id) override { return blob::BlobNotFound(id); }
  Status DoDeleteBlob(std::string_view) override { return Status::OK(); }
  Status DoListBlobs(std::string_view, const blob::ListCallback&) override { return Status::OK(); }
};

enum class Target { kDiscard, kDiscardHeapPacks, kMemory, kFilesystemNone, kFilesystemFlush };

// main() sets ferry's malloc policy (src/cli/main.cc): buffers of 1 MiB and more are mmap'ed,
// so every 20 MiB pack buffer is fresh memory the kernel faults in and zeroes. The
// kDiscardHeapPacks variant raises the threshold for its run, so packs reuse heap memory: the
// difference is what that policy costs per byte written.
constexpr int kFerryMmapThreshold = 256 << 10;  // as src/cli/main.cc

constexpr int kGlibcTrimThreshold = 128 << 10;  // glibc's default, which ferry keeps

// Sets the mmap and trim thresholds for a scope (a large trim threshold keeps freed packs in
// the heap for the next one), then puts ferry's back.
struct MmapThreshold {
  explicit MmapThreshold(int bytes) {
    ::mallopt(M_MMAP_THRESHOLD, bytes);
    ::mallopt(M_TRIM_THRESHOLD, std::max(kGlibcTrimThreshold, 4 * bytes));
  }
  ~MmapThreshold() {
    ::mallopt(M_MMAP_THRESHOLD, kFerryMmapThreshold);
    ::mallopt(M_TRIM_THRESHOLD, kGlibcTrimThreshold);
  }
  MmapThreshold(const MmapThreshold&) = delete;
  MmapThreshold& operator=(const MmapThreshold&) = delete;
};

// range(0) = writer threads, sharing one manager (as the uploader's workers do).
void BM_Write(benchmark::State& state, Target target) {
  const size_t threads = static_cast<size_t>(state.range(0));
  std::vector<Bytes> buffers;
  for (size_t t = 0; t < threads; ++t) buffers.push_back(RandomBuffer(t + 1));
  const MmapThreshold threshold(target == Target::kDiscardHeapPacks ? 64 << 20 : kFerryMmapThreshold);
  int iteration = 0;
  double cpu = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<blob::Storage> storage;
    const std::string dir = ScratchDir() + "/write-" + std::to_string(iteration++);
    if (target == Target::kDiscard || target == Target::kDiscardHeapPacks) {
      storage = std::make_unique<DiscardStorage>();
    } else if (target == Target::kMemory) {
      storage = std::make_unique<blob::MemoryStorage>();
    } else {
      blob::FilesystemOptions o;  // what FERRY_FILESYSTEM_SYNC=flush / none set up
      o.sync_writes = false;
      o.sync_on_request = target == Target::kFilesystemFlush;
      storage = std::move(*blob::CreateFilesystemStorage(dir, o));
    }
    auto cm = ContentManager::Open(storage.get(), Algos().format);
    if (!cm.ok()) {
      state.SkipWithError(cm.status().ToString().c_str());
      return;
    }
    const double cpu_start = ProcessCpuSeconds();
    state.ResumeTiming();

    std::vector<Status> errors(threads);
    auto writer = [&](size_t t) {
      for (size_t i = t; i < kContentsPerRun && errors[t].ok(); i += threads) {
        MakeUnique(&buffers[t]);
        auto id = (*cm)->WriteContent(buffers[t], 0, compression::kNoCompression);
        if (!id.ok()) errors[t] = id.status();
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(writer, t);
    writer(0);
    for (auto& th : pool) th.join();
    Status s = (*cm)->Flush();
    for (const auto& e : errors) {
      if (s.ok()) s = e;
    }

    state.PauseTiming();
    cpu += ProcessCpuSeconds() - cpu_start;
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    cm->reset();
    storage.reset();
    fs::remove_all(dir);
    state.ResumeTiming();
    if (!s.ok()) return;
  }
  SetRate(state, static_cast<int64_t>(state.iterations() * kContentsPerRun * kContentSize), cpu);
}

// The floor: the same hash + encrypt calls on the same buffers, nothing stored.
void BM_HashEncrypt(benchmark::State& state) {
  const size_t threads = static_cast<size_t>(state.range(0));
  std::vector<Bytes> buffers;
  for (size_t t = 0; t < threads; ++t) buffers.push_back(RandomBuffer(t + 1));
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    auto worker = [&](size_t t) {
      Bytes sealed;
      uint8_t digest[crypto::kMaxHashSize];
      for (size_t i = t; i < kContentsPerRun; i += threads) {
        MakeUnique(&buffers[t]);
        Algos().hash->Hash(buffers[t], digest);
        auto id = ContentId::FromHash(0, ByteView(digest, Algos().hash->output_size()));
        (void)Algos().encryptor->Encrypt(buffers[t], id->PackIv(), &sealed);
        benchmark::DoNotOptimize(sealed.data());
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker, t);
    worker(0);
    for (auto& th : pool) th.join();
  }
  SetRate(state, static_cast<int64_t>(state.iterations() * kContentsPerRun * kContentSize),
          ProcessCpuSeconds() - cpu_start);
}

BENCHMARK(BM_HashEncrypt)->Name("HashEncrypt/4MiBx256")->Arg(1)->Arg(2)->ArgName("threads")
    ->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Write, discard, Target::kDiscard)->Arg(1)->Arg(2)->ArgName("threads")
    ->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Write, discard_heap_packs, Target::kDiscardHeapPacks)->Arg(1)
    ->ArgName("threads")->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Write, memory, Target::kMemory)->Arg(1)->Arg(2)->ArgName("threads")
    ->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Write, filesystem_sync_none, Target::kFilesystemNone)->Arg(1)->Arg(2)
    ->ArgName("threads")->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Write, filesystem_sync_flush, Target::kFilesystemFlush)->Arg(1)->Arg(2)
    ->ArgName("threads")->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

// 1M unique 1 KiB contents (a first backup of 1M small files) into a discarding storage, then
// one Flush: the memory the engine holds for contents written but not yet indexed.
// pending_MB: RSS growth after the writes, before Flush; peak_MB: highest RSS growth during
// the writes and the Flush (which builds the 1M-entry index blob).
void BM_PendingIndex(benchmark::State& state) {
  Bytes data = RandomBuffer(7);
  data.resize(1024);
  int64_t pending = 0, peak = 0;
  for (auto _ : state) {
    state.PauseTiming();
    DiscardStorage storage;
    auto cm = ContentManager::Open(&storage, Algos().format);
    if (!cm.ok()) {
      state.SkipWithError(cm.status().ToString().c_str());
      return;
    }
    ::malloc_trim(0);
    const int64_t before = ProcStatus("VmRSS");
    ResetPeakRss();
    state.ResumeTiming();
    Status s;
    for (size_t i = 0; i < kMillion && s.ok(); ++i) {
      MakeUnique(&data);
      s = (*cm)->WriteContent(data, 0, compression::kNoCompression).status();
    }
    state.PauseTiming();
    pending = std::max(pending, ProcStatus("VmRSS") - before);
    state.ResumeTiming();
    if (s.ok()) s = (*cm)->Flush();
    state.PauseTiming();
    peak = std::max(peak, ProcStatus("VmHWM") - before);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    cm->reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kMillion));
  state.counters["pending_MB"] = static_cast<double>(pending) / 1e6;
  state.counters["peak_MB"] = static_cast<double>(peak) / 1e6;
}
BENCHMARK(BM_PendingIndex)->Name("PendingIndex/1Mx1KiB")->Iterations(1)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- One million contents ----------------------------------------------------------------

// A filesystem repository of 1M contents in `blobs` xn0_ index blobs (50 x 20k: what 50 flushes
// leave before compaction; 1 x 1M: after it), named and encrypted as ContentManager::Flush does;
// built directly (seconds) instead of by writing 1M contents.
struct MillionRepo {
  std::string dir;
  std::unique_ptr<blob::Storage> storage;
  std::vector<ContentId> ids;  // shuffled
};

MillionRepo* BuildMillionRepo(size_t blobs) {
  auto* r = new MillionRepo;
  r->dir = ScratchDir() + "/index-1m-" + std::to_string(blobs);
  r->storage = std::move(*blob::CreateFilesystemStorage(r->dir));
  const Algorithms& a = Algos();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string session = NewSessionId(now);
  std::mt19937_64 rng(42);
  r->ids.reserve(kMillion);
  std::string pack;
  uint32_t offset = 0;
  for (size_t b = 0; b < blobs; ++b) {
    IndexBuilder builder;
    for (size_t i = 0; i < kMillion / blobs; ++i) {
      if (r->ids.size() % kContentsPerPack == 0) {
        uint8_t rnd[16];
        for (auto& c : rnd) c = static_cast<uint8_t>(rng());
        pack = "p" + HexEncode(ByteView(rnd, sizeof(rnd))) + "-" + session;
        offset = 32;
      }
      uint8_t hash[16];
      for (auto& c : hash) c = static_cast<uint8_t>(rng());
      IndexEntry e;
      e.id = *ContentId::FromHash(0, ByteView(hash, sizeof(hash)));
      e.pack_blob_id = pack;
      e.original_length = 1024 + static_cast<uint32_t>(rng() % 6144);
      e.packed_length = e.original_length + static_cast<uint32_t>(crypto::kEncryptionOverhead);
      e.pack_offset = offset;
      e.timestamp = now;
      offset += e.packed_length;
      builder.Add(e);
      r->ids.push_back(e.id);
    }
    auto index = builder.Build(2);
    auto put = index.ok() ? PutEncryptedBlob(r->storage.get(), *a.hash, *a.encryptor, "xn0_",
                                             session + "-c1", *index)
                          : Result<std::string>(index.status());
    if (!put.ok()) {
      std::fprintf(stderr, "building the 1M-content index: %s\n", put.status().ToString().c_str());
      std::exit(1);
    }
  }
  std::shuffle(r->ids.begin(), r->ids.end(), rng);
  return r;
}

MillionRepo& Million(size_t blobs) {
  static std::map<size_t, MillionRepo*> repos;
  MillionRepo*& r = repos[blobs];
  if (!r) r = BuildMillionRepo(blobs);
  return *r;
}

// Open = list the x-blobs, read, decrypt and parse every index blob (what every command does
// first). rss_MB: RSS with the manager open minus RSS just before (freed memory trimmed first,
// so earlier iterations do not hide growth); peak_MB: highest RSS during the open over the same
// base (decryption buffers included). Both the maximum over the iterations.
void BM_IndexOpen(benchmark::State& state) {
  MillionRepo& repo = Million(static_cast<size_t>(state.range(0)));
  int64_t rss_growth = 0, peak_growth = 0;
  size_t entries = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ::malloc_trim(0);
    const int64_t before = ProcStatus("VmRSS");
    ResetPeakRss();
    state.ResumeTiming();
    auto cm = ContentManager::Open(repo.storage.get(), Algos().format);
    state.PauseTiming();
    if (!cm.ok()) {
      state.SkipWithError(cm.status().ToString().c_str());
      return;
    }
    rss_growth = std::max(rss_growth, ProcStatus("VmRSS") - before);
    peak_growth = std::max(peak_growth, ProcStatus("VmHWM") - before);
    if (entries == 0) {
      (void)(*cm)->IterateContents(false, [&](const ContentInfo&) { ++entries; return Status::OK(); });
    }
    cm->reset();
    state.ResumeTiming();
  }
  state.counters["contents"] = static_cast<double>(entries);
  state.counters["rss_MB"] = static_cast<double>(rss_growth) / 1e6;
  state.counters["peak_MB"] = static_cast<double>(peak_growth) / 1e6;
}
BENCHMARK(BM_IndexOpen)->Name("IndexOpen/1M")->Arg(50)->Arg(1)->ArgName("blobs")->Iterations(5)
    ->UseRealTime()->Unit(benchmark::kMillisecond);

// 1M GetContentInfo calls of IDs in random order. Each call binary-searches every index blob,
// so the cost grows with the number of uncompacted blobs (compare blobs:50 with blobs:1).
void BM_IndexLookup(benchmark::State& state) {
  MillionRepo& repo = Million(static_cast<size_t>(state.range(0)));
  auto cm = ContentManager::Open(repo.storage.get(), Algos().format);
  if (!cm.ok()) {
    state.SkipWithError(cm.status().ToString().c_str());
    return;
  }
  size_t misses = 0;
  for (auto _ : state) {
    for (const ContentId& id : repo.ids) {
      auto info = (*cm)->GetContentInfo(id);
      if (!info.ok()) ++misses;
      benchmark::DoNotOptimize(info);
    }
  }
  if (misses) state.SkipWithError("lookups missed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * repo.ids.size()));
}
BENCHMARK(BM_IndexLookup)->Name("IndexLookup/1Mx1M")->Arg(50)->Arg(1)->ArgName("blobs")
    ->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ferry::content

// BENCHMARK_MAIN with ferry's malloc policy, plus removal of the scratch repositories.
int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, ferry::content::kFerryMmapThreshold);  // as src/cli/main.cc
  mallopt(M_ARENA_MAX, 4);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(ferry::content::BenchDir() + "/ferry-content-bench-" + std::to_string(::getpid()), ec);
  return 0;
}
