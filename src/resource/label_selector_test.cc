#include "resource/label_selector.h"

#include <gtest/gtest.h>

namespace ferry::resource {
namespace {

TEST(LabelSelector, EqualityAndSetBased) {
  auto sel = LabelSelector::Parse("app=mysql, tier!=cache,env in (prod, staging),!skip,owner");
  ASSERT_TRUE(sel.ok()) << sel.status().ToString();
  ASSERT_EQ(sel->requirements().size(), 5u);
  EXPECT_EQ(sel->ToString(), "app=mysql,tier!=cache,env in (prod,staging),!skip,owner");
  std::map<std::string, std::string> labels = {{"app", "mysql"}, {"env", "prod"}, {"owner", "x"}};
  EXPECT_TRUE(sel->Matches(labels));
  labels["tier"] = "cache";
  EXPECT_FALSE(sel->Matches(labels));
  labels["tier"] = "db";
  EXPECT_TRUE(sel->Matches(labels));
  labels["skip"] = "";
  EXPECT_FALSE(sel->Matches(labels));
  labels.erase("skip");
  labels["env"] = "dev";
  EXPECT_FALSE(sel->Matches(labels));
  labels["env"] = "staging";
  labels.erase("owner");
  EXPECT_FALSE(sel->Matches(labels));
}

TEST(LabelSelector, NotInAndDoubleEquals) {
  auto sel = LabelSelector::Parse("a==1,b notin (x,y)");
  ASSERT_TRUE(sel.ok());
  EXPECT_TRUE(sel->Matches({{"a", "1"}}));  // b absent: notin matches
  EXPECT_TRUE(sel->Matches({{"a", "1"}, {"b", "z"}}));
  EXPECT_FALSE(sel->Matches({{"a", "1"}, {"b", "y"}}));
  EXPECT_FALSE(sel->Matches({{"a", "2"}}));
}

TEST(LabelSelector, EmptyMatchesEverything) {
  auto sel = LabelSelector::Parse("  ");
  ASSERT_TRUE(sel.ok());
  EXPECT_TRUE(sel->empty());
  EXPECT_TRUE(sel->Matches({}));
  EXPECT_TRUE(LabelSelector().Matches({{"a", "b"}}));
}

TEST(LabelSelector, ErrorsNameTheBadPart) {
  for (const char* bad : {"a=b,", "a in x", "a in (x", "a b", "=x", "a=b c", "a=(b)"}) {
    auto sel = LabelSelector::Parse(bad);
    EXPECT_FALSE(sel.ok()) << bad;
    EXPECT_EQ(sel.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto sel = LabelSelector::Parse("app=my$ql");
  ASSERT_FALSE(sel.ok());
  EXPECT_NE(sel.status().message().find("my$ql"), std::string::npos);
}

TEST(LabelSelector, FromMetav1Json) {
  auto sel = LabelSelector::FromJson(Object::parse(R"({
    "matchLabels": {"velero.io/dynamic-pv-restore": "ns.pvc.abcde"},
    "matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]},
                         {"key": "gone", "operator": "DoesNotExist"}]})"));
  ASSERT_TRUE(sel.ok()) << sel.status().ToString();
  EXPECT_TRUE(sel->Matches({{"velero.io/dynamic-pv-restore", "ns.pvc.abcde"}, {"zone", "b"}}));
  EXPECT_FALSE(sel->Matches({{"velero.io/dynamic-pv-restore", "ns.pvc.abcde"}, {"zone", "c"}}));
  EXPECT_FALSE(sel->Matches({{"velero.io/dynamic-pv-restore", "ns.pvc.abcde"}, {"zone", "a"}, {"gone", "1"}}));
  EXPECT_FALSE(LabelSelector::FromJson(Object::parse(R"({"matchExpressions":[{"key":"a","operator":"Near"}]})")).ok());
  EXPECT_FALSE(LabelSelector::FromJson(Object::parse(R"({"matchExpressions":[{"key":"a","operator":"In"}]})")).ok());
  auto eq = LabelSelector::Equals({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(eq.ToString(), "a=1,b=2");
  EXPECT_TRUE(eq.Matches({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_FALSE(eq.Matches({{"a", "1"}}));
}

}  // namespace
}  // namespace ferry::resource
