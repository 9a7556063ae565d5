#include "domain/util/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace accord {
namespace {

std::string HmacHex(std::string_view key, std::string_view message) {
  auto mac = HmacSha256(key, message);
  return HexEncode(mac.data(), mac.size());
}

// Test cases 1, 2 and 6 of RFC 4231.
TEST(HmacSha256, MatchesTheRfcVectors) {
  EXPECT_EQ(HmacHex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacHex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      HmacHex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, CoversEveryByteOfKeyAndMessage) {
  EXPECT_NE(HmacHex("secret", "body"), HmacHex("secret", "body "));
  EXPECT_NE(HmacHex("secret", "body"), HmacHex("secreT", "body"));
  EXPECT_EQ(HmacHex("secret", std::string("a\0b", 3)), HmacHex("secret", std::string("a\0b", 3)));
  EXPECT_NE(HmacHex("secret", std::string("a\0b", 3)), HmacHex("secret", "a"));
}

}  // namespace
}  // namespace accord
