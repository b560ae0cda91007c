// HttpClient against a tiny scripted HTTP server on a loopback port: request heads and bodies,
// Content-Length, chunked and until-close answers, keep-alive reuse, servers that close, drop,
// truncate or stall. Each test runs on both paths: direct (CONNECT_ONLY + curl_easy_send/recv)
// and curl_easy_perform, which must behave the same way.
#include "blob/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "blob/testing/child_server.h"

namespace ferry::blob {
namespace {

struct ServedRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lowercased names
  std::string body;
  int connection = 0;  // 0, 1, ... in accept order
  int on_connection = 0;  // index of the request on its connection
};

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string Answer(int status, std::string_view body, std::string extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + std::string(body);
}

// Accepts connections on 127.0.0.1 (one thread each) and reads requests (head, then a
// Content-Length body); for each, `handler` writes whatever it wants to the socket and returns
// whether to go on reading requests on that connection.
class ScriptedServer {
 public:
  using Handler = std::function<bool(int fd, const ServedRequest& r)>;

  explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& target = "/b/k") const {
    return "http://127.0.0.1:" + std::to_string(port_) + target;
  }
  int connections() const {
    std::lock_guard lock(mu_);
    return connections_;
  }
  std::vector<ServedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      open_fds_.push_back(fd);
      int index = connections_++;
      threads_.emplace_back([this, fd, index] { Serve(fd, index); });
    }
  }

  void Serve(int fd, int connection) {
    std::string buffered;
    char chunk[65536];
    for (int on_connection = 0;; ++on_connection) {
      size_t head_end;
      while ((head_end = buffered.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return Close(fd);
        buffered.append(chunk, static_cast<size_t>(n));
      }
      ServedRequest r;
      r.connection = connection;
      r.on_connection = on_connection;
      std::string head = buffered.substr(0, head_end);
      buffered.erase(0, head_end + 4);
      size_t eol = head.find("\r\n");
      std::string first = head.substr(0, eol);
      r.method = first.substr(0, first.find(' '));
      r.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      while (eol != std::string::npos) {
        size_t next = head.find("\r\n", eol + 2);
        std::string line = head.substr(eol + 2, next == std::string::npos ? next : next - eol - 2);
        size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(colon + 2);
        eol = next;
      }
      size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
      // A handler may answer before the body is read (it then reads or drops the rest itself).
      const bool read_body = !r.headers.count("x-answer-early");
      while (read_body && buffered.size() < length) {
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return Close(fd);
        buffered.append(chunk, static_cast<size_t>(n));
      }
      if (read_body) {
        r.body = buffered.substr(0, length);
        buffered.erase(0, length);
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      if (!handler_(fd, r)) return Close(fd);
    }
  }

  void Close(int fd) {
    std::lock_guard lock(mu_);
    std::erase(open_fds_, fd);
    ::close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<int> open_fds_;
  int connections_ = 0;
  std::vector<ServedRequest> requests_;
};

Bytes Pattern(size_t n, uint32_t seed) {
  Bytes b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<uint8_t>(x);
  }
  return b;
}

class HttpClientTest : public ::testing::TestWithParam<bool> {
 protected:
  HttpClientOptions Options() const {
    HttpClientOptions o;
    o.direct_transfers = GetParam();
    o.stall_timeout = std::chrono::seconds(1);
    return o;
  }
};

// A peer closing the connection while a TLS body is being written must fail the request, not
// kill the process with SIGPIPE (OpenSSL writes to the socket without MSG_NOSIGNAL).
TEST(HttpClientSignals, AClientIgnoresSigpipe) {
  HttpClient client{HttpClientOptions{}};
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_IGN);
}

