#include "blob/s3_storage.h"

#include "compression/crc32c.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <future>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <utility>

#include "blob/s3_credentials.h"

namespace ferry::blob {

namespace {

// x-amz-checksum-crc32c: the big-endian CRC-32C of the body, base64 (S3 checks it on PUT).
std::string Crc32cBase64(uint32_t crc) {
  uint8_t be[4] = {uint8_t(crc >> 24), uint8_t(crc >> 16), uint8_t(crc >> 8), uint8_t(crc)};
  return Base64Encode(ByteView(be, 4));
}

constexpr const char* kStorageConfigName = ".storageconfig";  // kopia's per-prefix options
constexpr int64_t kNanosPerSecond = 1'000'000'000;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// "2026-11-27T16:00:11Z"
std::string Iso8601(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t TruncateToSeconds(int64_t nanos) {
  return nanos - ((nanos % kNanosPerSecond) + kNanosPerSecond) % kNanosPerSecond;
}

bool IsSuccess(long status) { return status >= 200 && status < 300; }

// Splits "http://host:port/" into its parts; refuses paths, queries and user info.
Status NormalizeEndpoint(S3Options* o) {
  std::string e = o->endpoint;
  if (e.starts_with("http://")) {
    o->disable_tls = true;
    e = e.substr(7);
  } else if (e.starts_with("https://")) {
    if (o->disable_tls) {
      return Status::InvalidArgument("S3 endpoint " + o->endpoint +
                                     " asks for https but TLS is disabled (--disable-tls)");
    }
    e = e.substr(8);
  }
  while (!e.empty() && e.back() == '/') e.pop_back();
  if (e.empty()) return Status::InvalidArgument("the S3 endpoint must not be empty");
  for (char c : e) {
    if (c == '/' || c == '?' || c == '#' || c == '@' || c <= 0x20 || c >= 0x7f) {
      return Status::InvalidArgument("S3 endpoint \"" + Printable(o->endpoint) +
                                     "\" must be host[:port], without a path");
    }
  }
  o->endpoint = e;
  return Status::OK();
}

// S3 bucket naming rules, loosely: what could make a URL or a Host header ambiguous is refused,
// the rest is left to the server (MinIO and others are more lenient than AWS).
Status ValidateBucket(std::string_view b) {
  if (b.empty()) return Status::InvalidArgument("an S3 bucket name is required (--bucket)");
  if (b.size() > 255) return Status::InvalidArgument("S3 bucket name is too long");
  for (char c : b) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return Status::InvalidArgument("invalid S3 bucket name \"" + Printable(b) + "\"");
  }
  return Status::OK();
}

Status ValidatePrefix(std::string_view p) {
  for (char c : p) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') {
      return Status::InvalidArgument("invalid character in S3 prefix \"" + Printable(p) + "\"");
    }
  }
  // "." and ".." path segments would be resolved away by some servers and proxies, putting the
  // objects somewhere else than where listing looks.
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view seg = p.substr(start, slash - start);
    if ((seg == "." || seg == "..") && slash < p.size()) {
      return Status::InvalidArgument("S3 prefix \"" + Printable(p) + "\" has a . or .. segment");
    }
    start = slash + 1;
  }
  return Status::OK();
}

// Parses the total size from "Content-Range: bytes 0-9/1000"; -1 if absent or "*".
int64_t TotalFromContentRange(const std::string& v) {
  size_t slash = v.rfind('/');
  if (slash == std::string::npos) return -1;
  std::string total = v.substr(slash + 1);
  if (total.empty() || total == "*") return -1;
  char* end = nullptr;
  long long n = std::strtoll(total.c_str(), &end, 10);
  return (end && *end == '\0' && n >= 0) ? n : -1;
}

}  // namespace

struct S3Storage::Call {
  std::string method;
  std::string key;            // object key; ignored when bucket_level
  bool bucket_level = false;  // ListObjectsV2 addresses the bucket, not an object
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // besides host and x-amz-*
  ByteView body;
  Bytes* body_sink = nullptr;  // HttpRequest::body_sink: a GET's 2xx body goes straight here
  std::string payload_sha256 = std::string(kEmptyPayloadSha256);
  std::string what;  // "GET <key>", for messages
};

