// s3_benchmark: upload and download pack-sized blobs through ferry's S3Storage with N requests
// in flight, and report throughput and ferry's own CPU time per GB. Run by bench/s3-bench.sh
// against moto on a loopback port (or by hand against any S3 endpoint).
//
//   s3_benchmark --endpoint=127.0.0.1:PORT --bucket=B [--prefix=P] [--blobs=50]
//                [--blob-mib=20 | --blob-kib=N]
//                [--concurrency=1,4,16] [--phases=get,get-new,put-crc[,put-hot]] [--region=R]
//                [--tls [--ca-cert=PEM]]
//   credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN)
//
// For each concurrency level: PUT every blob (c threads pulling from one queue) with its CRC-32C
// given, as the content layer gives a pack's (computed while it encrypts the pack's contents,
// in the cache: hashing and encryption's part, so computed here before the clock starts);
// "put-crc": PUT every blob again, the store computing the CRC-32C from the body in memory (a
// caller without it); GET every blob
// back twice, "get" into one buffer per thread reused blob after blob and "get-new" into a new
// buffer per blob (length and three 4 KiB samples compared, blob 0 in full: ~0.002 CPU-s/GB);
// then DELETE them; on request ("put-hot") blob 0 put under every name (its body in the CPU
// cache) and those deleted. --phases picks which of get, get-new, put-crc, put-hot run. Timed: wall clock and
// getrusage(RUSAGE_SELF) user + system time of this
// process only — against moto the server is the bottleneck, so MB/s says more about moto than
// about ferry, while CPU-s/GB is ferry's cost. Minor page faults are printed too. The blobs are
// generated (xorshift, distinct per blob) before anything is timed.
//
// Also printed, for reference, measured alone on the same data: CRC-32C (of the body in memory,
// as "put-crc" computes it for x-amz-checksum-crc32c), one memcpy of every byte, SHA-256, MD5, and the kernel's cost of
// moving the bytes through a loopback TCP connection without HTTP (MeasureSocketFloor).
//
// MB and GB are 10^6 and 10^9 bytes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
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

#include "blob/http_client.h"
#include "blob/s3_signer.h"
#include "blob/s3_storage.h"
#include "compression/crc32c.h"

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

// User + system seconds of the calling thread.
double ThreadCpuSeconds(double* system) {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  *system = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
  return double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6 + *system;
}

// The kernel's share alone: the same bytes through one loopback TCP connection between two
// threads of this process, in `piece`-sized poll + send / poll + recv rounds as libcurl does,
// no HTTP and no copy in user space (the receiver discards). On loopback the sender's send()
// also runs the receiving side's TCP processing (softirq in its context) and the receiver's
// recv() the sender's ACK-driven transmits, so this is what any client pays here per GB.
struct SocketFloor {
  double send_cpu = -1, send_sys = 0, recv_cpu = -1, recv_sys = 0;
};

SocketFloor MeasureSocketFloor(const std::vector<Bytes>& data, size_t piece) {
  SocketFloor f;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listener >= 0) close(listener);
    return f;
  }
  std::thread receiver([&] {
    int c = accept(listener, nullptr, nullptr);
    if (c < 0) return;
    Bytes buf(piece);
    double s0 = 0, s1 = 0;
    const double c0 = ThreadCpuSeconds(&s0);
    while (true) {
      pollfd p{c, POLLIN, 0};
      poll(&p, 1, -1);
      if (recv(c, buf.data(), buf.size(), 0) <= 0) break;
    }
    f.recv_cpu = ThreadCpuSeconds(&s1) - c0;
    f.recv_sys = s1 - s0;
    close(c);
  });
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  bool ok = s >= 0 && setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
            connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  double s0 = 0, s1 = 0;
  const double c0 = ThreadCpuSeconds(&s0);
  for (const Bytes& d : data) {
    for (size_t off = 0; ok && off < d.size();) {
      pollfd p{s, POLLOUT, 0};
      poll(&p, 1, -1);
      ssize_t n = send(s, d.data() + off, std::min(piece, d.size() - off), MSG_NOSIGNAL);
      if (n <= 0) ok = false;
      else off += size_t(n);
    }
  }
  if (ok) {
    f.send_cpu = ThreadCpuSeconds(&s1) - c0;
    f.send_sys = s1 - s0;
  }
  if (s >= 0) close(s);
  receiver.join();
  close(listener);
  return f;
}

// Whether the comma-separated list holds the item.
bool HasItem(const std::string& list, const std::string& item) {
  return ("," + list + ",").find("," + item + ",") != std::string::npos;
}

struct Phase {
  double wall = 0, cpu = 0, sys = 0;  // cpu = user + system
  int64_t faults = 0;                  // minor page faults (fresh buffers being touched)
  int64_t bytes = 0;
  int failures = 0;
  std::string first_error;
};

