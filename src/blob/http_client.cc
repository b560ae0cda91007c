#include "blob/http_client.h"

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ferry::blob {

namespace {

// curl_global_init is not thread-safe in every libcurl build; do it exactly once.
//
// SIGPIPE is ignored process-wide at the same time: on direct transfers over TLS, OpenSSL writes
// to the socket itself (without MSG_NOSIGNAL, and curl_easy_send does not block the signal as
// curl_easy_perform does), so a server closing the connection mid-upload would otherwise kill
// the process (a node agent, a server) instead of failing one request that is then retried.
void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
  });
}

// Certificate checking and private CAs, the same for both transfer paths. The PEM is not copied
// by libcurl (CURL_BLOB_NOCOPY): it lives in the options, which outlive every handle.
void ApplyTlsOptions(CURL* curl, const HttpClientOptions& options) {
  if (!options.verify_tls) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!options.ca_cert_pem.empty()) {
    curl_blob ca_blob{};
    ca_blob.data = const_cast<char*>(options.ca_cert_pem.data());
    ca_blob.len = options.ca_cert_pem.size();
    ca_blob.flags = CURL_BLOB_NOCOPY;
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
  } else if (!options.ca_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_cert_file.c_str());
  }
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

using Clock = std::chrono::steady_clock;

// Splits "http://host:port/path?query" into "http://host:port" (the connection's key) and
// "/path?query" (the request target). False for anything else (user info, other schemes).
bool SplitUrl(const std::string& url, std::string* key, std::string* target) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return false;
  size_t host_begin = scheme_end + 3;
  size_t host_end = url.find_first_of("/?#", host_begin);
  if (host_end == std::string::npos) host_end = url.size();
  std::string authority = url.substr(host_begin, host_end - host_begin);
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  if (host_end < url.size() && url[host_end] == '#') return false;
  *key = scheme + "://" + authority;
  *target = host_end < url.size() ? url.substr(host_end) : "/";
  if (target->front() == '?') *target = "/" + *target;
  for (char c : *target) {
    if (c == '#' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The host of "http://host:port" ("[::1]" for IPv6), lowercased.
std::string HostOfKey(const std::string& key) {
  std::string authority = key.substr(key.find("://") + 3);
  if (authority.starts_with("[")) return Lower(authority.substr(0, authority.find(']') + 1));
  return Lower(authority.substr(0, authority.rfind(':')));
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") ||
         host == "[::1]";
}

// libcurl would send a request for `key` through a proxy if one of these is set (it ignores an
// upper-case HTTP_PROXY, for CGI safety). Loopback never goes through a proxy (NoProxyList). The
// direct path does not speak to proxies, so any configured proxy sends the request through
// curl_easy_perform instead, without trying to match no_proxy lists here.
bool ProxyMayApply(const std::string& key) {
  if (IsLoopbackHost(HostOfKey(key))) return false;
  const bool https = key.starts_with("https://");
  std::vector<const char*> names = {"all_proxy", "ALL_PROXY"};
  if (https) {
    names.push_back("https_proxy");
    names.push_back("HTTPS_PROXY");
  } else {
    names.push_back("http_proxy");
  }
  for (const char* name : names) {
    if (const char* v = std::getenv(name); v && *v) return true;
  }
  return false;
}

// Reads and writes one HTTP exchange on a connected CONNECT_ONLY handle, waiting on its socket
// with poll(). A wait that sees no byte move for `stall` fails with kTimeout, like libcurl's
// low-speed limit of 1 byte/s over the stall time. Every failure sets error and message.
class Wire {
 public:
  Wire(CURL* curl, curl_socket_t fd, std::chrono::milliseconds stall, size_t staging_bytes,
       char* curl_error)
      : curl_(curl), fd_(fd), stall_(stall), staging_bytes_(std::max<size_t>(staging_bytes, 4096)),
        curl_error_(curl_error) {
    buffer_.resize(kBufferBytes);
    progress_ = Clock::now();
  }
  // The connection may go back to the pool: its next exchange starts with the default mark.
  ~Wire() { SetLowWater(1); }
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  TransportError error = TransportError::kNone;
  std::string message;

  int64_t received() const { return received_; }
  // Bytes read from the socket but not consumed by the response (must be none to reuse it).
  size_t unconsumed() const { return end_ - pos_; }

  // Sends all of `data`. If the server starts answering (or closes) before it has taken all of
  // it, stops early and sets *answered: the answer is then read as usual, and the connection
  // must not be reused.
  bool Send(ByteView data, bool* answered) {
    size_t done = 0;
    while (done < data.size()) {
      // The same piece again after CURLE_AGAIN, as OpenSSL wants a retried write to be.
      const size_t piece = std::min(data.size() - done, kSendPieceBytes);
      size_t sent = 0;
      ClearCurlError();
      CURLcode code = curl_easy_send(curl_, data.data() + done, piece, &sent);
      if (code == CURLE_OK) {
        done += sent;
        progress_ = Clock::now();
        continue;
      }
      if (code != CURLE_AGAIN) return Fail(TransportError::kNetwork, code, "Send failure");
      short revents = 0;
      if (!Wait(POLLOUT | POLLIN, &revents)) return false;
      if ((revents & POLLIN) != 0 && (revents & POLLOUT) == 0) {
        // Readable while the server takes no more: an early answer, a close, or (TLS) a session
        // ticket that the TLS library consumes by itself.
        int r = ReceiveNoWait();
        if (r < 0) return false;
        if (r > 0) {
          *answered = true;
          return true;
        }
      }
    }
    return true;
  }

  // One line without its CRLF (a bare LF is accepted too).
  bool ReadLine(std::string* line) {
    line->clear();
    while (true) {
      const uint8_t* begin = buffer_.data() + pos_;
      const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(begin, '\n', end_ - pos_));
      if (nl != nullptr) {
        line->append(reinterpret_cast<const char*>(begin), nl - begin);
        pos_ += (nl - begin) + 1;
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      line->append(reinterpret_cast<const char*>(begin), end_ - pos_);
      pos_ = end_ = 0;
      if (line->size() > kMaxLineBytes) {
        return Fail(TransportError::kNetwork, CURLE_OK, "Response header line too long");
      }
      long n = Receive(buffer_.data(), buffer_.size());
      if (n < 0) return false;
      if (n == 0) {
        return Fail(TransportError::kNetwork, CURLE_OK,
                    received_ == 0 ? "Empty reply from server"
                                   : "Connection closed in the middle of the response header");
      }
      end_ = static_cast<size_t>(n);
    }
  }

  // Exactly n bytes into dst: what is buffered, then straight from the socket into dst.
  bool ReadExact(uint8_t* dst, size_t n) {
    size_t done = std::min(n, end_ - pos_);
    if (done > 0) std::memcpy(dst, buffer_.data() + pos_, done);
    pos_ += done;
    while (done < n) {
      long got = Receive(dst + done, n - done, /*expected=*/true);
      if (got < 0) return false;
      if (got == 0) {
        return Fail(TransportError::kNetwork, CURLE_OK,
                    "transfer closed with " + std::to_string(n - done) +
                        " bytes remaining to read");
      }
      done += static_cast<size_t>(got);
    }
    return true;
  }

  // n bytes appended to out: what is buffered, then received into a staging piece of at most
  // the receive buffer's size (not zeroed) and copied from there while it is in the cache.
  bool ReadAppend(uint64_t n, Bytes* out) {
    const size_t buffered = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
    out->insert(out->end(), buffer_.begin() + pos_, buffer_.begin() + pos_ + buffered);
    pos_ += buffered;
    uint64_t left = n - buffered;
    if (left == 0) return true;
    const size_t piece_bytes = static_cast<size_t>(std::min<uint64_t>(left, staging_bytes_));
    auto staging = std::make_unique_for_overwrite<uint8_t[]>(piece_bytes);
    while (left > 0) {
      long got = Receive(staging.get(), static_cast<size_t>(std::min<uint64_t>(left, piece_bytes)),
                         /*expected=*/true);
      if (got < 0) return false;
      if (got == 0) {
        return Fail(TransportError::kNetwork, CURLE_OK,
                    "transfer closed with " + std::to_string(left) + " bytes remaining to read");
      }
      out->insert(out->end(), staging.get(), staging.get() + got);
      left -= static_cast<uint64_t>(got);
    }
    return true;
  }

  // Everything until the server closes the connection, appended to out.
  bool ReadUntilClose(Bytes* out) {
    out->insert(out->end(), buffer_.begin() + pos_, buffer_.begin() + end_);
    pos_ = end_ = 0;
    while (true) {
      long n = Receive(buffer_.data(), buffer_.size());
      if (n < 0) return false;
      if (n == 0) return true;
      out->insert(out->end(), buffer_.begin(), buffer_.begin() + n);
    }
  }

  bool Fail(TransportError e, CURLcode code, std::string what) {
    error = e;
    if (code != CURLE_OK) {
      what += curl_error_[0] != '\0' ? std::string(": ") + curl_error_
                                     : std::string(": ") + curl_easy_strerror(code);
    }
    message = std::move(what);
    return false;
  }

 private:
  static constexpr size_t kBufferBytes = 64 << 10;
  static constexpr size_t kSendPieceBytes = 4 << 20;
  static constexpr size_t kMaxLineBytes = 64 << 10;
  // While a body of known length is being received, poll() waits until this much of it (or
  // all that is left, if less) has arrived, rather than waking for every segment: fewer
  // poll/recv rounds and wake-ups, bigger copies (SO_RCVLOWAT; get from moto: 0.21-0.27 ->
  // 0.15-0.22 CPU-s/GB, docs/s3.md). Only bytes the server has announced are waited for, so the
  // wait always ends; a server that trickles is still read once a second (kLowWaterPollMs), so
  // its bytes count as progress for the stall timeout.
  static constexpr size_t kBodyLowWaterBytes = 256 << 10;
  static constexpr size_t kLowWaterMinBytes = 64 << 10;  // below it, not worth a syscall
  static constexpr int kLowWaterPollMs = 1000;

  void ClearCurlError() { curl_error_[0] = '\0'; }

  // SO_RCVLOWAT of the socket (1 is the kernel's default). A failure only costs the saving.
  void SetLowWater(int bytes) {
    if (bytes == low_water_) return;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof(bytes)) == 0) low_water_ = bytes;
  }

  // Bytes received into dst (> 0), 0 at the end of the stream, -1 on failure. `expected`: the
  // server has announced at least n more bytes (a sized body), so waiting for them is safe.
  long Receive(uint8_t* dst, size_t n, bool expected = false) {
    SetLowWater(expected && n >= kLowWaterMinBytes ? static_cast<int>(std::min(n, kBodyLowWaterBytes)) : 1);
    while (true) {
      size_t got = 0;
      ClearCurlError();
      CURLcode code = curl_easy_recv(curl_, dst, n, &got);
      if (code == CURLE_OK) {
        received_ += static_cast<int64_t>(got);
        if (got > 0) progress_ = Clock::now();
        return static_cast<long>(got);
      }
      if (code != CURLE_AGAIN) {
        Fail(TransportError::kNetwork, code, "Recv failure");
        return -1;
      }
      if (!Wait(POLLIN, nullptr)) return -1;
    }
  }

  // Into the buffer without waiting: 1 if bytes arrived, 0 if none yet, -1 on failure or if
  // the server closed the connection.
  int ReceiveNoWait() {
    if (end_ == buffer_.size()) return 1;
    size_t got = 0;
    ClearCurlError();
    CURLcode code = curl_easy_recv(curl_, buffer_.data() + end_, buffer_.size() - end_, &got);
    if (code == CURLE_AGAIN) return 0;
    if (code != CURLE_OK) {
      Fail(TransportError::kNetwork, code, "Recv failure");
      return -1;
    }
    if (got == 0) {
      Fail(TransportError::kNetwork, CURLE_OK, "Connection closed by the server while sending");
      return -1;
    }
    received_ += static_cast<int64_t>(got);
    end_ += got;
    progress_ = Clock::now();
    return 1;
  }

  // Until the socket is ready for `events` (errors and hang-ups count as ready: the next
  // send/recv reports them), or fails with kTimeout once no byte has moved for the stall time.
  bool Wait(short events, short* revents) {
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(progress_ + stall_ -
                                                                        Clock::now());
      if (left.count() <= 0) {
        return Fail(TransportError::kTimeout, CURLE_OK,
                    "Operation too slow: no data moved for " +
                        std::to_string(stall_.count() / 1000) + " seconds (" +
                        std::to_string(received_) + " bytes received)");
      }
      pollfd p{};
      p.fd = fd_;
      p.events = events;
      const int64_t cap = low_water_ > 1 ? kLowWaterPollMs : int64_t{1} << 30;
      int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), cap)));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Fail(TransportError::kNetwork, CURLE_OK, "poll failed");
      if (r == 0) {
        // A slow server: take what has come (the deadline check above reports a real stall).
        if (low_water_ > 1 && (events & POLLIN) != 0) SetLowWater(1);
        continue;
      }
      if (revents != nullptr) *revents = p.revents;
      return true;
    }
  }

  CURL* curl_;
  curl_socket_t fd_;
  std::chrono::milliseconds stall_;
  size_t staging_bytes_;
  char* curl_error_;
  std::vector<uint8_t> buffer_;  // head bytes and small pieces; bodies bypass it
  size_t pos_ = 0, end_ = 0;
  int64_t received_ = 0;
  int low_water_ = 1;  // the socket's SO_RCVLOWAT
  Clock::time_point progress_;
};