bool IsValidRetentionMode(std::string_view mode) {
  return mode == "GOVERNANCE" || mode == "COMPLIANCE";
}

Result<std::unique_ptr<Storage>> OpenS3Storage(S3Options options) {
  FERRY_ASSIGN_OR_RETURN(auto s, S3Storage::Open(std::move(options)));
  return std::unique_ptr<Storage>(std::move(s));
}

S3Storage::S3Storage(S3Options options) : options_(std::move(options)) {
  region_explicit_ = !options_.region.empty();
  region_ = region_explicit_ ? options_.region : "us-east-1";
  endpoint_url_ = std::string(options_.disable_tls ? "http" : "https") + "://" + options_.endpoint;
  HttpClientOptions h;
  h.verify_tls = !options_.disable_tls_verification;
  h.ca_cert_file = options_.ca_cert_file;
  h.ca_cert_pem = options_.ca_cert_pem;
  h.connect_timeout = options_.connect_timeout;
  h.stall_timeout = options_.stall_timeout;
  http_ = std::make_unique<HttpClient>(std::move(h));
  rng_state_ = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}() ^ 1;
}

Result<std::unique_ptr<S3Storage>> S3Storage::Open(S3Options options) {
  FERRY_RETURN_IF_ERROR(ValidateBucket(options.bucket));
  FERRY_RETURN_IF_ERROR(ValidatePrefix(options.prefix));
  FERRY_RETURN_IF_ERROR(NormalizeEndpoint(&options));
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("S3 storage needs an access key ID and a secret access key");
  }
  if (options.list_page_size < 1 || options.list_page_size > 1000) {
    return Status::InvalidArgument("S3 list page size must be within 1..1000");
  }
  if (!options.ca_cert_file.empty() && options.ca_cert_pem.empty()) {
    std::FILE* f = std::fopen(options.ca_cert_file.c_str(), "rb");
    if (f == nullptr) {
      return Status::InvalidArgument("cannot read the CA certificate file " + options.ca_cert_file);
    }
    std::fclose(f);
  }
  std::unique_ptr<S3Storage> s(new S3Storage(std::move(options)));
  FERRY_RETURN_IF_ERROR(s->LoadStorageConfig());
  return s;
}

std::string S3Storage::region() const {
  std::lock_guard lock(mu_);
  return region_;
}

S3Stats S3Storage::stats() const {
  S3Stats s;
  s.requests = requests_.load();
  s.retries = retries_.load();
  s.server_errors = server_errors_.load();
  s.throttled = throttled_.load();
  s.timeouts = timeouts_.load();
  s.network_errors = network_errors_.load();
  s.connect_errors = connect_errors_.load();
  s.handles_created = http_->handles_created();
  s.connections_opened = http_->connections_opened();
  return s;
}

std::string S3Storage::DisplayName() const {
  return "S3: " + options_.endpoint + " " + options_.bucket;
}

std::map<std::string, std::string> S3Storage::Config() const {
  const char* style = options_.addressing == S3AddressingStyle::kPath      ? "path"
                      : options_.addressing == S3AddressingStyle::kVirtual ? "virtual"
                                                                            : "auto";
  return {{"type", "s3"},
          {"bucket", options_.bucket},
          {"prefix", options_.prefix},
          {"endpoint", options_.endpoint},
          {"region", region()},
          {"doNotUseTLS", options_.disable_tls ? "true" : "false"},
          {"doNotVerifyTLS", options_.disable_tls_verification ? "true" : "false"},
          {"addressingStyle", style},
          {"accessKeyID", MaskAccessKeyId(options_.credentials.access_key_id)}};
}

std::string S3Storage::Where() const {
  std::string w = "bucket " + options_.bucket + " at " + endpoint_url_;
  if (!options_.prefix.empty()) w += " (prefix " + options_.prefix + ")";
  return w;
}