TEST_P(HttpClientTest, SendsTheHeadAndBodyAndReadsSizedBodiesIntoTheSink) {
  const Bytes blob = Pattern(5 << 20, 1);
  ScriptedServer server([&](int fd, const ServedRequest& r) {
    if (r.method == "PUT") return SendAll(fd, Answer(200, "", "ETag: \"e\"\r\n"));
    return SendAll(fd, Answer(200, AsString(blob)));
  });
  HttpClient client(Options());
  const Bytes put_body = Pattern(3 << 20, 2);
  HttpRequest put{"PUT", server.url("/b/a%2Fb?x=1&y=2"),
                  {{"Host", "example:1"}, {"x-amz-date", "20261127T000000Z"}, {"Empty", ""}},
                  put_body};
  HttpResult r = client.Do(put);
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.Header("etag"), "\"e\"");

  Bytes sink = Pattern(100, 3);  // stale bytes that must go
  HttpRequest get{"GET", server.url(), {}, {}, &sink};
  r = client.Do(get);
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_TRUE(r.response.body.empty());
  EXPECT_TRUE(sink == blob);

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].target, "/b/a%2Fb?x=1&y=2");
  EXPECT_EQ(seen[0].headers["host"], "example:1");
  EXPECT_EQ(seen[0].headers["x-amz-date"], "20261127T000000Z");
  EXPECT_EQ(seen[0].headers.count("empty"), 0u);
  EXPECT_EQ(seen[0].headers.count("expect"), 0u);
  EXPECT_EQ(seen[0].headers["content-length"], std::to_string(put_body.size()));
  EXPECT_TRUE(seen[0].body == std::string(AsString(put_body)));
  EXPECT_EQ(seen[1].method, "GET");
  EXPECT_EQ(seen[1].headers["host"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[1].headers.count("content-length"), 0u);
}