// "HTTP/1.1" -> 11, "HTTP/1.0" -> 10, else 0.
int HttpVersionOfLine(std::string_view line) {
  if (line.starts_with("HTTP/1.1 ")) return 11;
  if (line.starts_with("HTTP/1.0 ")) return 10;
  return 0;
}

bool HasToken(std::string value, std::string_view token) {
  value = Lower(std::move(value));
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    if (Trim(std::string_view(value).substr(start, comma - start)) == token) return true;
    start = comma + 1;
  }
  return false;
}

bool ParseDecimal(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// The size at the start of a chunk-size line ("1a2b;ext=1"); false if malformed.
bool ParseChunkSize(const std::string& line, uint64_t* out) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) break;
    if (i >= 15) return false;  // > 2^60: hostile
    v = v * 16 + static_cast<uint64_t>(d);
  }
  if (i == 0) return false;
  for (; i < line.size(); ++i) {
    if (line[i] == ';') break;
    if (line[i] != ' ' && line[i] != '\t') return false;
  }
  *out = v;
  return true;
}

// Exactly `length` body bytes into out, which ends up with that size. The bytes out already
// holds are overwritten in place, straight from the socket (a reused buffer: no copy, no zeroing,
// no page faults). What it must grow by is appended through a cache-sized staging piece instead:
// growing a std::vector in place zeroes every new byte first, which costs more (~0.1 CPU-s/GB
// here) than copying each piece out of the cache.
bool ReadSizedBody(Wire& wire, uint64_t length, Bytes* out) {
  if (out->size() >= length) {
    out->resize(length);
    return wire.ReadExact(out->data(), length);
  }
  const size_t have = out->size();
  if (!wire.ReadExact(out->data(), have)) return false;
  // Reserved up to a bound, so that a wrong Content-Length cannot make us allocate it all.
  if (out->capacity() < length) out->reserve(std::min<uint64_t>(length, 1ull << 30));
  return wire.ReadAppend(length - have, out);
}

