// MotoServer: a real S3 server for tests. Starts `python3 -m moto.server` on a free loopback port
// (found by binding port 0 first) in its own process group, waits until it answers, creates an
// IAM user with an access key allowed s3:*, creates the buckets, and then turns on moto's request
// authentication, so that every later request's SigV4 signature is checked for real. The process
// group is killed when the object goes away (and by the kernel if the test process dies first:
// the child has PR_SET_PDEATHSIG).
//
// If python3 or moto is missing, Start fails with a message saying so: the S3 tests then FAIL,
// they are not skipped (CI has moto; see docs/s3.md).
//
// Test-only code. Loopback only.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "blob/s3_signer.h"
#include "blob/s3_storage.h"

namespace ferry::blob::testing {

class MotoServer {
 public:
  struct Options {
    std::vector<std::string> buckets = {"ferry-test"};
    // Buckets created with object lock enabled (PutObject may carry retention).
    std::vector<std::string> object_lock_buckets = {"ferry-lock"};
  };

  static Result<std::unique_ptr<MotoServer>> Start(Options options);
  // One server per test process, started on first use and stopped at exit. Fails the calling
  // test (ADD_FAILURE with the reason) and returns null if it cannot start.
  static MotoServer* Shared();

  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  const AwsCredentials& credentials() const { return credentials_; }
  const std::string& log_path() const { return log_path_; }

  // moto cannot check signatures of listings whose prefix contains '/': it rebuilds the query
  // from a URL that has %2F decoded, so a correct signature (boto3's too) does not match. Tests
  // that list such prefixes turn authentication off around them (see docs/s3.md).
  Status SetAuth(bool enabled);

  // S3 options for this server: path style, no TLS, the user's keys, quick retries.
  S3Options OptionsFor(const std::string& bucket, const std::string& prefix) const;

  // Runs `python3 <script> ARGS` with the server's endpoint and keys in the environment
  // (FERRY_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); returns its stdout, or an
  // error with its output.
  Result<std::string> RunPython(const std::string& code) const;

 private:
  MotoServer() = default;
  void Stop();

  pid_t pid_ = -1;
  int port_ = 0;
  AwsCredentials credentials_;
  std::string log_path_;
};

// A free TCP port on 127.0.0.1 (bound to port 0 and released).
Result<int> PickFreeLoopbackPort();

// Path of a file in src/blob/testing/.
std::string TestingFile(const std::string& name);

}  // namespace ferry::blob::testing
