#include "blob/s3_signer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace ferry::blob {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Canonical header value: leading/trailing spaces removed, inner runs of spaces collapsed.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string HexOf(const Bytes& b) { return HexEncode(b); }

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string Sha256Hex(ByteView data) {
  Bytes digest(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &n, EVP_sha256(), nullptr);
  digest.resize(n);
  return HexOf(digest);
}

Bytes HmacSha256(ByteView key, std::string_view data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &n);
  out.resize(n);
  return out;
}

std::string Md5Base64(ByteView data) {
  Bytes digest(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &n, EVP_md5(), nullptr);
  digest.resize(n);
  return Base64Encode(digest);
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SigV4Result SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                   std::string_view region, std::string_view service, std::string_view amz_date) {
  SigV4Result r;
  // Lowercased name -> canonical value; a repeated header's values are joined with ','.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    std::string key = Lower(name);
    std::string v = CanonicalValue(value);
    auto [it, inserted] = headers.emplace(key, v);
    if (!inserted) it->second += "," + v;
  }
  auto add = [&](const char* name, const std::string& value) {
    if (headers.emplace(name, value).second) r.added_headers.emplace_back(name, value);
  };
  add("x-amz-date", std::string(amz_date));
  add("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) add("x-amz-security-token", credentials.session_token);

  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : headers) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }
  r.canonical_request = request.method + "\n" + request.canonical_uri + "\n" +
                        CanonicalQueryString(request.query) + "\n" + canonical_headers + "\n" +
                        signed_headers + "\n" + headers["x-amz-content-sha256"];

  const std::string date(amz_date.substr(0, 8));
  const std::string scope =
      date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  r.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                     Sha256Hex(AsBytes(r.canonical_request));

  // The signing key chain: HMAC("AWS4" + secret, date) -> region -> service -> "aws4_request".
  std::string k_secret = "AWS4" + credentials.secret_access_key;
  Bytes key = HmacSha256(AsBytes(k_secret), date);
  SecureWipe(k_secret.data(), k_secret.size());
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  r.signature = HexOf(HmacSha256(key, r.string_to_sign));
  SecureWipe(key.data(), key.size());

  r.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                    ", SignedHeaders=" + signed_headers + ", Signature=" + r.signature;
  return r;
}

}  // namespace ferry::blob