bool ReadChunkedBody(Wire& wire, Bytes* out) {
  std::string line;
  while (true) {
    if (!wire.ReadLine(&line)) return false;
    uint64_t size = 0;
    if (!ParseChunkSize(line, &size)) {
      return wire.Fail(TransportError::kNetwork, CURLE_OK,
                       "Illegal or missing hexadecimal sequence in chunked-encoding");
    }
    if (size == 0) break;
    if (!wire.ReadAppend(size, out)) return false;
    if (!wire.ReadLine(&line)) return false;
    if (!line.empty()) {
      return wire.Fail(TransportError::kNetwork, CURLE_OK, "Malformed chunk in chunked-encoding");
    }
  }
  do {  // trailer fields, up to the empty line
    if (!wire.ReadLine(&line)) return false;
  } while (!line.empty());
  return true;
}

}  // namespace

struct HttpClient::DirectConnection {
  CURL* curl = nullptr;
  curl_socket_t fd = CURL_SOCKET_BAD;
  std::string key;  // scheme://host:port
  Clock::time_point idle_since;
  char error[CURL_ERROR_SIZE] = {};

  ~DirectConnection() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

struct HttpClient::ShareLocks {
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mu;
};

namespace {

void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
  static_cast<std::array<std::mutex, CURL_LOCK_DATA_LAST>*>(user)->at(data).lock();
}

void UnlockShare(CURL*, curl_lock_data data, void* user) {
  static_cast<std::array<std::mutex, CURL_LOCK_DATA_LAST>*>(user)->at(data).unlock();
}

// libcurl does not reuse a connection that has been idle longer than this (CURLOPT_MAXAGE_CONN's
// default); neither do we: a server or a NAT may have dropped it without a word.
constexpr auto kMaxIdle = std::chrono::seconds(118);

}  // namespace

