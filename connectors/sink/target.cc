#include "connectors/sink/target.h"

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "connectors/signing/signature.h"
#include "domain/events/envelope.h"

namespace accord::connectors::sink {
namespace {

// "https://host:8443/hooks/accord?x=1" -> ("https://host:8443", "/hooks/accord?x=1")
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos ||
      (url.substr(0, scheme) != "http" && url.substr(0, scheme) != "https"))
    throw std::invalid_argument("not an http:// or https:// URL: \"" + url + "\"");
  const auto path = url.find('/', scheme + 3);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

class HttpTarget : public Target {
 public:
  HttpTarget(HttpTargetOptions options, const std::atomic<bool>* stop)
      : options_(std::move(options)), stop_(stop), random_(std::random_device{}()) {
    std::tie(origin_, target_) = SplitUrl(options_.url);
  }

  Result Deliver(const v1::Event& event, const std::string& body) override {
    // A client per delivery: deliveries run in parallel threads.
    httplib::Client client(origin_);
    const auto seconds = [](auto duration) {
      return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    };
    client.set_connection_timeout(seconds(options_.timeout), 0);
    client.set_read_timeout(seconds(options_.timeout), 0);
    client.set_write_timeout(seconds(options_.timeout), 0);
    std::string last;
    for (int attempt = 1;; ++attempt) {
      httplib::Headers headers = {{"Idempotency-Key", event.event_id()},
                                  {"X-Accord-Origin", std::string(events::kAccordSystem)}};
      if (!options_.auth_header.empty()) headers.emplace(options_.auth_header, options_.auth_value);
      if (!options_.secret.empty()) {
        const std::string timestamp =
            std::to_string(seconds(std::chrono::system_clock::now().time_since_epoch()));
        headers.emplace(signing::kTimestampHeader, timestamp);
        headers.emplace(signing::kSignatureHeader,
                        signing::Sign(options_.secret, "POST", target_, timestamp, body));
      }
      auto answer = client.Post(target_, headers, body, "application/json");
      const int status = answer ? answer->status : 0;
      last = answer ? "HTTP " + std::to_string(status) + ": " + answer->body.substr(0, 500)
                    : "no answer: " + httplib::to_string(answer.error());
      switch (Classify(status)) {
        case Answer::kDelivered:
          return {true, "", ""};
        case Answer::kDeadLetter:
          return {false, "refused: " + last, "sink_refused"};
        case Answer::kRetry:
          break;
      }
      if (attempt >= options_.retry.max_attempts)
        return {false, "gave up after " + std::to_string(attempt) + " attempts; last: " + last,
                "sink_gave_up"};
      std::optional<std::chrono::milliseconds> retry_after;
      if (answer && answer->has_header("Retry-After"))
        retry_after = ParseRetryAfter(answer->get_header_value("Retry-After"),
                                      std::chrono::system_clock::now());
      Wait(NextBackoff(attempt, retry_after));
    }
  }

 private:
  std::chrono::milliseconds NextBackoff(int retry,
                                        std::optional<std::chrono::milliseconds> retry_after) {
    std::lock_guard lock(random_mutex_);
    return Backoff(options_.retry, retry, retry_after, random_);
  }

  void Wait(std::chrono::milliseconds wait) const {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      if (stop_ && stop_->load()) throw Stopped{};
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
    }
  }

  HttpTargetOptions options_;
  const std::atomic<bool>* stop_;
  std::string origin_, target_;
  std::mutex random_mutex_;
  std::mt19937_64 random_;
};

class JsonlTarget : public Target {
 public:
  explicit JsonlTarget(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ~JsonlTarget() override { ::close(fd_); }

  Result Deliver(const v1::Event&, const std::string& body) override {
    std::lock_guard lock(mutex_);
    const std::string line = body + "\n";
    // O_APPEND: one write() puts the whole line at the end.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      throw std::runtime_error("cannot append to " + path_ + ": " + std::strerror(errno));
    return {true, "", ""};
  }

  void Sync() override {
    if (::fsync(fd_) != 0)
      throw std::runtime_error("cannot sync " + path_ + ": " + std::strerror(errno));
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Target> MakeHttpTarget(HttpTargetOptions options, const std::atomic<bool>* stop) {
  return std::make_unique<HttpTarget>(std::move(options), stop);
}

std::unique_ptr<Target> MakeJsonlTarget(const std::string& path) {
  return std::make_unique<JsonlTarget>(path);
}

}  // namespace accord::connectors::sink