TEST_P(HttpClientTest, ReadsChunkedBodies) {
  ScriptedServer server([](int fd, const ServedRequest& r) {
    if (r.target == "/missing") {
      return SendAll(fd,
                     "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "6\r\n<Error\r\n7;ext=1\r\n>x</Er>\r\n0\r\n\r\n");
    }
    return SendAll(fd,
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                   "5\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n");
  });
  HttpClient client(Options());
  Bytes sink = Pattern(1000, 4);
  HttpResult r = client.Do({"GET", server.url("/ok"), {}, {}, &sink});
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.Header("x-a"), "1");
  EXPECT_EQ(AsString(sink), "hello abcdefghijklmnopqrstuvwxy");
  // An error body goes to the response, not to the sink; the connection is still good after.
  r = client.Do({"GET", server.url("/missing"), {}, {}, &sink});
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.response.status, 404);
  EXPECT_EQ(AsString(r.response.body), "<Error>x</Er>");
  r = client.Do({"GET", server.url("/ok"), {}, {}, &sink});
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(AsString(sink), "hello abcdefghijklmnopqrstuvwxy");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_P(HttpClientTest, ReusesKeptAliveConnections) {
  ScriptedServer server([](int fd, const ServedRequest& r) {
    if (r.method == "HEAD") return SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");
    if (r.method == "DELETE") return SendAll(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    return SendAll(fd, Answer(200, r.method + " " + r.body));
  });
  HttpClient client(Options());
  for (int i = 0; i < 4; ++i) {
    HttpResult r = client.Do({"HEAD", server.url(), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.Header("content-length"), "12345");
    r = client.Do({"PUT", server.url(), {}, AsBytes("abc")});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(AsString(r.response.body), "PUT abc");
    r = client.Do({"DELETE", server.url(), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.status, 204);
    r = client.Do({"POST", server.url(), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(AsString(r.response.body), "POST ");
  }
  EXPECT_EQ(server.requests().size(), 16u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.connections_opened(), 1);
  EXPECT_EQ(client.requests(), 16);
}

TEST_P(HttpClientTest, ManyThreadsShareThePool) {
  ScriptedServer server([](int fd, const ServedRequest& r) { return SendAll(fd, Answer(200, r.body)); });
  HttpClient client(Options());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&client, &server, &wrong, t] {
      Bytes sink;
      for (int i = 0; i < 25; ++i) {
        const Bytes body = Pattern(static_cast<size_t>(1000 + 70000 * i), t * 100 + i);
        HttpResult r = client.Do({"PUT", server.url(), {}, body, &sink});
        if (r.error != TransportError::kNone || sink != body) wrong++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(server.connections(), 8);
  EXPECT_EQ(server.requests().size(), 200u);
}

TEST_P(HttpClientTest, ConnectionCloseMeansANewConnectionNextTime) {
  ScriptedServer server([](int fd, const ServedRequest&) {
    SendAll(fd, Answer(200, "x", "Connection: close\r\n"));
    return false;
  });
  HttpClient client(Options());
  for (int i = 0; i < 3; ++i) {
    HttpResult r = client.Do({"GET", server.url(), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(AsString(r.response.body), "x");
  }
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_P(HttpClientTest, BodyWithoutLengthEndsWithTheConnection) {
  ScriptedServer server([](int fd, const ServedRequest&) {
    SendAll(fd, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
    return false;
  });
  HttpClient client(Options());
  Bytes sink;
  HttpResult r = client.Do({"GET", server.url(), {}, {}, &sink});
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(AsString(sink), "until the end");
  r = client.Do({"GET", server.url(), {}, {}, &sink});
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(server.connections(), 2);
}

// The server closes a kept-alive connection while it is idle in the pool: the next request
// notices (or sends once more on a new connection) and succeeds.
TEST_P(HttpClientTest, IdleConnectionClosedByTheServer) {
  ScriptedServer server([](int fd, const ServedRequest&) {
    SendAll(fd, Answer(200, "ok"));
    return false;  // closes right after answering, without saying so
  });
  HttpClient client(Options());
  for (int i = 0; i < 3; ++i) {
    HttpResult r = client.Do({"GET", server.url(), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(AsString(r.response.body), "ok");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(server.connections(), 3);
}

// A reused connection that the server drops after reading the request, with no answer (the race
// of a keep-alive timeout): sent once more on a new connection. On a new connection the same
// drop is an error for the caller to retry.
TEST_P(HttpClientTest, DroppedReusedConnectionIsResentOnce) {
  ScriptedServer server([](int fd, const ServedRequest& r) {
    if (r.target == "/drop-always" || (r.target == "/drop-reused" && r.on_connection > 0)) return false;
    return SendAll(fd, Answer(200, "ok"));
  });
  HttpClient client(Options());
  ASSERT_EQ(client.Do({"GET", server.url("/first"), {}, {}}).error, TransportError::kNone);
  HttpResult r = client.Do({"PUT", server.url("/drop-reused"), {}, AsBytes("body")});
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(AsString(r.response.body), "ok");
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections(), 2);

  r = client.Do({"GET", server.url("/drop-always"), {}, {}});
  EXPECT_EQ(r.error, TransportError::kNetwork);
  EXPECT_NE(r.error_message.find("Empty reply from server"), std::string::npos) << r.error_message;
}

TEST_P(HttpClientTest, ShortBodyIsANetworkError) {
  ScriptedServer server([](int fd, const ServedRequest&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(50000, 'a'));
    return false;
  });
  HttpClient client(Options());
  Bytes sink;
  HttpResult r = client.Do({"GET", server.url(), {}, {}, &sink});
  EXPECT_EQ(r.error, TransportError::kNetwork) << r.error_message;
  // Chunked and cut in the middle of a chunk: the same.
  ScriptedServer chunked([](int fd, const ServedRequest&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
    return false;
  });
  r = client.Do({"GET", chunked.url(), {}, {}, &sink});
  EXPECT_EQ(r.error, TransportError::kNetwork) << r.error_message;
}

TEST_P(HttpClientTest, StallIsATimeout) {
  ScriptedServer server([](int fd, const ServedRequest& r) {
    if (r.target == "/head-only") {
      SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(4000));
    return false;
  });
  HttpClient client(Options());  // stall timeout 1 s
  for (const char* target : {"/silent", "/head-only"}) {
    auto start = std::chrono::steady_clock::now();
    HttpResult r = client.Do({"GET", server.url(target), {}, {}});
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (GetParam()) {
      EXPECT_EQ(r.error, TransportError::kTimeout) << target << ": " << r.error_message;
      EXPECT_GE(seconds, 0.9) << target;
      EXPECT_LT(seconds, 2.5) << target;
    } else {
      // libcurl's low-speed check (1 byte/s averaged over the stall time, sampled each second)
      // may fire only after the server has given up (4 s) and closed: a failure either way.
      EXPECT_NE(r.error, TransportError::kNone) << target;
    }
  }
}

// A large body that arrives slowly, in pieces smaller than the receive low-water mark, is
// progress and not a stall; once it is read, the kept-alive connection serves a small answer
// at once (the mark is back to its default). Both sink paths: a reused buffer (read in place)
// and an empty one (appended through the staging piece).
TEST_P(HttpClientTest, TricklingBodyIsProgressNotAStall) {
  constexpr size_t kPiece = 60 << 10, kPieces = 5;  // 300 KiB, more than the 256 KiB mark
  const Bytes blob = Pattern(kPiece * kPieces, 11);
  ScriptedServer server([&](int fd, const ServedRequest& r) {
    if (r.target == "/small") return SendAll(fd, Answer(200, "ok"));
    if (r.target == "/fast") return SendAll(fd, Answer(200, AsString(blob)));
    if (!SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(blob.size()) + "\r\n\r\n")) return false;
    for (size_t i = 0; i < kPieces; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(800));
      if (!SendAll(fd, AsString(ByteView(blob.data() + i * kPiece, kPiece)))) return false;
    }
    return true;
  });
  HttpClientOptions o = Options();
  // Less than the 3.2 s the whole body takes, more than the 0.8 s between pieces: waiting for
  // the low-water mark to fill would look like a stall.
  o.stall_timeout = std::chrono::seconds(2);
  HttpClient client(o);
  for (std::string target : {"/fast", "/trickle"}) {
    for (bool reused : {true, false}) {
      SCOPED_TRACE(target + (reused ? " into a reused buffer" : " appended"));
      Bytes sink = reused ? Pattern(blob.size(), 12) : Bytes();
      HttpResult r = client.Do({"GET", server.url(target), {}, {}, &sink});
      ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
      EXPECT_TRUE(sink == blob);
      auto start = std::chrono::steady_clock::now();
      r = client.Do({"GET", server.url("/small"), {}, {}});
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
      EXPECT_EQ(AsString(r.response.body), "ok");
      EXPECT_LT(seconds, 0.5);
    }
  }
  if (GetParam()) {
    EXPECT_EQ(client.connections_opened(), 1);
  }
}

// The server answers 403 without reading a large body (as S3 may for a bad signature): the
// client stops sending and returns the answer instead of waiting for the stall timeout.
TEST_P(HttpClientTest, EarlyAnswerDuringALargeUpload) {
  ScriptedServer server([](int fd, const ServedRequest&) {
    SendAll(fd, Answer(403, "<Error><Code>AccessDenied</Code></Error>"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // not reading
    return false;
  });
  HttpClientOptions o = Options();
  o.stall_timeout = std::chrono::seconds(5);
  HttpClient client(o);
  const Bytes body = Pattern(64 << 20, 5);
  auto start = std::chrono::steady_clock::now();
  HttpResult r = client.Do({"PUT", server.url(), {{"x-answer-early", "1"}}, body});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.error == TransportError::kNone) {
    EXPECT_EQ(r.response.status, 403);
    EXPECT_NE(AsString(r.response.body).find("AccessDenied"), std::string::npos);
    EXPECT_LT(seconds, 4.0);
  } else {
    // libcurl may also see the close before the answer; never a hang until the stall timeout.
    EXPECT_EQ(r.error, TransportError::kNetwork) << r.error_message;
    EXPECT_FALSE(GetParam()) << "the direct path reads the early answer: " << r.error_message;
  }
}

TEST_P(HttpClientTest, RefusedConnectionIsAConnectError) {
  int port;
  {
    ScriptedServer gone([](int, const ServedRequest&) { return false; });
    port = gone.port();
  }
  HttpClient client(Options());
  HttpResult r = client.Do({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}});
  EXPECT_EQ(r.error, TransportError::kConnect) << r.error_message;
  EXPECT_NE(r.error_message.find("Failed to connect to 127.0.0.1 port"), std::string::npos)
      << r.error_message;
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpClientTest, ::testing::Values(true, false),
                         [](const auto& path) { return path.param ? "Direct" : "Perform"; });

// testing/tls_echo_server.py (Python's ssl module, TLS 1.3) with a fresh self-signed
// certificate for localhost / 127.0.0.1, as a child process killed at destruction.
class TlsEchoServer {
 public:
  TlsEchoServer() : dir_(MakeCertificate()), child_(Argv(dir_)) {}
  ~TlsEchoServer() {
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }
  int port() const { return child_.port(); }
  std::string cert_file() const { return dir_ + "/cert.pem"; }
  std::string url(const std::string& host, const std::string& path) const {
    return "https://" + host + ":" + std::to_string(port()) + path;
  }

 private:
  // A directory holding a fresh self-signed certificate for localhost and 127.0.0.1 ("" if
  // openssl failed).
  static std::string MakeCertificate() {
    char dir_template[] = "/tmp/ferry-tls-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return "";
    const std::string dir = dir_template;
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir + "/key.pem -out " + dir +
        "/cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
        "-days 2 >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return "";
    return dir;
  }
  static std::vector<std::string> Argv(const std::string& dir) {
    if (dir.empty()) return {};
    return {"python3", std::string(FERRY_SOURCE_DIR) + "/src/blob/testing/tls_echo_server.py",
            dir + "/cert.pem", dir + "/key.pem", "--max-seconds", "120"};
  }

  std::string dir_;
  testing::ChildServer child_;
};

class HttpClientTlsTest : public HttpClientTest {};

TEST_P(HttpClientTlsTest, RoundTripsOverTlsOnOneConnection) {
  TlsEchoServer server;
  ASSERT_GT(server.port(), 0) << "needs openssl and python3";
  HttpClientOptions o = Options();
  o.ca_cert_file = server.cert_file();
  HttpClient client(o);
  Bytes sink;
  for (int i = 0; i < 4; ++i) {
    const Bytes body = Pattern(static_cast<size_t>(3 << 20) + static_cast<size_t>(i) * 77777, i);
    const std::string path = "/b/k" + std::to_string(i);
    HttpResult r = client.Do({"PUT", server.url("localhost", path), {}, body});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.status, 200);
    r = client.Do({"GET", server.url("localhost", path), {}, {}, &sink});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_TRUE(sink == body) << i;
    r = client.Do({"HEAD", server.url("localhost", path), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.Header("content-length"), std::to_string(body.size()));
    r = client.Do({"GET", server.url("localhost", "/missing"), {}, {}, &sink});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.status, 404);
    EXPECT_EQ(AsString(r.response.body), "<Error><Code>NoSuchKey</Code></Error>");
  }
  EXPECT_EQ(client.connections_opened(), 1) << "kept alive over TLS";
}

TEST_P(HttpClientTlsTest, CertificateOptions) {
  TlsEchoServer server;
  ASSERT_GT(server.port(), 0) << "needs openssl and python3";
  {
    HttpClient client(Options());  // the system CAs do not know this certificate
    HttpResult r = client.Do({"GET", server.url("127.0.0.1", "/x"), {}, {}});
    EXPECT_EQ(r.error, TransportError::kTls) << r.error_message;
  }
  {
    HttpClientOptions o = Options();
    o.verify_tls = false;
    HttpClient client(o);
    HttpResult r = client.Do({"GET", server.url("127.0.0.1", "/x"), {}, {}});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.status, 404);
  }
  {
    HttpClientOptions o = Options();
    std::ifstream in(server.cert_file());
    std::stringstream pem;
    pem << in.rdbuf();
    o.ca_cert_pem = pem.str();
    HttpClient client(o);
    HttpResult r = client.Do({"PUT", server.url("127.0.0.1", "/x"), {}, AsBytes("pem")});
    ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
    EXPECT_EQ(r.response.status, 200);
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, HttpClientTlsTest, ::testing::Values(true, false),
                         [](const auto& path) { return path.param ? "Direct" : "Perform"; });

// An HTTP proxy in the environment sends non-loopback requests through curl_easy_perform, which
// knows how to use it; loopback never goes through a proxy.
TEST(HttpClientProxyTest, ProxyVariablesSelectThePerformPath) {
  const char* names[] = {"https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"};
  std::vector<std::pair<std::string, std::string>> saved;
  for (const char* name : names) {
    if (const char* v = std::getenv(name)) saved.emplace_back(name, v);
    unsetenv(name);
  }
  HttpClient client(HttpClientOptions{});
  EXPECT_TRUE(client.UsesDirectTransfer("https://s3.amazonaws.com/b/k"));
  setenv("https_proxy", "http://proxy.invalid:3128", 1);
  EXPECT_FALSE(client.UsesDirectTransfer("https://s3.amazonaws.com/b/k"));
  EXPECT_TRUE(client.UsesDirectTransfer("https://127.0.0.1:9000/b/k"));
  EXPECT_TRUE(client.UsesDirectTransfer("http://s3.amazonaws.com/b/k"))
      << "https_proxy is for https only";
  unsetenv("https_proxy");
  for (const auto& [name, value] : saved) setenv(name.c_str(), value.c_str(), 1);
  HttpClientOptions off;
  off.direct_transfers = false;
  EXPECT_FALSE(HttpClient(off).UsesDirectTransfer("http://127.0.0.1:1/"));
}

}  // namespace
}  // namespace ferry::blob