std::string HttpResponse::Header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), share_locks_(std::make_unique<ShareLocks>()) {
  GlobalInit();
  CURLSH* share = curl_share_init();
  if (share != nullptr) {
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, LockShare);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, UnlockShare);
    curl_share_setopt(share, CURLSHOPT_USERDATA, &share_locks_->mu);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  share_ = share;
}

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
  idle_connections_.clear();  // before the share they use
  if (share_ != nullptr) curl_share_cleanup(static_cast<CURLSH*>(share_));
}

int64_t HttpClient::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int64_t HttpClient::handles_created() const {
  std::lock_guard lock(mu_);
  return created_;
}

int64_t HttpClient::connections_opened() const {
  std::lock_guard lock(mu_);
  return connections_;
}

bool HttpClient::UsesDirectTransfer(const std::string& url) const {
  std::string key, target;
  return options_.direct_transfers && SplitUrl(url, &key, &target) && !ProxyMayApply(key);
}

HttpResult HttpClient::Do(const HttpRequest& request) {
  {
    std::lock_guard lock(mu_);
    ++requests_;
  }
  std::string key, target;
  if (options_.direct_transfers && SplitUrl(request.url, &key, &target) && !ProxyMayApply(key)) {
    return DoDirect(request, key, target);
  }
  return DoWithPerform(request);
}

