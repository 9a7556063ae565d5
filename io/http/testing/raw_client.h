#pragma once

// A client that writes exactly the bytes a test gives it, for the requests
// no well-behaved HTTP library sends: slow, oversized, malformed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace accord::http::testing {

class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Whether all of `bytes` went out; false once the server closed.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // What the server sent until it closed or `timeout` passed, whichever
  // came first; stops early once a whole response with Content-Length is in.
  std::string Receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!Complete(received)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[65536];
      const ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) {
        closed_ = true;
        break;
      }
      received.append(buffer, static_cast<size_t>(got));
    }
    return received;
  }

  // Whether the server has closed the connection, waiting up to `timeout`.
  bool ClosedByServer(std::chrono::milliseconds timeout) {
    if (closed_) return true;
    pollfd poll_fd{fd_, POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buffer[4096];
    while (true) {
      const ssize_t got = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got == 0) return closed_ = true;
      if (got < 0) return closed_ = errno != EAGAIN && errno != EWOULDBLOCK;
    }
  }

  // The status code of a response ("HTTP/1.1 413 ..."), 0 when there is none.
  static int Status(std::string_view response) {
    if (response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
    return std::stoi(std::string(response.substr(9, 3)));
  }

 private:
  static bool Complete(std::string_view received) {
    const auto end = received.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    std::string head(received.substr(0, end));
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto field = head.find("\r\ncontent-length:");
    if (field == std::string::npos) return false;
    const size_t length = std::stoul(head.substr(field + 17));
    return received.size() >= end + 4 + length;
  }

  int fd_ = -1;
  bool closed_ = false;
};

}  // namespace accord::http::testing
