#include "io/http/request.h"

#include <gtest/gtest.h>

namespace accord::http {
namespace {

TEST(ParseTarget, SplitsAndDecodesPathAndQuery) {
  std::string error;
  auto target = ParseTarget("/v1/deals/crm%3Ad%2F1?email=a%40b.de&limit=10&q=a+b&flag", error);
  ASSERT_TRUE(target) << error;
  EXPECT_EQ(target->path, "/v1/deals/crm:d/1");
  EXPECT_EQ(target->params.find("email")->second, "a@b.de");
  EXPECT_EQ(target->params.find("limit")->second, "10");
  EXPECT_EQ(target->params.find("q")->second, "a b");
  EXPECT_EQ(target->params.find("flag")->second, "");
}

TEST(ParseTarget, KeepsPlusInThePathAndRepeatedParameters) {
  std::string error;
  auto target = ParseTarget("/a+b?x=1&x=2&&", error);
  ASSERT_TRUE(target) << error;
  EXPECT_EQ(target->path, "/a+b");
  EXPECT_EQ(target->params.count("x"), 2u);
}

TEST(ParseTarget, RefusesWhatIsNotAnOriginFormTargetOrDecodesBadly) {
  for (const char* bad : {"", "*", "http://example.com/", "v1/funnel", "/%", "/%4", "/%zz",
                          "/a%00b", "/?email=%00", "/?%g0=1"}) {
    std::string error;
    EXPECT_FALSE(ParseTarget(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(Request, FindsHeadersIgnoringCase) {
  Request request;
  request.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Header("X-A"), "1");
  EXPECT_FALSE(request.Header("authorization"));
}

TEST(ErrorResponse, IsJsonEvenForBytesThatAreNotUtf8) {
  auto response = ErrorResponse(400, "bad \xff value");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"error\":\"bad \xEF\xBF\xBD value\"}\n");
}

}  // namespace
}  // namespace accord::http