void* HttpClient::Acquire() {
  {
    std::lock_guard lock(mu_);
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

std::unique_ptr<HttpClient::DirectConnection> HttpClient::TakeIdleConnection(
    const std::string& key) {
  while (true) {
    std::unique_ptr<DirectConnection> c;
    {
      std::lock_guard lock(mu_);
      for (size_t i = idle_connections_.size(); i-- > 0;) {
        if (idle_connections_[i]->key == key) {
          c = std::move(idle_connections_[i]);
          idle_connections_.erase(idle_connections_.begin() + static_cast<ptrdiff_t>(i));
          break;
        }
      }
    }
    if (c == nullptr) return nullptr;
    if (Clock::now() - c->idle_since > kMaxIdle) continue;
    // An idle connection must have nothing to read: readable means the server closed it (or
    // sent something unasked), unless it is a TLS session ticket that the TLS library consumes.
    pollfd p{};
    p.fd = c->fd;
    p.events = POLLIN;
    int r = poll(&p, 1, 0);
    if (r == 0) return c;
    if (r < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) continue;
    uint8_t probe[256];
    size_t got = 0;
    if (curl_easy_recv(c->curl, probe, sizeof(probe), &got) == CURLE_AGAIN) return c;
  }
}

std::unique_ptr<HttpClient::DirectConnection> HttpClient::Connect(const std::string& key,
                                                                  HttpResult* failure) {
  auto c = std::make_unique<DirectConnection>();
  c->key = key;
  c->curl = curl_easy_init();
  if (c->curl == nullptr) {
    failure->error = TransportError::kOther;
    failure->error_message = "cannot create a libcurl handle";
    return nullptr;
  }
  {
    std::lock_guard lock(mu_);
    ++created_;
    ++connections_;
  }
  CURL* curl = c->curl;
  const std::string url = key + "/";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  // We speak HTTP/1.1 on the connection: TLS must not negotiate h2 through ALPN.
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // ProxyMayApply said no; never an env proxy
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(options_.connect_timeout.count(), 1)));
  // curl_easy_recv reads at most this much per call.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, static_cast<long>(options_.receive_buffer_bytes));
  if (share_ != nullptr) curl_easy_setopt(curl, CURLOPT_SHARE, static_cast<CURLSH*>(share_));
  ApplyTlsOptions(curl, options_);
  // Connects (and for https does the TLS handshake, verifying as configured), then returns.
  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    failure->error = Classify(code);
    failure->error_message = c->error[0] ? c->error : curl_easy_strerror(code);
    return nullptr;
  }
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
    failure->error = TransportError::kOther;
    failure->error_message = "libcurl gave no socket for the connection";
    return nullptr;
  }
  c->fd = fd;
  return c;
}

