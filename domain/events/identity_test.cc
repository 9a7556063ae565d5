#include "domain/events/identity.h"

#include <gtest/gtest.h>

namespace accord::events {
namespace {

TEST(NormaliseEmail, TrimsAndLowercases) {
  EXPECT_EQ(NormaliseEmail("  Anna.Meier@Example-Corp.DE \t\r\n"), "anna.meier@example-corp.de");
  EXPECT_EQ(NormaliseEmail("x@y.io"), "x@y.io");
  EXPECT_EQ(NormaliseEmail("first+tag@sub.domain.co.uk"), "first+tag@sub.domain.co.uk");
}

TEST(NormaliseEmail, RejectsWhatIsNotAnAddress) {
  for (const char* raw :
       {"", "   ", "anna", "anna@", "@corp.de", "anna@@corp.de", "a@b@corp.de", "anna@corp",
        "anna@.corp.de", "anna@corp.", "anna@corp..de", "an na@corp.de", "anna@corp.de,b@corp.de",
        "anna;x@corp.de", "<anna@corp.de>", "\"anna\"@corp.de", "anna\x01@corp.de"}) {
    EXPECT_EQ(NormaliseEmail(raw), std::nullopt) << raw;
  }
}

TEST(IsJunkIdentifier, JunkValues) {
  for (const char* value : {"",
                            "  ",
                            "null",
                            "NULL",
                            "None",
                            "nil",
                            "n/a",
                            "N/A",
                            "undefined",
                            "anonymous",
                            "Anonymous",
                            "unknown",
                            "test",
                            "-1",
                            "0",
                            "00",
                            "0000",
                            "000000",
                            "-",
                            "----",
                            "___",
                            "...",
                            " null ",
                            "test@example.com",
                            "anna@example.org",
                            "x@example.net",
                            "a@test.com",
                            "a@test.de",
                            "root@localhost",
                            "noreply@corp.de",
                            "no-reply@corp.de",
                            "test@corp.de",
                            "unknown@corp.de",
                            "Anonymous@Corp.de"}) {
    EXPECT_TRUE(IsJunkIdentifier(value)) << "'" << value << "'";
  }
}

TEST(IsJunkIdentifier, RealValues) {
  for (const char* value : {"anna@corp.de", "1", "10", "0042", "-2", "a-b", "contact-17",
                            "tester@corp.de", "anna@test-lab.de", "marketing", "crm"}) {
    EXPECT_FALSE(IsJunkIdentifier(value)) << "'" << value << "'";
  }
}

TEST(EmailIdentityKey, UsableAddressesOnly) {
  EXPECT_EQ(EmailIdentityKey(" Anna@Corp.DE "), "email:anna@corp.de");
  EXPECT_EQ(EmailIdentityKey("test@example.com"), std::nullopt);
  EXPECT_EQ(EmailIdentityKey("noreply@corp.de"), std::nullopt);
  EXPECT_EQ(EmailIdentityKey("null"), std::nullopt);
  EXPECT_EQ(EmailIdentityKey("not-an-address"), std::nullopt);
  EXPECT_EQ(EmailIdentityKey(""), std::nullopt);
}

TEST(SourceIdentityKey, LowercasesSystemKeepsRecordId) {
  EXPECT_EQ(SourceIdentityKey("CRM", "Ab-17"), "src:crm:Ab-17");
  EXPECT_EQ(SourceIdentityKey(" marketing ", " 42 "), "src:marketing:42");
  EXPECT_EQ(SourceIdentityKey("crm", ""), std::nullopt);
  EXPECT_EQ(SourceIdentityKey("crm", "0"), std::nullopt);
  EXPECT_EQ(SourceIdentityKey("crm", "-1"), std::nullopt);
  EXPECT_EQ(SourceIdentityKey("crm", "null"), std::nullopt);
  EXPECT_EQ(SourceIdentityKey("", "42"), std::nullopt);
  EXPECT_EQ(SourceIdentityKey("none", "42"), std::nullopt);
}

TEST(LinkedIdentityKey, SplitsAtTheFirstColon) {
  EXPECT_EQ(LinkedIdentityKey("marketing:42"), "src:marketing:42");
  EXPECT_EQ(LinkedIdentityKey("Marketing:a:b"), "src:marketing:a:b");
  EXPECT_EQ(LinkedIdentityKey("marketing42"), std::nullopt);
  EXPECT_EQ(LinkedIdentityKey("marketing:"), std::nullopt);
  EXPECT_EQ(LinkedIdentityKey(":42"), std::nullopt);
  EXPECT_EQ(LinkedIdentityKey("marketing:0000"), std::nullopt);
}

}  // namespace
}  // namespace accord::events
