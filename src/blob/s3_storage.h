// S3 storage: a repository in an S3 bucket (AWS, MinIO, Ceph RGW, moto, ...), laid out exactly as
// kopia's repo/blob/s3 does (kopia-format.md §16.2) so that `kopia repository connect s3` opens
// it: object key = prefix + blob ID, no sharding, single-part PutObject with
// `Content-Type: application/x-kopia` and Content-MD5, object-lock headers when PutOptions asks
// for retention, storage class per blob prefix from `<prefix>.storageconfig`.
//
// HTTP is libcurl (a pool of keep-alive handles, see http_client.h); every request is signed
// with AWS Signature Version 4 by s3_signer.h. Reads use ranged GET, metadata HEAD, listing
// ListObjectsV2 with continuation tokens (the next page is fetched while the callback works
// through the current one).
//
// Retries happen inside the backend: 5xx, 429 / SlowDown, RequestTimeout, timeouts, connection
// resets and refused connections are retried with exponential backoff and jitter (bounded; then
// IOError naming the endpoint and the last error). Errors that waiting cannot fix are returned at
// once, each as one line naming the bucket and endpoint:
//   403 AccessDenied / InvalidAccessKeyId / SignatureDoesNotMatch -> Authentication
//   404 NoSuchBucket -> InvalidArgument;  404 NoSuchKey -> NotFound naming the blob
//   TLS handshake or certificate failure -> IOError (not retried)
//
// Timestamps: S3 reports LastModified with millisecond precision in listings but whole seconds in
// HEAD's Last-Modified, so both are truncated to whole seconds to agree.
//
// Keys under the prefix that are not valid blob IDs (".storageconfig", "a/b") are not listed.
//
// Thread-safe: any number of requests may be in flight from any number of threads. Secrets are
// never logged, put in a message or returned by Config().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "blob/http_client.h"
#include "blob/retrying_storage.h"
#include "blob/s3_signer.h"
#include "blob/s3_xml.h"
#include "blob/storage.h"

namespace ferry::blob {

enum class S3AddressingStyle {
  kAuto,     // virtual-hosted for *.amazonaws.com (bucket names without dots), path otherwise
  kPath,     // http://endpoint/bucket/key  (MinIO, Ceph, moto)
  kVirtual,  // http://bucket.endpoint/key
};

struct S3Options {
  std::string bucket;
  // Prepended to every blob ID (kopia: "put a trailing slash to use the prefix as a directory").
  std::string prefix;
  // host[:port]. "http://host:port" and "https://host:port" are accepted too (Velero's s3Url):
  // http means disable_tls. A path after the host is refused.
  std::string endpoint = "s3.amazonaws.com";
  // Signing region. Empty means us-east-1, and then the bucket's real region is learned from
  // S3's "wrong region" answers; an explicit region that is wrong is an error.
  std::string region;
  AwsCredentials credentials;
  bool disable_tls = false;
  bool disable_tls_verification = false;
  std::string ca_cert_file;  // PEM file of CAs to trust (private CA)
  std::string ca_cert_pem;   // or the PEM itself (kopia's rootCA); wins over the file
  S3AddressingStyle addressing = S3AddressingStyle::kAuto;

  // ListObjectsV2 max-keys (1..1000); tests use small pages to exercise continuation.
  int list_page_size = 1000;
  // Retries of transient failures (max_attempts counts the first try too).
  RetryOptions retry;
  // Attempts when the endpoint refuses connections or does not resolve: fewer than for other
  // failures, so that a wrong endpoint is reported in about a second.
  int max_connect_attempts = 3;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::seconds stall_timeout = std::chrono::seconds(60);
};

// What the backend saw, for tests and statistics (monotonic counters).
struct S3Stats {
  int64_t requests = 0;        // HTTP requests sent (including retries)
  int64_t retries = 0;         // requests that were repeated after a transient failure
  int64_t server_errors = 0;   // 5xx answers other than 503
  int64_t throttled = 0;       // 429, 503 (SlowDown)
  int64_t timeouts = 0;        // connect or stall timeouts
  int64_t network_errors = 0;  // resets, empty or truncated replies
  int64_t connect_errors = 0;  // refused, unresolvable
  int64_t handles_created = 0; // curl handles (each direct connection has its own)
  int64_t connections_opened = 0;  // TCP connections (kept alive and reused where the server allows)
};

class S3Storage final : public Storage {
 public:
  // Checks the options, then reads `<prefix>.storageconfig` (kopia does the same), which also
  // proves that the bucket exists and the credentials work: a wrong bucket, wrong keys or an
  // unreachable endpoint fail here with one clear line. Nothing is written. Buckets are never
  // created (kopia does not either).
  static Result<std::unique_ptr<S3Storage>> Open(S3Options options);