void HttpClient::ReturnConnection(std::unique_ptr<DirectConnection> connection) {
  connection->idle_since = Clock::now();
  std::lock_guard lock(mu_);
  if (idle_connections_.size() < options_.max_idle_handles) {
    idle_connections_.push_back(std::move(connection));
  }
  // else: closed here (outside nothing shared: the destructor touches only its own handle)
}

HttpResult HttpClient::DoDirect(const HttpRequest& request, const std::string& key,
                                const std::string& target) {
  HttpResult failure;
  // The request head: what libcurl would send for it, minus the headers it adds by itself
  // (no Accept, no Expect: 100-continue, no User-Agent).
  std::string head = request.method + " " + target + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    // libcurl sends no header for "Name:" with an empty value; neither do we.
    if (Trim(value).empty()) continue;
    if (name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      failure.error = TransportError::kOther;
      failure.error_message = "invalid character in HTTP header " + name;
      return failure;
    }
    if (Lower(name) == "host") has_host = true;
    if (Lower(name) == "content-length" || Lower(name) == "transfer-encoding") continue;
    head += name + ": " + value + "\r\n";
  }
  if (!has_host) head += "Host: " + key.substr(key.find("://") + 3) + "\r\n";
  const bool sends_body =
      request.method == "PUT" || request.method == "POST" || !request.body.empty();
  if (sends_body) head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  head += "\r\n";
  // A small body goes out with the head in one piece.
  constexpr size_t kInlineBody = 64 << 10;
  const bool inline_body = request.body.size() <= kInlineBody;
  if (inline_body) head.append(reinterpret_cast<const char*>(request.body.data()), request.body.size());

  for (int attempt = 0;; ++attempt) {
    // After a reused connection turned out dead, the one resend goes on a new connection.
    std::unique_ptr<DirectConnection> conn = attempt == 0 ? TakeIdleConnection(key) : nullptr;
    const bool reused = conn != nullptr;
    if (conn == nullptr) {
      conn = Connect(key, &failure);
      if (conn == nullptr) return failure;
    }
    HttpResult result;
    Wire wire(conn->curl, conn->fd,
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.stall_timeout),
              options_.receive_buffer_bytes, conn->error);
    bool answered_early = false;
    bool ok = wire.Send(AsBytes(head), &answered_early);
    if (ok && !answered_early && !inline_body) ok = wire.Send(request.body, &answered_early);
    bool keep_alive = false;
    if (ok) {
      HttpResponse& resp = result.response;
      std::string line;
      int version = 0;
      // The status line and headers; 1xx interim answers are skipped.
      while (ok) {
        ok = wire.ReadLine(&line);
        if (!ok) break;
        version = HttpVersionOfLine(line);
        resp.status = version != 0 ? StatusOfLine(line) : 0;
        if (resp.status < 100 || resp.status > 999) {
          ok = wire.Fail(TransportError::kOther, CURLE_OK,
                         "Unsupported response from server: " + line.substr(0, 40));
          break;
        }
        resp.headers.clear();
        size_t header_bytes = 0;
        while ((ok = wire.ReadLine(&line)) && !line.empty()) {
          header_bytes += line.size();
          if (header_bytes > (256 << 10)) {
            ok = wire.Fail(TransportError::kNetwork, CURLE_OK, "Response headers too large");
            break;
          }
          size_t colon = line.find(':');
          if (colon == std::string::npos) continue;
          resp.headers[Lower(line.substr(0, colon))] = Trim(std::string_view(line).substr(colon + 1));
        }
        if (!ok || resp.status >= 200) break;
      }
      if (ok) {
        const bool success = resp.status >= 200 && resp.status < 300;
        Bytes* body = (request.body_sink != nullptr && success) ? request.body_sink : &resp.body;
        const std::string connection = resp.Header("connection");
        keep_alive = version == 11 ? !HasToken(connection, "close")
                                   : HasToken(connection, "keep-alive");
        const std::string length = resp.Header("content-length");
        uint64_t n = 0;
        if (request.method == "HEAD" || resp.status == 204 || resp.status == 304) {
          if (body == request.body_sink) body->clear();
        } else if (HasToken(resp.Header("transfer-encoding"), "chunked")) {
          body->clear();
          ok = ReadChunkedBody(wire, body);
        } else if (!length.empty()) {
          if (!ParseDecimal(length, &n)) {
            ok = wire.Fail(TransportError::kNetwork, CURLE_OK, "Invalid Content-Length: " + length);
          } else {
            ok = ReadSizedBody(wire, n, body);
          }
        } else {
          body->clear();
          keep_alive = false;
          ok = wire.ReadUntilClose(body);
        }
        if (answered_early || wire.unconsumed() != 0) keep_alive = false;
      }
    }
    if (ok) {
      if (keep_alive) ReturnConnection(std::move(conn));
      return result;
    }
    // A kept-alive connection the server had closed just before we used it: nothing came back.
    // Send once more on a new connection, as libcurl does (every request here is idempotent).
    if (reused && attempt == 0 && wire.error == TransportError::kNetwork && wire.received() == 0) {
      continue;
    }
    failure.error = wire.error;
    failure.error_message = wire.message;
    return failure;
  }
}

HttpResult HttpClient::DoWithPerform(const HttpRequest& request) {
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
  ApplyTlsOptions(curl, options_);

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
  long connects = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    std::lock_guard lock(mu_);
    connections_ += connects;
  }
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
