// HttpClient: blocking HTTP/1.1 requests for the S3 backend, on libcurl.
//
// Two ways to run a request:
//  * direct (the default, whenever no proxy can apply): libcurl only connects
//    (CURLOPT_CONNECT_ONLY: TCP, TLS, CA and verification options as usual), and this file writes
//    the request head, sends the body straight from the caller's memory with curl_easy_send,
//    parses the status line and headers, and receives the body straight into the caller's buffer
//    with curl_easy_recv (Content-Length, chunked, or until close). libcurl's own transfer would
//    copy every body byte through its upload or receive buffer (0.13-0.18 CPU-s/GB each way,
//    docs/s3.md). Connections are kept alive in a small pool and reused per scheme://host:port.
//  * curl_easy_perform, with a pool of easy handles (each keeps its live connection): used when
//    an http_proxy / https_proxy / all_proxy variable is set and the host is not loopback, or
//    when HttpClientOptions::direct_transfers is off.
// Both report failures the same way (TransportError), with the same timeouts.
//
// Thread-safe: any number of threads may call Do() at once; each request uses its own connection
// or handle. Do() never retries, except that (like libcurl) a request whose reused keep-alive
// connection turns out dead before any answer byte is sent once more on a new connection; the
// caller decides about everything else (see TransportError).
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
  size_t max_idle_handles = 64;  // idle curl handles, and idle direct connections, kept
  // curl_easy_perform: libcurl's receive buffer (CURLOPT_BUFFERSIZE, default 16 KiB) and upload
  // buffer (CURLOPT_UPLOAD_BUFFERSIZE, default 64 KiB). Every body byte passes through one of
  // them, in pieces of at most this size, each piece a poll + recv/send round; larger pieces mean
  // fewer system calls and wake-ups per GB (-0.1 to -0.15 CPU-s/GB against the defaults,
  // docs/s3.md "Measured"). Both stay within the L2 cache. Each request in flight holds them
  // (RSS: at most ~1.3 MiB per request in flight). Direct transfers: the most one
  // curl_easy_recv reads, and the staging piece through which a GET buffer that must grow is
  // filled.
  size_t receive_buffer_bytes = 1 << 20;
  size_t upload_buffer_bytes = 256 << 10;
  // Send and receive bodies from and into the caller's memory (see the top of this file). Off:
  // every request goes through curl_easy_perform (for comparisons and tests).
  bool direct_transfers = true;
};

struct HttpRequest {
  std::string method;  // GET, PUT, POST, HEAD, DELETE
  std::string url;     // fully encoded; sent as is (no dot-segment squashing)
  std::vector<std::pair<std::string, std::string>> headers;
  ByteView body;       // PUT and POST
  // When set, the body of a 2xx response is written here instead of into HttpResponse::body,
  // ending up with exactly the body's bytes. Direct transfers receive from the socket straight
  // into it, overwriting its old bytes in place (a Content-Length body: the buffer is resized to
  // it, so one that is already large enough is neither reallocated nor zeroed); through
  // curl_easy_perform it is cleared, reserved from Content-Length and filled from libcurl's
  // receive buffer. Error bodies still go to HttpResponse::body. Valid only when the result is a
  // 2xx response; holds anything (old or partial bytes) otherwise.
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

  // Requests started, curl handles created and TCP connections opened so far (connection reuse
  // shows as connections << requests; a server that answers "Connection: close" gets one
  // connection per request).
  int64_t requests() const;
  int64_t handles_created() const;
  int64_t connections_opened() const;

  // Whether Do() would run `url` directly (no proxy can apply to it) rather than through
  // curl_easy_perform.
  bool UsesDirectTransfer(const std::string& url) const;

 private:
  struct DirectConnection;  // a connected CONNECT_ONLY handle
  struct ShareLocks;

  HttpResult DoWithPerform(const HttpRequest& request);
  HttpResult DoDirect(const HttpRequest& request, const std::string& key,
                      const std::string& target);
  std::unique_ptr<DirectConnection> TakeIdleConnection(const std::string& key);
  std::unique_ptr<DirectConnection> Connect(const std::string& key, HttpResult* failure);
  void ReturnConnection(std::unique_ptr<DirectConnection> connection);
  void* Acquire();
  void Release(void* handle);

  const HttpClientOptions options_;
  std::unique_ptr<ShareLocks> share_locks_;
  void* share_ = nullptr;  // CURLSH*: DNS cache and TLS sessions shared by direct connections
  mutable std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles, guarded by mu_
  std::vector<std::unique_ptr<DirectConnection>> idle_connections_;  // guarded by mu_
  int64_t requests_ = 0;     // guarded by mu_
  int64_t created_ = 0;      // guarded by mu_
  int64_t connections_ = 0;  // guarded by mu_
};

}  // namespace ferry::blob