bool S3Storage::UsePathStyle() const {
  switch (options_.addressing) {
    case S3AddressingStyle::kPath:
      return true;
    case S3AddressingStyle::kVirtual:
      return false;
    case S3AddressingStyle::kAuto:
      break;
  }
  // Virtual-hosted names only where they are known to work: AWS, and a bucket name that is a
  // valid DNS label (a dot would break the wildcard TLS certificate).
  std::string host = options_.endpoint.substr(0, options_.endpoint.rfind(':'));
  bool aws = host == "amazonaws.com" || EndsWith(host, ".amazonaws.com");
  return !aws || options_.bucket.find('.') != std::string::npos;
}

std::string S3Storage::HostFor(const std::string& region) const {
  if (!UsePathStyle()) return options_.bucket + "." + options_.endpoint;
  // Path-style requests to AWS's global endpoint for a bucket elsewhere are redirected; go to
  // the regional endpoint directly once the region is known.
  if (options_.endpoint == "s3.amazonaws.com" && region != "us-east-1") {
    return "s3." + region + ".amazonaws.com";
  }
  return options_.endpoint;
}

std::chrono::microseconds S3Storage::Backoff(int retry) {
  const RetryOptions& r = options_.retry;
  double base = static_cast<double>(r.initial_delay.count()) *
                std::pow(std::max(r.multiplier, 1.0), retry);
  base = std::min(base, static_cast<double>(r.max_delay.count()));
  double u;
  {
    std::lock_guard lock(mu_);
    // xorshift64*: jitter only needs to decorrelate clients, not to be unpredictable.
    rng_state_ ^= rng_state_ >> 12;
    rng_state_ ^= rng_state_ << 25;
    rng_state_ ^= rng_state_ >> 27;
    u = static_cast<double>((rng_state_ * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
  }
  double jitter = std::clamp(r.jitter, 0.0, 1.0);
  return std::chrono::microseconds(static_cast<int64_t>(base * (1.0 - jitter * u)));
}

Result<HttpResponse> S3Storage::Execute(const Call& call) {
  const int max_attempts = std::max(options_.retry.max_attempts, 1);
  int connect_failures = 0;
  bool region_learned = false;
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    const std::string region = this->region();
    const std::string host = HostFor(region);
    std::string path = UsePathStyle() ? "/" + options_.bucket : "";
    if (!call.bucket_level) path += "/" + UriEncode(call.key, false);
    if (path.empty()) path = "/";
    const std::string query = CanonicalQueryString(call.query);

    SigV4Request sreq;
    sreq.method = call.method;
    sreq.canonical_uri = path;
    sreq.query = call.query;
    sreq.headers = call.headers;
    sreq.headers.emplace_back("host", host);
    sreq.payload_sha256 = call.payload_sha256;
    SigV4Result sig = SignV4(sreq, options_.credentials, region, "s3",
                             AmzDate(std::chrono::system_clock::now()));

    HttpRequest req;
    req.method = call.method;
    req.url = (options_.disable_tls ? "http://" : "https://") + host + path +
              (query.empty() ? "" : "?" + query);
    req.headers = call.headers;
    req.headers.emplace_back("Host", host);
    for (const auto& h : sig.added_headers) req.headers.push_back(h);
    req.headers.emplace_back("Authorization", sig.authorization);
    req.body = call.body;
    req.body_sink = call.body_sink;

    requests_.fetch_add(1, std::memory_order_relaxed);
    HttpResult r = http_->Do(req);
    if (r.error != TransportError::kNone) {
      switch (r.error) {
        case TransportError::kTls:
          return Status::IOError("TLS connection to S3 endpoint " + endpoint_url_ + " failed: " +
                                 r.error_message +
                                 " (for a plain-http endpoint use --disable-tls; for a private CA "
                                 "--ca-cert)");
        case TransportError::kConnect:
          connect_errors_.fetch_add(1, std::memory_order_relaxed);
          last_error = "cannot connect to S3 endpoint " + endpoint_url_ + ": " + r.error_message;
          if (++connect_failures >= std::max(options_.max_connect_attempts, 1)) {
            return Status::IOError(last_error);
          }
          break;
        case TransportError::kTimeout:
          timeouts_.fetch_add(1, std::memory_order_relaxed);
          last_error = "timed out talking to S3 endpoint " + endpoint_url_ + ": " + r.error_message;
          break;
        case TransportError::kNetwork:
          network_errors_.fetch_add(1, std::memory_order_relaxed);
          last_error = "connection to S3 endpoint " + endpoint_url_ + " failed: " + r.error_message;
          break;
        default:
          return Status::IOError("request to S3 endpoint " + endpoint_url_ + " failed: " +
                                 r.error_message);
      }
    } else {
      HttpResponse& resp = r.response;
      if (IsSuccess(resp.status)) return std::move(resp);
      S3Error err = ParseS3Error(AsString(resp.body));
      if (!region_explicit_ && !region_learned &&
          (resp.status == 301 || resp.status == 307 || resp.status == 400)) {
        std::string hinted = resp.Header("x-amz-bucket-region");
        if (hinted.empty()) hinted = err.region;
        if (!hinted.empty() && hinted != region) {
          // The bucket lives elsewhere; S3 told us where. Re-sign for that region once.
          std::lock_guard lock(mu_);
          region_ = hinted;
          region_learned = true;
          continue;
        }
      }
      // 503 is S3's SlowDown (HEAD answers carry no code to tell it from ServiceUnavailable).
      bool throttled = resp.status == 429 || resp.status == 503;
      if (throttled) {
        throttled_.fetch_add(1, std::memory_order_relaxed);
      } else if (resp.status >= 500) {
        server_errors_.fetch_add(1, std::memory_order_relaxed);
      } else if (!(resp.status == 400 && err.code == "RequestTimeout")) {
        return std::move(resp);  // not transient: the caller maps it
      }
      last_error = "HTTP " + std::to_string(resp.status) +
                   (err.code.empty() ? "" : " " + err.code) +
                   (err.message.empty() ? "" : ": " + Printable(err.message));
    }
    if (attempt + 1 >= max_attempts) {
      return Status::IOError(call.what + " on " + Where() + " failed after " +
                             std::to_string(max_attempts) + " attempts: " + last_error);
    }
    retries_.fetch_add(1, std::memory_order_relaxed);
    auto delay = Backoff(attempt);
    if (options_.retry.sleep) {
      options_.retry.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
}

Status S3Storage::ErrorFor(const HttpResponse& resp, const Call& call, std::string_view id) const {
  S3Error err = ParseS3Error(AsString(resp.body));
  const std::string& code = err.code;
  const std::string detail =
      "HTTP " + std::to_string(resp.status) + (code.empty() ? "" : " " + code) +
      (err.message.empty() ? "" : ": " + Printable(err.message));
  if (resp.status == 403) {
    if (code.empty() || code == "AccessDenied" || code == "InvalidAccessKeyId" ||
        code == "SignatureDoesNotMatch" || code == "InvalidToken" || code == "ExpiredToken" ||
        code == "AllAccessDisabled") {
      return Status::Authentication("access denied to " + Where() +
                                    ": check the access key and secret" +
                                    (code.empty() ? "" : " (" + code + ")"));
    }
    if (code == "RequestTimeTooSkewed") {
      return Status::Authentication("S3 endpoint " + endpoint_url_ +
                                    " rejected the request time: this machine's clock is off "
                                    "(RequestTimeTooSkewed)");
    }
    return Status::Authentication("access denied to " + Where() + ": " + detail);
  }
  if (resp.status == 404) {
    if (code == "NoSuchBucket") {
      return Status::InvalidArgument("bucket " + options_.bucket + " does not exist at " +
                                     endpoint_url_);
    }
    if (!id.empty()) return BlobNotFound(id);
    return Status::NotFound(call.what + " on " + Where() + ": " + detail);
  }
  std::string hinted = resp.Header("x-amz-bucket-region");
  if (hinted.empty()) hinted = err.region;
  if (!hinted.empty() && hinted != region()) {
    return Status::InvalidArgument("bucket " + options_.bucket + " at " + endpoint_url_ +
                                   " is in region " + hinted + ", not " + region() +
                                   ": use --region=" + hinted);
  }
  if (resp.status >= 300 && resp.status < 400) {
    return Status::InvalidArgument("S3 endpoint " + endpoint_url_ + " redirected " + call.what +
                                   " (" + detail + "): check --endpoint and --region");
  }
  if (code == "InvalidBucketName") {
    return Status::InvalidArgument("invalid bucket name " + options_.bucket + " at " +
                                   endpoint_url_);
  }
  return Status::InvalidArgument("S3 rejected " + call.what + " on " + Where() + ": " + detail);
}

Status S3Storage::LoadStorageConfig() {
  Call c;
  c.method = "GET";
  c.key = options_.prefix + kStorageConfigName;
  c.what = "GET " + c.key;
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (resp.status == 404 && ParseS3Error(AsString(resp.body)).code != "NoSuchBucket") {
    return Status::OK();  // no storage config: every blob gets the bucket's default class
  }
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, "");
  auto j = nlohmann::json::parse(AsString(resp.body), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("malformed " + c.key + " in " + Where());
  }
  if (j.contains("blobOptions") && j["blobOptions"].is_array()) {
    for (const auto& o : j["blobOptions"]) {
      if (!o.is_object()) continue;
      StorageClassRule rule;
      if (o.contains("prefix") && o["prefix"].is_string()) rule.prefix = o["prefix"];
      if (o.contains("storageClass") && o["storageClass"].is_string()) {
        rule.storage_class = o["storageClass"];
      }
      if (!rule.storage_class.empty()) storage_classes_.push_back(std::move(rule));
    }
  }
  return Status::OK();
}

std::string S3Storage::StorageClassFor(std::string_view id) const {
  for (const auto& r : storage_classes_) {
    if (id.starts_with(r.prefix)) return r.storage_class;
  }
  return "";
}

Status S3Storage::DoPutBlob(std::string_view id, ByteView data, const PutOptions& options) {
  Call c;
  c.method = "PUT";
  c.key = options_.prefix + std::string(id);
  c.what = "PUT " + c.key;
  c.body = data;
  // Integrity without the two slow digests: the signature covers the headers (not the body:
  // UNSIGNED-PAYLOAD), and S3 checks the body against x-amz-checksum-crc32c, which the CPU
  // computes at memory speed (SHA-256 + MD5 cost ~2.4 CPU-seconds per GB here). Object lock
  // still needs Content-MD5, so it is sent when retention is asked for.
  c.payload_sha256 = "UNSIGNED-PAYLOAD";
  c.headers.emplace_back("Content-Type", "application/x-kopia");
  c.headers.emplace_back("x-amz-checksum-crc32c",
                         Crc32cBase64(options.body_crc32c ? *options.body_crc32c
                                                          : compression::crc32c::Value(data.data(), data.size())));
  if (options.retention_period_seconds != 0) c.headers.emplace_back("Content-MD5", Md5Base64(data));
  if (std::string sc = StorageClassFor(id); !sc.empty()) {
    c.headers.emplace_back("x-amz-storage-class", sc);
  }
  if (options.retention_period_seconds != 0) {
    if (!IsValidRetentionMode(options.retention_mode)) {
      return Status::InvalidArgument("invalid retention mode \"" +
                                     Printable(options.retention_mode) +
                                     "\" (GOVERNANCE or COMPLIANCE)");
    }
    if (options.retention_period_seconds < 0) {
      return Status::InvalidArgument("negative retention period");
    }
    auto until = std::chrono::system_clock::now() +
                 std::chrono::seconds(options.retention_period_seconds);
    c.headers.emplace_back("x-amz-object-lock-mode", options.retention_mode);
    c.headers.emplace_back("x-amz-object-lock-retain-until-date", Iso8601(until));
  }
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, "");
  return Status::OK();
}

Result<BlobMetadata> S3Storage::DoGetMetadata(std::string_view id) {
  Call c;
  c.method = "HEAD";
  c.key = options_.prefix + std::string(id);
  c.what = "HEAD " + c.key;
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, id);
  BlobMetadata m;
  m.id = std::string(id);
  const std::string len = resp.Header("content-length");
  char* end = nullptr;
  long long n = std::strtoll(len.c_str(), &end, 10);
  if (len.empty() || !end || *end != '\0' || n < 0) {
    return Status::Corruption("S3 HEAD " + c.key + " has no valid Content-Length");
  }
  m.length = n;
  FERRY_ASSIGN_OR_RETURN(m.timestamp_unix_nanos, ParseHttpDate(resp.Header("last-modified")));
  return m;
}

