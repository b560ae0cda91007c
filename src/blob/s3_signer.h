// AWS Signature Version 4 for S3 requests ("Authorization: AWS4-HMAC-SHA256 ..."), computed with
// OpenSSL. Ferry signs every request itself instead of using libcurl's CURLOPT_AWS_SIGV4 because
// libcurl 7.88 (Debian 12) neither sends nor signs `x-amz-content-sha256` on its own and builds
// the canonical query string from the raw URL without sorting or re-encoding it, so listings are
// rejected; see docs/s3.md.
//
// The caller builds the request (method, already-encoded path, unencoded query parameters,
// headers, payload hash); SignV4 returns the headers to add. The canonical request and the string
// to sign are returned too, for tests and for debugging SignatureDoesNotMatch.
//
// Stateless and thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"

namespace ferry::blob {

// Hex SHA-256 of the empty string, the payload hash of every request without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only; sent as x-amz-security-token
};

struct SigV4Request {
  std::string method;          // "GET", "PUT", ...
  std::string canonical_uri;   // the path exactly as sent, already URI-encoded ("/bucket/a%24b")
  // Query parameters, unencoded; SignV4 encodes and sorts them. A parameter without a value
  // ("?lifecycle") has an empty second.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign, including "host"; any case, values as sent. Every header given here is
  // signed (S3 requires host and all x-amz-* headers to be signed; signing more is allowed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // hex, or "UNSIGNED-PAYLOAD"
};

struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // hex
  std::string authorization;  // the Authorization header value
  // Headers SignV4 adds and the caller must send: x-amz-date, x-amz-content-sha256 and, with a
  // session token, x-amz-security-token (name, value).
  std::vector<std::pair<std::string, std::string>> added_headers;
};

// Signs `request` for `region` and `service` ("s3") at `amz_date` ("20130524T000000Z").
// x-amz-date, x-amz-content-sha256 and x-amz-security-token are added to the signed headers
// unless `request.headers` already has them.
SigV4Result SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                   std::string_view region, std::string_view service, std::string_view amz_date);

// "20130524T000000Z" for a point in time (UTC).
std::string AmzDate(std::chrono::system_clock::time_point t);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~) stay,
// everything else becomes %XX (uppercase hex); '/' stays too unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);

// The canonical query string: parameters encoded with UriEncode(.., true), sorted by name then
// value, joined with '&'. The same string is what ferry puts in the URL, so that what is signed
// is exactly what is sent.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

// Hex SHA-256, raw HMAC-SHA256 and base64 MD5 (the Content-MD5 header) helpers.
std::string Sha256Hex(ByteView data);
Bytes HmacSha256(ByteView key, std::string_view data);
std::string Md5Base64(ByteView data);

}  // namespace ferry::blob
