// FaultProxy: testing/fault_proxy.py as a ChildServer between ferry and an S3 server (moto), for
// the S3 fault tests. Test-only code.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "blob/http_client.h"
#include "blob/testing/child_server.h"
#include "blob/testing/moto_server.h"

namespace ferry::blob::testing {

// testing/fault_proxy.py between ferry and the S3 server on `upstream_port`: `args` name the
// faults and their rates (see the script); `seed` makes a run repeatable.
class FaultProxy {
 public:
  FaultProxy(int upstream_port, uint64_t seed, std::vector<std::string> args)
      : child_(Argv(upstream_port, seed, std::move(args))) {}

  int port() const { return child_.port(); }

  // What the proxy counted (faults injected, requests), from its /__fault_stats; {} if unreachable.
  nlohmann::json Stats() const {
    HttpClient http(HttpClientOptions{});
    HttpResult r = http.Do({"GET", "http://127.0.0.1:" + std::to_string(port()) + "/__fault_stats", {}, {}});
    if (r.error != TransportError::kNone) return {};
    return nlohmann::json::parse(AsString(r.response.body), nullptr, false);
  }

 private:
  static std::vector<std::string> Argv(int upstream_port, uint64_t seed, std::vector<std::string> args) {
    std::vector<std::string> argv = {"python3", TestingFile("fault_proxy.py"), std::to_string(upstream_port),
                                     std::to_string(seed)};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  ChildServer child_;
};

}  // namespace ferry::blob::testing