Status S3Storage::DoGetBlob(std::string_view id, int64_t offset, int64_t length, Bytes* out) {
  if (length == 0) {
    // Nothing to read, but the blob must exist and the offset be within it.
    out->clear();
    FERRY_ASSIGN_OR_RETURN(BlobMetadata m, DoGetMetadata(id));
    return ResolveRange(id, m.length, offset, 0).status();
  }
  Call c;
  c.method = "GET";
  c.key = options_.prefix + std::string(id);
  c.what = "GET " + c.key;
  const bool ranged = offset > 0 || length > 0;
  if (ranged) {
    c.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-" +
                                        (length > 0 ? std::to_string(offset + length - 1) : ""));
  }
  // The body lands in the caller's buffer directly (no copy, and no allocation or zeroing when the
  // caller reuses its buffer: its old bytes are overwritten in place); it is only valid on a 2xx
  // answer.
  c.body_sink = out;
  auto result = Execute(c);
  if (!result.ok() || !IsSuccess(result->status)) out->clear();
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, std::move(result));
  if (resp.status == 416) {
    // The range starts at or past the end. At the very end with "to the end" it is an empty
    // read; anything else is out of range (or the blob vanished).
    FERRY_ASSIGN_OR_RETURN(BlobMetadata m, DoGetMetadata(id));
    return ResolveRange(id, m.length, offset, length).status();
  }
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, id);
  if (resp.status == 206) {
    int64_t total = TotalFromContentRange(resp.Header("content-range"));
    int64_t expected = length > 0 ? length : (total >= 0 ? total - offset : -1);
    if (expected < 0 || static_cast<int64_t>(out->size()) != expected) {
      out->clear();
      if (total >= 0) FERRY_RETURN_IF_ERROR(ResolveRange(id, total, offset, length).status());
      return Status::IOError("short read of " + c.key + " from " + endpoint_url_);
    }
    return Status::OK();
  }
  if (ranged) {
    // The server ignored Range and sent the whole object: cut the range out here.
    auto n = ResolveRange(id, static_cast<int64_t>(out->size()), offset, length);
    if (!n.ok()) {
      out->clear();
      return n.status();
    }
    out->erase(out->begin(), out->begin() + offset);
    out->resize(static_cast<size_t>(*n));
  }
  return Status::OK();
}