// Runs op(i, t) for i in [0, n) on `threads` threads (t = the thread's number); times wall and
// process CPU.
template <typename Op>
Phase Run(int n, int threads, int64_t bytes, Op op) {
  Phase p;
  std::atomic<int> next{0};
  std::mutex mu;
  const double c0 = CpuSeconds(), s0 = SystemSeconds(), w0 = Now();
  const int64_t f0 = MinorFaults();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i; (i = next++) < n;) {
        Status st = op(i, t);
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
  const int64_t requests = after.requests - before.requests;
  std::printf("%-7s c=%-3d %8.1f MB %7.2f s %8.1f MB/s   cpu %6.3f s (system %5.3f)  %6.3f CPU-s/GB"
              "   page faults %lld  requests %lld (%.0f us CPU each) retries %lld%s%s\n",
              what, c, double(p.bytes) / 1e6, p.wall, double(p.bytes) / 1e6 / p.wall, p.cpu, p.sys,
              p.cpu / gb, static_cast<long long>(p.faults), static_cast<long long>(requests),
              requests > 0 ? p.cpu / double(requests) * 1e6 : 0.0,
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
  int blobs = 50, blob_kib = 20 << 10;
  std::vector<int> levels = {1, 4, 16};
  std::string phases = "get,get-new,put-crc";  // which phases run after the puts (put-hot: on request)
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
    else if (const char* v6 = val("--blob-mib=")) blob_kib = std::atoi(v6) << 10;
    else if (const char* v9 = val("--blob-kib=")) blob_kib = std::atoi(v9);
    else if (const char* v7 = val("--concurrency=")) levels = ParseList(v7);
    else if (const char* v8 = val("--phases=")) phases = v8;
    else if (a == "--tls") o.disable_tls = false;
    else if (const char* v10 = val("--ca-cert=")) o.ca_cert_file = v10;
    else {
      std::fprintf(stderr, "unknown argument %s\nusage: %s --endpoint=HOST:PORT --bucket=B [--prefix=P] "
                   "[--blobs=50] [--blob-mib=20 | --blob-kib=N] [--concurrency=1,4,16] [--phases=get,get-new,put-crc,put-hot] "
                   "[--region=R] [--tls [--ca-cert=PEM]]\n",
                   a.c_str(), argv[0]);
      return 2;
    }
  }
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (o.bucket.empty() || !key || !secret || blobs <= 0 || blob_kib <= 0 || levels.empty()) {
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

  const size_t size = size_t(blob_kib) << 10;
  const int64_t total = int64_t(size) * blobs;
  std::vector<Bytes> data(blobs);
  for (int i = 0; i < blobs; ++i) {
    data[i].resize(size);
    FillRandom(data[i].data(), size, uint64_t(i) + 1);
  }
  // What the content layer hands over with a pack (PutOptions::body_crc32c).
  std::vector<PutOptions> with_crc(blobs);
  for (int i = 0; i < blobs; ++i) {
    with_crc[i].body_crc32c = ferry::compression::crc32c::Value(data[i].data(), size);
  }
  std::printf("s3_benchmark: %d blobs x %d KiB = %.1f MB, endpoint %s, bucket %s, prefix %s\n", blobs,
              blob_kib, double(total) / 1e6, s.endpoint_url().c_str(), o.bucket.c_str(), o.prefix.c_str());

  // References on the same data: the one digest every PUT computes (CRC-32C), the two an
  // object-lock PUT adds or a signed payload would need (MD5, SHA-256), and one plain copy of
  // every byte (memcpy), the unit the transfer's cost is best counted in: libcurl copies each
  // body byte once between its buffer and ours, the kernel once between its socket buffer and
  // libcurl's.
  {
    const double gb = double(total) / 1e9;
    auto measure = [&](const char* name, auto fn) {
      const double c0 = CpuSeconds();
      size_t sink = 0;
      for (const auto& d : data) sink += fn(d);
      const double cpu = CpuSeconds() - c0;
      std::printf("%-8s alone: %.3f CPU-s/GB%s\n", name, cpu / gb, sink == 42 ? " " : "");
      std::printf("RESULT\t%s\t0\t%lld\t0\t0\t%.3f\t0\t%.4f\n", name, static_cast<long long>(total),
                  cpu, cpu / gb);
    };
    measure("crc32c", [](const Bytes& d) {
      return size_t(ferry::compression::crc32c::Value(d.data(), d.size()));
    });
    Bytes copy(size);
    measure("memcpy", [&](const Bytes& d) {
      std::memcpy(copy.data(), d.data(), d.size());
      return size_t(copy[d.size() / 2]);
    });
    measure("sha256", [](const Bytes& d) { return Sha256Hex(d).size(); });
    measure("md5", [](const Bytes& d) { return Md5Base64(d).size(); });
    // The pieces of ferry's libcurl buffers (HttpClientOptions): upload 256 KiB, receive 1 MiB.
    const HttpClientOptions http;
    const SocketFloor f = MeasureSocketFloor(data, http.upload_buffer_bytes);
    const SocketFloor g = MeasureSocketFloor(data, http.receive_buffer_bytes);
    if (f.send_cpu < 0 || g.recv_cpu < 0) {
      std::printf("loopback TCP alone: could not be measured\n");
    } else {
      std::printf("loopback TCP alone (kernel only, no HTTP): send %.3f CPU-s/GB (system %.3f) in "
                  "%zu KiB pieces, receive %.3f (system %.3f) in %zu KiB pieces\n",
                  f.send_cpu / gb, f.send_sys / gb, http.upload_buffer_bytes >> 10,
                  g.recv_cpu / gb, g.recv_sys / gb, http.receive_buffer_bytes >> 10);
      std::printf("RESULT\ttcp-send\t0\t%lld\t0\t0\t%.3f\t%.3f\t%.4f\n",
                  static_cast<long long>(total), f.send_cpu, f.send_sys, f.send_cpu / gb);
      std::printf("RESULT\ttcp-recv\t0\t%lld\t0\t0\t%.3f\t%.3f\t%.4f\n",
                  static_cast<long long>(total), g.recv_cpu, g.recv_sys, g.recv_cpu / gb);
    }
  }

  auto id_of = [](int i) { return "p" + std::to_string(100000 + i) + "bench"; };
  int failed = 0;
  for (int c : levels) {
    if (c <= 0) continue;
    S3Stats s0 = s.stats();
    Phase put = Run(blobs, c, total, [&](int i, int) { return s.PutBlob(id_of(i), data[i], with_crc[i]); });
    S3Stats s1 = s.stats();
    Report("put", c, put, s0, s1);
    // The same blobs again, the store computing each CRC-32C from the body in memory.
    Phase put_crc;
    if (HasItem(phases, "put-crc")) {
      put_crc = Run(blobs, c, total, [&](int i, int) { return s.PutBlob(id_of(i), data[i]); });
      S3Stats sc = s.stats();
      Report("put-crc", c, put_crc, s1, sc);
      s1 = sc;
    }

    // Two ways to read: into one buffer per thread, reused blob after blob (what a reader that
    // keeps its buffer pays: the transfer alone), and into a new buffer per blob (what a reader
    // that allocates per read pays on top: page faults and the kernel zeroing fresh pages).
    auto check = [&](int i, Bytes& out) -> Status {
      FERRY_RETURN_IF_ERROR(s.GetBlob(id_of(i), 0, -1, &out));
      const Bytes& want = data[i];
      if (out.size() != want.size()) return Status::Corruption("wrong length of " + id_of(i));
      const size_t sample = std::min<size_t>(4096, want.size());
      for (size_t off : {size_t(0), (want.size() - sample) / 2, want.size() - sample}) {
        if (std::memcmp(out.data() + off, want.data() + off, sample) != 0) {
          return Status::Corruption("wrong bytes in " + id_of(i));
        }
      }
      // One blob in full (a memcmp of 20 MiB, ~0.002 CPU-s per GB read).
      if (i == 0 && out != want) return Status::Corruption("blob 0 differs from what was put");
      return Status::OK();
    };
    std::vector<Bytes> reused(c);  // touched before the clock starts: the steady state
    for (Bytes& b : reused) b.assign(size, 0);
    Phase get, get_new;
    if (HasItem(phases, "get")) {
      get = Run(blobs, c, total, [&](int i, int t) { return check(i, reused[t]); });
    }
    reused.clear();
    reused.shrink_to_fit();
    S3Stats s2 = s.stats();
    if (get.bytes) Report("get", c, get, s1, s2);
    if (HasItem(phases, "get-new")) {
      get_new = Run(blobs, c, total, [&](int i, int) -> Status {
        Bytes fresh;
        return check(i, fresh);
      });
    }
    S3Stats s3 = s.stats();
    if (get_new.bytes) Report("get-new", c, get_new, s2, s3);
    Phase del = Run(blobs, c, 0, [&](int i, int) { return s.DeleteBlob(id_of(i)); });

    // "put-hot": one blob put under `blobs` names, so the body is in the CPU cache as a pack just
    // sealed by the engine would be, rather than in memory like the generated data above (the
    // CRC-32C and the copy through libcurl's buffer are memory-bound there; see "memcpy alone").
    Phase put_hot;
    if (HasItem(phases, "put-hot")) {
      S3Stats h0 = s.stats();
      put_hot = Run(blobs, c, total, [&](int i, int) { return s.PutBlob(id_of(i), data[0]); });
      Report("put-hot", c, put_hot, h0, s.stats());
      Phase del_hot = Run(blobs, c, 0, [&](int i, int) { return s.DeleteBlob(id_of(i)); });
      put_hot.failures += del_hot.failures;
    }
    failed += put.failures + put_crc.failures + get.failures + get_new.failures + del.failures + put_hot.failures;
    if (del.failures) std::printf("delete failed: %s\n", del.first_error.c_str());
  }
  S3Stats st = s.stats();
  std::printf("total: %lld requests, %lld retries, %lld connections\n",
              static_cast<long long>(st.requests), static_cast<long long>(st.retries),
              static_cast<long long>(st.connections_opened));
  return failed ? 1 : 0;
}
