// s3_benchmark: upload and download pack-sized blobs through ferry's S3Storage with N requests
// in flight, and report throughput and ferry's own CPU time per GB. Run by bench/s3-bench.sh
// against moto on a loopback port (or by hand against any S3 endpoint).
//
//   s3_benchmark --endpoint=127.0.0.1:PORT --bucket=B [--prefix=P] [--blobs=50] [--blob-mib=20]
//                [--concurrency=1,4,16] [--region=R] [--tls]
//   credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN)
//
// For each concurrency level: PUT every blob (c threads pulling from one queue), GET every blob
// back (length and three 4 KiB samples compared, which costs nothing measurable; one blob per
// round is compared in full outside the timed part), then DELETE them. Timed: wall clock and
// getrusage(RUSAGE_SELF) user + system time of this process only — against moto the server is
// the bottleneck, so MB/s says more about moto than about ferry, while CPU-s/GB is ferry's cost.
// The blobs are generated (xorshift, distinct per blob) before anything is timed.
//
// Also printed, for reference: the CPU cost of the two digests every PUT computes over its body
// (x-amz-content-sha256 = SHA-256, Content-MD5 = MD5) measured alone on the same data.
//
// MB and GB are 10^6 and 10^9 bytes.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "blob/s3_signer.h"
#include "blob/s3_storage.h"

namespace {

using ferry::Bytes;
using ferry::ByteView;
using ferry::Status;
using namespace ferry::blob;

double UserSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6;
}

double SystemSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
}

double CpuSeconds() { return UserSeconds() + SystemSeconds(); }

int64_t MinorFaults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void FillRandom(uint8_t* out, size_t n, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out + i, &x, 8);
  }
  for (; i < n; ++i) out[i] = uint8_t(x >> (8 * (i % 8)));
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(std::atoi(s.substr(pos, comma - pos).c_str()));
    pos = comma + 1;
  }
  return out;
}

struct Phase {
  double wall = 0, cpu = 0, sys = 0;  // cpu = user + system
  int64_t faults = 0;                  // minor page faults (fresh buffers being touched)
  int64_t bytes = 0;
  int failures = 0;
  std::string first_error;
};