Status S3Storage::DoDeleteBlob(std::string_view id) {
  Call c;
  c.method = "DELETE";
  c.key = options_.prefix + std::string(id);
  c.what = "DELETE " + c.key;
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (IsSuccess(resp.status)) return Status::OK();
  if (resp.status == 404 && ParseS3Error(AsString(resp.body)).code != "NoSuchBucket") {
    return Status::OK();  // deleting a missing blob is fine (idempotent deletes)
  }
  return ErrorFor(resp, c, "");
}

Result<S3ListPage> S3Storage::FetchListPage(const std::string& key_prefix,
                                            const std::string& token) {
  Call c;
  c.method = "GET";
  c.bucket_level = true;
  c.what = "ListObjectsV2 " + key_prefix;
  c.query = {{"list-type", "2"},
             {"prefix", key_prefix},
             {"max-keys", std::to_string(options_.list_page_size)}};
  if (!token.empty()) c.query.emplace_back("continuation-token", token);
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, "");
  return ParseListObjectsV2(AsString(resp.body));
}

Status S3Storage::DoListBlobs(std::string_view prefix, const ListCallback& callback) {
  const std::string key_prefix = options_.prefix + std::string(prefix);
  auto fetch = [this, key_prefix](std::string token) {
    return FetchListPage(key_prefix, token);
  };
  // One page ahead: the next request is in flight while the callback handles this page. The
  // future's destructor waits for it if the listing stops early. (With both launch flags,
  // libstdc++ runs the fetch inline instead of throwing if no thread can be started.)
  constexpr auto kPolicy = std::launch::async | std::launch::deferred;
  std::future<Result<S3ListPage>> next = std::async(kPolicy, fetch, std::string());
  while (true) {
    Result<S3ListPage> page = next.get();
    if (!page.ok()) return page.status();
    if (page->truncated) {
      next = std::async(kPolicy, fetch, page->next_continuation_token);
    }
    for (const S3ListEntry& e : page->entries) {
      if (!e.key.starts_with(options_.prefix)) continue;
      std::string id = e.key.substr(options_.prefix.size());
      if (!id.starts_with(prefix) || !ValidateBlobId(id).ok()) continue;
      BlobMetadata m{std::move(id), e.size, TruncateToSeconds(e.last_modified_unix_nanos)};
      FERRY_RETURN_IF_ERROR(callback(m));
    }
    if (!page->truncated) return Status::OK();
  }
}

