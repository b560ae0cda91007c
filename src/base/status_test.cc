#include "base/status.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  FERRY_ASSIGN_OR_RETURN(int h, Half(x));
  FERRY_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = Status::NotFound("no such blob");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: no such blob");
  EXPECT_EQ(s.WithContext("reading pack p1").message(), "reading pack p1: no such blob");
  EXPECT_TRUE(Status::OK().WithContext("x").ok());
}

TEST(StatusTest, ResultPropagation) {
  auto r = Quarter(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "odd number 3");
}

}  // namespace
}  // namespace ferry
