#include "blob/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ferry::blob {

namespace {

// curl_global_init is not thread-safe in every libcurl build; do it exactly once.
void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

struct Transfer {
  HttpResponse* response;
  ByteView upload;
  Bytes* sink;           // HttpRequest::body_sink
  Bytes* body = nullptr;  // where the current response's body goes
  size_t upload_pos = 0;
};

// "HTTP/1.1 206 Partial Content" -> 206; 0 if malformed.
long StatusOfLine(std::string_view line) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > line.size()) return 0;
  long code = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after "100 Continue" or a retry inside libcurl): forget the old headers
    // and body. A success body goes to the caller's buffer, anything else to the response.
    t->response->headers.clear();
    const long status = StatusOfLine(line);
    t->body = (t->sink != nullptr && status >= 200 && status < 300) ? t->sink : &t->response->body;
    if (t->sink != nullptr) t->sink->clear();
    t->response->body.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = Lower(std::string(line.substr(0, colon)));
    std::string value = Trim(line.substr(colon + 1));
    if (name == "content-length") {
      char* end = nullptr;
      unsigned long long len = std::strtoull(value.c_str(), &end, 10);
      // Reserve for the body, bounded so that a hostile header cannot make us allocate wildly.
      if (end && *end == '\0' && len <= (1ull << 30) && t->body != nullptr) t->body->reserve(len);
    }
    t->response->headers[std::move(name)] = std::move(value);
  }
  return size * n;
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  Bytes* body = t->body != nullptr ? t->body : &t->response->body;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  body->insert(body->end(), bytes, bytes + size * n);
  return size * n;
}

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = std::min(size * n, t->upload.size() - t->upload_pos);
  if (want > 0) std::memcpy(buffer, t->upload.data() + t->upload_pos, want);
  t->upload_pos += want;
  return want;
}

// libcurl may need to send the body again (a redirect, an auth round trip): rewind on request.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->upload.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->upload_pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

TransportError Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return TransportError::kTls;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_SHUTDOWN_FAILED:
      return TransportError::kNetwork;
    default:
      return TransportError::kOther;
  }
}

// Loopback never goes through a proxy (as in Go's ProxyFromEnvironment); other hosts follow the
// usual http_proxy / https_proxy / no_proxy variables.
std::string NoProxyList() {
  std::string list = "localhost,127.0.0.1,::1,.localhost";
  for (const char* name : {"NO_PROXY", "no_proxy"}) {
    if (const char* v = std::getenv(name); v && *v) {
      list += ",";
      list += v;
      break;
    }
  }
  return list;
}

}  // namespace

std::string HttpResponse::Header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) { GlobalInit(); }

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

int64_t HttpClient::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int64_t HttpClient::handles_created() const {
  std::lock_guard lock(mu_);
  return created_;
}

void* HttpClient::Acquire() {
  {
    std::lock_guard lock(mu_);
    ++requests_;
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
    ++created_;
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  // curl_easy_reset clears the options but keeps the live connection and TLS session cache,
  // which is the point of pooling.
  curl_easy_reset(static_cast<CURL*>(handle));
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

HttpResult HttpClient::Do(const HttpRequest& request) {
  HttpResult result;
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) {
    result.error = TransportError::kOther;
    result.error_message = "cannot create a libcurl handle";
    return result;
  }
  if (request.body_sink != nullptr) request.body_sink->clear();
  Transfer transfer{&result.response, request.body, request.body_sink};
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string no_proxy = NoProxyList();

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(options_.connect_timeout.count(), 1)));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(options_.stall_timeout.count(), 1)));
  // Only a hint: libcurl clamps the sizes to what it supports (receive 1 KiB..10 MiB, upload
  // 16 KiB..2 MiB in 7.88) and the request works with its defaults too.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, static_cast<long>(options_.receive_buffer_bytes));
  if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE,
                     static_cast<long>(options_.upload_buffer_bytes));
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (!options_.verify_tls) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_blob ca_blob{};
  if (!options_.ca_cert_pem.empty()) {
    ca_blob.data = const_cast<char*>(options_.ca_cert_pem.data());
    ca_blob.len = options_.ca_cert_pem.size();
    ca_blob.flags = CURL_BLOB_NOCOPY;
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
  } else if (!options_.ca_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_cert_file.c_str());
  }

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  // No "Expect: 100-continue" round trip (it costs a wait on servers that ignore it), and no
  // "Accept" header nobody signs or needs.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.response.status);
  } else {
    result.error = Classify(code);
    result.error_message = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    result.response = HttpResponse{};
  }
  Release(curl);
  return result;
}

}  // namespace ferry::blob