namespace {

Status ValidateObjectKey(std::string_view key, bool allow_empty) {
  if (key.empty()) {
    return allow_empty ? Status::OK() : Status::InvalidArgument("an S3 object key must not be empty");
  }
  if (key.front() == '/') return Status::InvalidArgument("S3 object key \"" + Printable(key) + "\" starts with /");
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) slash = key.size();
    std::string_view seg = key.substr(start, slash - start);
    // A trailing "/" is fine in a listing prefix ("backups/"), nowhere else.
    bool trailing = slash == key.size() && seg.empty();
    if ((seg.empty() && !(trailing && allow_empty)) || seg == "." || seg == "..") {
      return Status::InvalidArgument("S3 object key \"" + Printable(key) +
                                     "\" has an empty, . or .. segment");
    }
    start = slash + 1;
  }
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return Status::InvalidArgument("invalid character in S3 object key \"" + Printable(key) + "\"");
    }
  }
  return Status::OK();
}

}  // namespace

Status S3Storage::PutObject(std::string_view key, ByteView data) {
  FERRY_RETURN_IF_ERROR(ValidateObjectKey(key, false));
  Call c;
  c.method = "PUT";
  c.key = options_.prefix + std::string(key);
  c.what = "PUT " + c.key;
  c.body = data;
  c.payload_sha256 = "UNSIGNED-PAYLOAD";
  c.headers.emplace_back("Content-Type", "application/octet-stream");
  c.headers.emplace_back("x-amz-checksum-crc32c", Crc32cBase64(compression::crc32c::Value(data.data(), data.size())));
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, "");
  return Status::OK();
}

