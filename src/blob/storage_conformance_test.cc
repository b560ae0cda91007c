// Runs the conformance suite against every local storage and the wrapper stacks ferry uses.
#include "blob/storage_conformance.h"

#include <chrono>
#include <memory>

#include "blob/caching_storage.h"
#include "blob/fault_injecting_storage.h"
#include "blob/filesystem_storage.h"
#include "blob/memory_storage.h"
#include "blob/retrying_storage.h"

namespace ferry::blob {
namespace {

Result<std::shared_ptr<Storage>> MakeMemory(const std::string&) {
  return std::shared_ptr<Storage>(std::make_shared<MemoryStorage>());
}

Result<std::shared_ptr<Storage>> MakeFilesystem(const std::string& dir) {
  FERRY_ASSIGN_OR_RETURN(auto fs, CreateFilesystemStorage(dir + "/repo"));
  return std::shared_ptr<Storage>(std::move(fs));
}

RetryOptions FastRetries() {
  RetryOptions o;
  o.max_attempts = 4;
  o.initial_delay = std::chrono::microseconds(100);
  o.max_delay = std::chrono::microseconds(1000);
  return o;
}

// The stack a repository would use: cache over retries over the backend.
Result<std::shared_ptr<Storage>> MakeFilesystemRetryingCaching(const std::string& dir) {
  FERRY_ASSIGN_OR_RETURN(auto fs, MakeFilesystem(dir));
  auto retrying = std::make_shared<RetryingStorage>(std::move(fs), FastRetries());
  return std::shared_ptr<Storage>(
      std::make_shared<CachingStorage>(std::move(retrying), CacheOptions{40 << 20, {}}));
}

Result<std::shared_ptr<Storage>> MakeMemoryCachingByPrefix(const std::string&) {
  CacheOptions options{1 << 20, {"x", "q", "kopia."}};
  return std::shared_ptr<Storage>(
      std::make_shared<CachingStorage>(std::make_shared<MemoryStorage>(), options));
}

// Fault injection enabled but with nothing scripted: must be transparent.
Result<std::shared_ptr<Storage>> MakeMemoryFaultInjectingIdle(const std::string&) {
  return std::shared_ptr<Storage>(
      std::make_shared<FaultInjectingStorage>(std::make_shared<MemoryStorage>(), 42));
}

// Random transient faults on every operation, hidden by retries (4 attempts at 5% failure:
// a spurious test failure has probability ~6e-6 per operation).
Result<std::shared_ptr<Storage>> MakeMemoryFlakyRetrying(const std::string&) {
  auto faults = std::make_shared<FaultInjectingStorage>(std::make_shared<MemoryStorage>(), 7);
  for (Op op : {Op::kPut, Op::kGet, Op::kGetMetadata, Op::kDelete, Op::kList}) {
    faults->SetFailureProbability(op, 0.05);
  }
  RetryOptions retry = FastRetries();
  retry.max_attempts = 8;
  return std::shared_ptr<Storage>(std::make_shared<RetryingStorage>(std::move(faults), retry));
}

INSTANTIATE_TEST_SUITE_P(
    Local, StorageConformanceTest,
    ::testing::Values(StorageFactory{"memory", MakeMemory},
                      StorageFactory{"filesystem", MakeFilesystem},
                      StorageFactory{"filesystem_retrying_caching", MakeFilesystemRetryingCaching},
                      StorageFactory{"memory_caching_by_prefix", MakeMemoryCachingByPrefix},
                      StorageFactory{"memory_fault_injecting_idle", MakeMemoryFaultInjectingIdle},
                      StorageFactory{"memory_flaky_retrying", MakeMemoryFlakyRetrying}),
    StorageFactoryName);

}  // namespace
}  // namespace ferry::blob
