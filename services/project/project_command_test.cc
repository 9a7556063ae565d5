#include "services/project/project_command.h"

#include <gtest/gtest.h>

namespace accord::project {
namespace {

TEST(DefaultInstanceId, NamesTheHostAndTheStoreAndStaysTheSame) {
  const std::string id = DefaultInstanceId("fold-1.example", "/srv/accord/state");
  EXPECT_TRUE(id.starts_with("accord-fold-1.example-")) << id;
  EXPECT_EQ(id.size(), std::string("accord-fold-1.example-").size() + 16);
  EXPECT_EQ(DefaultInstanceId("fold-1.example", "/srv/accord/state"), id);
  EXPECT_NE(DefaultInstanceId("fold-1.example", "/srv/accord/state-2"), id);
  EXPECT_NE(DefaultInstanceId("fold-2.example", "/srv/accord/state"), id);
}

TEST(DefaultInstanceId, KeepsToTheCharactersKafkaTakes) {
  const std::string id = DefaultInstanceId("host name/ü", "/state");
  for (char c : id)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')
        << id;
  EXPECT_LE(DefaultInstanceId(std::string(300, 'h'), "/state").size(), 249u);
}

}  // namespace
}  // namespace accord::project