Result<Bytes> S3Storage::GetObject(std::string_view key) {
  FERRY_RETURN_IF_ERROR(ValidateObjectKey(key, false));
  Call c;
  c.method = "GET";
  c.key = options_.prefix + std::string(key);
  c.what = "GET " + c.key;
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (!IsSuccess(resp.status)) return ErrorFor(resp, c, key);
  return std::move(resp.body);
}

Status S3Storage::DeleteObject(std::string_view key) {
  FERRY_RETURN_IF_ERROR(ValidateObjectKey(key, false));
  Call c;
  c.method = "DELETE";
  c.key = options_.prefix + std::string(key);
  c.what = "DELETE " + c.key;
  FERRY_ASSIGN_OR_RETURN(HttpResponse resp, Execute(c));
  if (IsSuccess(resp.status)) return Status::OK();
  if (resp.status == 404 && ParseS3Error(AsString(resp.body)).code != "NoSuchBucket") return Status::OK();
  return ErrorFor(resp, c, "");
}

Result<std::vector<std::string>> S3Storage::ListObjectKeys(std::string_view key_prefix) {
  FERRY_RETURN_IF_ERROR(ValidateObjectKey(key_prefix, true));
  const std::string full_prefix = options_.prefix + std::string(key_prefix);
  std::vector<std::string> keys;
  std::string token;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(S3ListPage page, FetchListPage(full_prefix, token));
    for (const S3ListEntry& e : page.entries) {
      if (e.key.starts_with(full_prefix)) keys.push_back(e.key.substr(options_.prefix.size()));
    }
    if (!page.truncated) break;
    token = page.next_continuation_token;
  }
  return keys;
}

}  // namespace ferry::blob
