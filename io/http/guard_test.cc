#include "io/http/guard.h"

#include <gtest/gtest.h>

namespace accord::http {
namespace {

ServerOptions WithPrincipals() {
  ServerOptions options;
  options.principals = {{"dashboard", Access::kAggregate, "dashboard-token-0123456789"},
                        {"auditor", Access::kRead, "auditor-token-0123456789"},
                        {"ops", Access::kAdmin, "ops-token-0123456789"}};
  options.allowed_hosts = {"Accord.Example.com"};
  options.allowed_origins = {"https://ops.example.com"};
  return options;
}

TEST(HostName, ReadsHostsWithAndWithoutPorts) {
  EXPECT_EQ(HostName("Example.COM:8080"), "example.com");
  EXPECT_EQ(HostName("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostName("[::1]:8080"), "::1");
  EXPECT_EQ(HostName(" localhost "), "localhost");
  for (const char* bad :
       {"", "a:b", "host:", "[::1", "[example.com]:80", "a b", "a/b:80", "host:123456", "[::1]x"})
    EXPECT_FALSE(HostName(bad)) << bad;
}

TEST(Guard, AcceptsIpLiteralsLocalhostAndConfiguredNamesOnly) {
  Guard guard(WithPrincipals());
  for (const char* host : {"127.0.0.1:8080", "10.1.2.3", "[::1]:80", "localhost:8080",
                           "accord.example.com", "ACCORD.example.com:443"})
    EXPECT_FALSE(guard.CheckHost(host)) << host;
  auto rebound = guard.CheckHost("attacker.example:8080");
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 421);
  EXPECT_EQ(rebound->reason, "bad_host");
  EXPECT_EQ(guard.CheckHost(std::nullopt)->status, 400);
  EXPECT_EQ(guard.CheckHost("bad host")->status, 400);
}

TEST(Guard, StateChangesNeedJsonAndAnAllowedOriginIfAny) {
  Guard guard(WithPrincipals());
  EXPECT_FALSE(guard.CheckStateChange("GET", "https://evil.example", "text/plain"));
  EXPECT_FALSE(guard.CheckStateChange("POST", std::nullopt, "application/json"));
  EXPECT_FALSE(
      guard.CheckStateChange("POST", "https://OPS.example.com", "Application/JSON; charset=utf-8"));
  auto plain = guard.CheckStateChange("POST", std::nullopt, "text/plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 415);
  EXPECT_EQ(guard.CheckStateChange("POST", std::nullopt, std::nullopt)->status, 415);
  EXPECT_EQ(guard.CheckStateChange("DELETE", std::nullopt, "multipart/form-data")->status, 415);
  auto foreign = guard.CheckStateChange("POST", "https://evil.example", "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  EXPECT_EQ(foreign->reason, "bad_origin");
  EXPECT_EQ(guard.CheckStateChange("POST", "null", "application/json")->status, 403);
}

TEST(Guard, RolesAreOrderedAndTokensMustMatchExactly) {
  Guard guard(WithPrincipals());
  std::string who;
  EXPECT_FALSE(guard.Authorize(Access::kOpen, std::nullopt, who));
  EXPECT_EQ(who, "");
  EXPECT_FALSE(guard.Authorize(Access::kRead, "Bearer auditor-token-0123456789", who));
  EXPECT_EQ(who, "auditor");
  EXPECT_FALSE(guard.Authorize(Access::kAggregate, "bearer  auditor-token-0123456789 ", who));
  EXPECT_FALSE(guard.Authorize(Access::kRead, "Bearer ops-token-0123456789", who));
  EXPECT_EQ(who, "ops");

  auto too_low = guard.Authorize(Access::kRead, "Bearer dashboard-token-0123456789", who);
  ASSERT_TRUE(too_low);
  EXPECT_EQ(too_low->status, 403);
  EXPECT_EQ(who, "dashboard");
  EXPECT_EQ(guard.Authorize(Access::kAdmin, "Bearer auditor-token-0123456789", who)->status, 403);

  for (std::optional<std::string_view> bad :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("Bearer"), std::optional<std::string_view>("Bearer "),
        std::optional<std::string_view>("Basic b3BzOm9wcw=="),
        std::optional<std::string_view>("Bearer ops-token-012345678"),
        std::optional<std::string_view>("Bearer ops-token-0123456789x"),
        std::optional<std::string_view>("Bearer OPS-TOKEN-0123456789")}) {
    auto refused = guard.Authorize(Access::kAggregate, bad, who);
    ASSERT_TRUE(refused) << bad.value_or("(none)");
    EXPECT_EQ(refused->status, 401);
    EXPECT_EQ(who, "");
  }
}

TEST(Guard, NoPrincipalsMeansNoAccessUnlessInsecure) {
  ServerOptions options;
  std::string who;
  EXPECT_EQ(
      Guard(options).Authorize(Access::kAggregate, "Bearer anything-at-all-here", who)->status,
      401);
  options.insecure_no_auth = true;
  EXPECT_FALSE(Guard(options).Authorize(Access::kAdmin, std::nullopt, who));
  EXPECT_EQ(who, "anonymous");
}

TEST(Access, NamesRoundTrip) {
  for (Access access : {Access::kOpen, Access::kAggregate, Access::kRead, Access::kAdmin})
    EXPECT_EQ(ParseAccess(AccessName(access)), access);
  EXPECT_FALSE(ParseAccess("root"));
}

}  // namespace
}  // namespace accord::http
