#include "cli/units.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ferry::cli {
namespace {

TEST(UnitsTest, LikeKopia) {
  EXPECT_EQ(BytesStringBase10(0), "0 B");
  EXPECT_EQ(BytesStringBase10(899), "899 B");
  EXPECT_EQ(BytesStringBase10(900), "0.9 KB");
  EXPECT_EQ(BytesStringBase10(1500000), "1.5 MB");
  EXPECT_EQ(BytesStringBase10(2.9e9), "2.9 GB");
  EXPECT_EQ(BytesStringBase2(1048576), "1 MiB");
  EXPECT_EQ(BytesStringBase2(3.0 * 1024 * 1024 * 1024), "3 GiB");
  unsetenv("KOPIA_BYTES_STRING_BASE_2");
  EXPECT_EQ(BytesString(1048576), "1 MB");
  setenv("KOPIA_BYTES_STRING_BASE_2", "true", 1);
  EXPECT_EQ(BytesString(1048576), "1 MiB");
  unsetenv("KOPIA_BYTES_STRING_BASE_2");
}

}  // namespace
}  // namespace ferry::cli
