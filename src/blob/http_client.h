// HttpClient: blocking HTTP/1.1 requests on libcurl, for the S3 backend. Keeps a pool of curl
// easy handles so that connections (and TLS sessions) are reused across requests: a handle goes
// back to the pool after each request and keeps its live connection, the next request to the
// same host takes it again.
//
// Thread-safe: any number of threads may call Do() at once; each request borrows its own handle.
// Do() never retries; the caller decides (see TransportError).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace ferry::blob {

struct HttpClientOptions {
  bool verify_tls = true;
  std::string ca_cert_file;  // PEM bundle to trust instead of the system's
  std::string ca_cert_pem;   // PEM bundle in memory (kopia's rootCA); used if non-empty
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // A transfer that moves no byte for this long is aborted (timeout), so a stalled server cannot
  // hang a backup. Whole seconds (libcurl's granularity), at least 1.
  std::chrono::seconds stall_timeout = std::chrono::seconds(60);
  size_t max_idle_handles = 64;
  // libcurl's receive buffer (CURLOPT_BUFFERSIZE, default 16 KiB) and upload buffer
  // (CURLOPT_UPLOAD_BUFFERSIZE, default 64 KiB). Every body byte passes through one of them, in
  // pieces of at most this size, each piece a poll + recv/send round; larger pieces mean fewer
  // system calls and wake-ups per GB (-0.1 to -0.15 CPU-s/GB against the defaults, docs/s3.md
  // "Measured"). Both stay within the L2 cache, so the copy through them does not go to memory.
  // Each request in flight holds them (RSS: at most ~1.3 MiB per request in flight).
  size_t receive_buffer_bytes = 1 << 20;
  size_t upload_buffer_bytes = 256 << 10;
};

struct HttpRequest {
  std::string method;  // GET, PUT, POST, HEAD, DELETE
  std::string url;     // fully encoded; sent as is (no dot-segment squashing)
  std::vector<std::pair<std::string, std::string>> headers;
  ByteView body;       // PUT and POST
  // When set, the body of a 2xx response is written here instead of into HttpResponse::body:
  // cleared first (its capacity kept), reserved from Content-Length, filled straight from
  // libcurl's receive buffer. A caller that reads into the same buffer again pays for no
  // allocation and no page faults. Error bodies still go to HttpResponse::body. Valid only when
  // the result is a 2xx response; may hold a partial body otherwise.
  Bytes* body_sink = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; last value wins
  Bytes body;

  // The header's value or "".
  std::string Header(const std::string& lowercase_name) const;
};

// How a request failed below HTTP.
enum class TransportError {
  kNone,
  kConnect,   // refused, unreachable, DNS: the endpoint is not there (yet)
  kTls,       // handshake or certificate failure: retrying will not help
  kTimeout,   // connect timeout or stalled transfer
  kNetwork,   // reset, broken pipe, empty or truncated reply: transient
  kOther,     // bad URL, out of memory, ...: not transient
};

struct HttpResult {
  TransportError error = TransportError::kNone;
  std::string error_message;  // libcurl's description, when error != kNone
  HttpResponse response;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Do(const HttpRequest& request);

  // Requests started and handles created so far (connection reuse shows as handles << requests).
  int64_t requests() const;
  int64_t handles_created() const;

 private:
  void* Acquire();
  void Release(void* handle);

  const HttpClientOptions options_;
  mutable std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles, guarded by mu_
  int64_t requests_ = 0;     // guarded by mu_
  int64_t created_ = 0;      // guarded by mu_
};

}  // namespace ferry::blob