  S3Stats stats() const;
  // "http://127.0.0.1:9000" style: scheme and endpoint, for messages.
  const std::string& endpoint_url() const { return endpoint_url_; }
  std::string region() const;

  // "S3: <endpoint> <bucket>" (kopia's DisplayName).
  std::string DisplayName() const override;
  // Every GET is a round trip (~ms): the content layer reads small contents through windows.
  bool small_reads_are_costly() const override { return true; }
  // type, bucket, prefix, endpoint, region, doNotUseTLS, doNotVerifyTLS, addressingStyle and
  // the access key ID masked as "****ABCD". No secret.
  std::map<std::string, std::string> Config() const override;

  // Plain objects beside the blobs, for keys blob IDs cannot be: relative to the prefix and
  // possibly with '/' (Velero keeps "backups/<name>/velero-backup.json" beside its repositories).
  // Same retries and error mapping as blobs. A key must be printable ASCII, must not start with
  // '/' and has no empty, "." or ".." segment (InvalidArgument otherwise).
  Status PutObject(std::string_view key, ByteView data);
  Result<Bytes> GetObject(std::string_view key);  // NotFound naming the key
  Status DeleteObject(std::string_view key);      // OK when absent
  // Every key (relative to the prefix) that starts with key_prefix, in S3's (byte) order.
  Result<std::vector<std::string>> ListObjectKeys(std::string_view key_prefix);

 protected:
  Status DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) override;
  Status DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) override;
  Result<BlobMetadata> DoGetMetadata(std::string_view id) override;
  Status DoDeleteBlob(std::string_view id) override;
  Status DoListBlobs(std::string_view prefix, const ListCallback& callback) override;

 private:
  struct Call;
  struct StorageClassRule {
    std::string prefix;
    std::string storage_class;
  };

  explicit S3Storage(S3Options options);

  // Sends `call` with retries; returns the final HTTP response (any status the retry policy
  // gave up on or did not retry) or the transport failure as a Status.
  Result<HttpResponse> Execute(const Call& call);
  // Maps a non-2xx answer to a Status; `id` names the blob in NotFound.
  Status ErrorFor(const HttpResponse& response, const Call& call, std::string_view id) const;
  Result<S3ListPage> FetchListPage(const std::string& key_prefix, const std::string& token);
  Status LoadStorageConfig();
  std::string StorageClassFor(std::string_view id) const;
  bool UsePathStyle() const;
  std::string HostFor(const std::string& region) const;
  std::chrono::microseconds Backoff(int retry);
  std::string Where() const;  // "bucket B at ENDPOINT (prefix P)"

  S3Options options_;
  std::string endpoint_url_;
  bool region_explicit_ = false;
  std::unique_ptr<HttpClient> http_;
  std::vector<StorageClassRule> storage_classes_;  // fixed after Open

  mutable std::mutex mu_;
  std::string region_;     // guarded by mu_ (learned from S3 when not explicit)
  uint64_t rng_state_ = 0; // guarded by mu_ (backoff jitter)

  std::atomic<int64_t> requests_{0}, retries_{0}, server_errors_{0}, throttled_{0}, timeouts_{0},
      network_errors_{0}, connect_errors_{0};
};

// Convenience for callers that only need the interface.
Result<std::unique_ptr<Storage>> OpenS3Storage(S3Options options);

// "GOVERNANCE" / "COMPLIANCE" (as kopia and S3 spell them) are the valid retention modes.
bool IsValidRetentionMode(std::string_view mode);

}  // namespace ferry::blob
