// The storage conformance suite: one set of assertions (StorageConformanceTest, TEST_P) that
// every Storage implementation and wrapper stack must pass. A backend's test binary links the
// `ferry_blob_conformance` object library and instantiates the suite with its factories:
//
//   INSTANTIATE_TEST_SUITE_P(S3, StorageConformanceTest,
//                            ::testing::Values(StorageFactory{"minio", MakeMinio}),
//                            StorageFactoryName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "blob/storage.h"
#include "blob/test_util.h"

namespace ferry::blob {

struct StorageFactory {
  // Test-name suffix: letters, digits and '_' only.
  std::string name;
  // Returns a new, empty storage. `dir` is a fresh temporary directory the factory may use (and
  // that outlives the storage).
  std::function<Result<std::shared_ptr<Storage>>(const std::string& dir)> make;
  // Whether blob timestamps come from the real clock (checked against it with some slack).
  bool real_clock = true;
};

// So that gtest prints the factory's name instead of its bytes.
void PrintTo(const StorageFactory& factory, std::ostream* os);

std::string StorageFactoryName(const ::testing::TestParamInfo<StorageFactory>& info);

class StorageConformanceTest : public ::testing::TestWithParam<StorageFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<testutil::TempDir> dir_;
  std::shared_ptr<Storage> storage_;
};

}  // namespace ferry::blob