// Runs op(i) for i in [0, n) on `threads` threads; times wall and process CPU.
template <typename Op>
Phase Run(int n, int threads, int64_t bytes, Op op) {
  Phase p;
  std::atomic<int> next{0};
  std::mutex mu;
  const double c0 = CpuSeconds(), s0 = SystemSeconds(), w0 = Now();
  const int64_t f0 = MinorFaults();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i; (i = next++) < n;) {
        Status st = op(i);
        if (!st.ok()) {
          std::lock_guard lock(mu);
          if (p.failures++ == 0) p.first_error = st.ToString();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  p.wall = Now() - w0;
  p.cpu = CpuSeconds() - c0;
  p.sys = SystemSeconds() - s0;
  p.faults = MinorFaults() - f0;
  p.bytes = bytes;
  return p;
}

void Report(const char* what, int c, const Phase& p, const S3Stats& before, const S3Stats& after) {
  const double gb = double(p.bytes) / 1e9;
  std::printf("%-4s c=%-3d %8.1f MB %7.2f s %8.1f MB/s   cpu %6.3f s (system %5.3f)  %6.3f CPU-s/GB   page faults %lld  requests %lld retries %lld%s%s\n",
              what, c, double(p.bytes) / 1e6, p.wall, double(p.bytes) / 1e6 / p.wall, p.cpu, p.sys, p.cpu / gb,
              static_cast<long long>(p.faults),
              static_cast<long long>(after.requests - before.requests),
              static_cast<long long>(after.retries - before.retries),
              p.failures ? "   FAILED: " : "", p.failures ? p.first_error.c_str() : "");
  std::printf("RESULT\t%s\t%d\t%lld\t%.3f\t%.1f\t%.3f\t%.3f\t%.4f\n", what, c,
              static_cast<long long>(p.bytes), p.wall, double(p.bytes) / 1e6 / p.wall, p.cpu, p.sys,
              p.cpu / gb);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  S3Options o;
  o.addressing = S3AddressingStyle::kPath;
  o.disable_tls = true;
  o.prefix = "s3bench-" + std::to_string(getpid()) + "-";
  int blobs = 50, blob_mib = 20;
  std::vector<int> levels = {1, 4, 16};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = val("--endpoint=")) o.endpoint = v;
    else if (const char* v2 = val("--bucket=")) o.bucket = v2;
    else if (const char* v3 = val("--prefix=")) o.prefix = v3;
    else if (const char* v4 = val("--region=")) o.region = v4;
    else if (const char* v5 = val("--blobs=")) blobs = std::atoi(v5);
    else if (const char* v6 = val("--blob-mib=")) blob_mib = std::atoi(v6);
    else if (const char* v7 = val("--concurrency=")) levels = ParseList(v7);
    else if (a == "--tls") o.disable_tls = false;
    else {
      std::fprintf(stderr, "unknown argument %s\nusage: %s --endpoint=HOST:PORT --bucket=B [--prefix=P] "
                   "[--blobs=50] [--blob-mib=20] [--concurrency=1,4,16] [--region=R] [--tls]\n",
                   a.c_str(), argv[0]);
      return 2;
    }
  }
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (o.bucket.empty() || !key || !secret || blobs <= 0 || blob_mib <= 0 || levels.empty()) {
    std::fprintf(stderr, "need --bucket, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, blobs > 0\n");
    return 2;
  }
  o.credentials.access_key_id = key;
  o.credentials.secret_access_key = secret;
  if (const char* token = std::getenv("AWS_SESSION_TOKEN")) o.credentials.session_token = token;

  auto opened = S3Storage::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot open the bucket: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  S3Storage& s = **opened;

  const size_t size = size_t(blob_mib) << 20;
  const int64_t total = int64_t(size) * blobs;
  std::vector<Bytes> data(blobs);
  for (int i = 0; i < blobs; ++i) {
    data[i].resize(size);
    FillRandom(data[i].data(), size, uint64_t(i) + 1);
  }
  std::printf("s3_benchmark: %d blobs x %d MiB = %.1f MB, endpoint %s, bucket %s, prefix %s\n", blobs,
              blob_mib, double(total) / 1e6, s.endpoint_url().c_str(), o.bucket.c_str(), o.prefix.c_str());

  // Reference: the digests a PUT computes, alone.
  {
    double c0 = CpuSeconds();
    size_t sink = 0;
    for (const auto& d : data) sink += Sha256Hex(d).size();
    double sha = CpuSeconds() - c0;
    c0 = CpuSeconds();
    for (const auto& d : data) sink += Md5Base64(d).size();
    double md5 = CpuSeconds() - c0;
    std::printf("digests alone: SHA-256 %.3f CPU-s/GB, MD5 %.3f CPU-s/GB (sum %.3f)%s\n",
                sha / (double(total) / 1e9), md5 / (double(total) / 1e9),
                (sha + md5) / (double(total) / 1e9), sink ? "" : " ");
    std::printf("RESULT\tdigest-sha256\t0\t%lld\t0\t0\t%.3f\t0\t%.4f\n", static_cast<long long>(total), sha,
                sha / (double(total) / 1e9));
    std::printf("RESULT\tdigest-md5\t0\t%lld\t0\t0\t%.3f\t0\t%.4f\n", static_cast<long long>(total), md5,
                md5 / (double(total) / 1e9));
  }

  auto id_of = [](int i) { return "p" + std::to_string(100000 + i) + "bench"; };
  int failed = 0;
  for (int c : levels) {
    if (c <= 0) continue;
    S3Stats s0 = s.stats();
    Phase put = Run(blobs, c, total, [&](int i) { return s.PutBlob(id_of(i), data[i]); });
    S3Stats s1 = s.stats();
    Report("put", c, put, s0, s1);

    std::vector<Bytes> buffers(blobs);  // one per blob, freed as checked: no reuse effects
    Phase get = Run(blobs, c, total, [&](int i) -> Status {
      Bytes out;
      FERRY_RETURN_IF_ERROR(s.GetBlob(id_of(i), 0, -1, &out));
      const Bytes& want = data[i];
      if (out.size() != want.size()) return Status::Corruption("wrong length of " + id_of(i));
      for (size_t off : {size_t(0), want.size() / 2, want.size() - 4096}) {
        if (std::memcmp(out.data() + off, want.data() + off, 4096) != 0) {
          return Status::Corruption("wrong bytes in " + id_of(i));
        }
      }
      if (i == 0) buffers[0] = std::move(out);
      return Status::OK();
    });
    S3Stats s2 = s.stats();
    Report("get", c, get, s1, s2);
    if (buffers[0] != data[0]) {
      std::printf("get c=%d: blob 0 differs from what was put\n", c);
      ++failed;
    }
    Phase del = Run(blobs, c, 0, [&](int i) { return s.DeleteBlob(id_of(i)); });
    failed += put.failures + get.failures + del.failures;
    if (del.failures) std::printf("delete failed: %s\n", del.first_error.c_str());
  }
  S3Stats st = s.stats();
  std::printf("total: %lld requests, %lld retries, %lld connections\n",
              static_cast<long long>(st.requests), static_cast<long long>(st.retries),
              static_cast<long long>(st.handles_created));
  return failed ? 1 : 0;
}
