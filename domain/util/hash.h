#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace accord {

// Incremental SHA-256; used for deterministic ids and the state hash, where a
// collision-resistant digest is what makes "equal hash, equal state" hold.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Length-prefixed, so that ("ab","c") and ("a","bc") hash differently.
  void UpdateField(std::string_view bytes);
  std::array<uint8_t, 32> Finish();

 private:
  void* ctx_;
};

std::string HexEncode(const uint8_t* data, size_t size);
std::string Sha256Hex(std::string_view bytes);

// HMAC-SHA256 (RFC 2104) of `message` under `key`: what webhook senders sign
// their requests with.
std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view message);

}  // namespace accord
