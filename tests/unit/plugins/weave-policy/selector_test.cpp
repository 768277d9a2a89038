// Label selector matching: every operator, the empty selector, and parts combined.
#include <gtest/gtest.h>

#include "selector.hpp"

namespace weft::weave {
namespace {

using Op = Requirement::Op;

LabelSelector expr(std::string key, Op op, std::vector<std::string> values = {}) {
    return LabelSelector{{}, {Requirement{std::move(key), op, std::move(values)}}};
}

const Labels kWeb{{"app", "web"}, {"tier", "front"}};

TEST(Selector, EmptySelectsEverything) {
    EXPECT_TRUE(matches({}, {}));
    EXPECT_TRUE(matches({}, kWeb));
}

TEST(Selector, MatchLabelsNeedsEveryPair) {
    EXPECT_TRUE(matches({{{"app", "web"}}, {}}, kWeb));
    EXPECT_TRUE(matches({{{"app", "web"}, {"tier", "front"}}, {}}, kWeb));
    EXPECT_FALSE(matches({{{"app", "web"}, {"tier", "back"}}, {}}, kWeb));
    EXPECT_FALSE(matches({{{"app", "db"}}, {}}, kWeb));
    EXPECT_FALSE(matches({{{"zone", "a"}}, {}}, kWeb));
    EXPECT_FALSE(matches({{{"app", "web"}}, {}}, {}));
    // A value is compared whole, not as a prefix, and an empty value is a value.
    EXPECT_FALSE(matches({{{"app", "we"}}, {}}, kWeb));
    EXPECT_TRUE(matches({{{"flag", ""}}, {}}, {{"flag", ""}}));
    EXPECT_FALSE(matches({{{"flag", ""}}, {}}, {}));
}

TEST(Selector, In) {
    EXPECT_TRUE(matches(expr("app", Op::In, {"db", "web"}), kWeb));
    EXPECT_FALSE(matches(expr("app", Op::In, {"db"}), kWeb));
    EXPECT_FALSE(matches(expr("zone", Op::In, {"a", "b"}), kWeb));  // absent key: no
}

TEST(Selector, NotIn) {
    EXPECT_FALSE(matches(expr("app", Op::NotIn, {"db", "web"}), kWeb));
    EXPECT_TRUE(matches(expr("app", Op::NotIn, {"db"}), kWeb));
    EXPECT_TRUE(matches(expr("zone", Op::NotIn, {"a"}), kWeb));  // absent key: yes
    EXPECT_TRUE(matches(expr("zone", Op::NotIn, {"a"}), {}));
}

TEST(Selector, Exists) {
    EXPECT_TRUE(matches(expr("app", Op::Exists), kWeb));
    EXPECT_FALSE(matches(expr("zone", Op::Exists), kWeb));
    EXPECT_TRUE(matches(expr("flag", Op::Exists), {{"flag", ""}}));
}

TEST(Selector, DoesNotExist) {
    EXPECT_FALSE(matches(expr("app", Op::DoesNotExist), kWeb));
    EXPECT_TRUE(matches(expr("zone", Op::DoesNotExist), kWeb));
    EXPECT_TRUE(matches(expr("zone", Op::DoesNotExist), {}));
}

TEST(Selector, LabelsAndExpressionsAllMustHold) {
    LabelSelector s{
        {{"app", "web"}},
        {Requirement{"tier", Op::In, {"back", "front"}}, Requirement{"zone", Op::DoesNotExist, {}},
         Requirement{"canary", Op::NotIn, {"true"}}}};
    EXPECT_TRUE(matches(s, kWeb));
    EXPECT_TRUE(matches(s, {{"app", "web"}, {"tier", "back"}, {"canary", "false"}}));
    EXPECT_FALSE(matches(s, {{"app", "web"}, {"tier", "back"}, {"canary", "true"}}));
    EXPECT_FALSE(matches(s, {{"app", "web"}, {"tier", "front"}, {"zone", "a"}}));
    EXPECT_FALSE(matches(s, {{"app", "web"}, {"tier", "middle"}}));
    EXPECT_FALSE(matches(s, {{"app", "web"}}));  // In needs the key
    EXPECT_FALSE(matches(s, {{"app", "db"}, {"tier", "front"}}));
}

TEST(Selector, SeveralExpressionsOnOneKey) {
    LabelSelector s{
        {}, {Requirement{"env", Op::Exists, {}}, Requirement{"env", Op::NotIn, {"dev", "test"}}}};
    EXPECT_TRUE(matches(s, {{"env", "prod"}}));
    EXPECT_FALSE(matches(s, {{"env", "dev"}}));
    EXPECT_FALSE(matches(s, {}));  // NotIn alone would pass; Exists does not
}

}  // namespace
}  // namespace weft::weave
