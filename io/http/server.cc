#include "io/http/server.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "domain/util/time.h"
#include "io/config_error.h"
#include "io/http/guard.h"
#include "io/http/head.h"
#include "io/metrics/metrics.h"

namespace accord::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// Connections let in beyond max_connections, for probes only.
constexpr int kProbeReserve = 32;
// How long such a connection has to send its request.
constexpr std::chrono::milliseconds kProbeHeaderTimeout{2000};
// How long Stop() lets requests being answered finish.
constexpr std::chrono::seconds kStopGrace{5};

std::string FormatAddress(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Response JsonStatus(int status, std::string_view text) {
  return {status, "application/json", nlohmann::json{{"status", text}}.dump() + "\n", {}};
}

}  // namespace

ListenAddress ParseListenAddress(std::string_view text) {
  auto fail = [&](const std::string& why) -> ListenAddress {
    throw ConfigError("HTTP listen address \"" + std::string(text) + "\": " + why +
                      " (expected host:port, e.g. 127.0.0.1:8080)");
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("no port");
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.starts_with('[') || host.ends_with(']')) {
    if (host.size() < 3 || !host.starts_with('[') || !host.ends_with(']'))
      return fail("unbalanced brackets");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("an IPv6 address goes in brackets, e.g. [::1]:8080");
  }
  int number = -1;
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) std::from_chars(port.data(), port.data() + port.size(), number);
  if (!digits || number > 65535) return fail("the port must be a number from 0 to 65535");
  return {host.empty() ? "0.0.0.0" : std::string(host), number};
}

Endpoint HealthEndpoint() {
  Endpoint endpoint;
  endpoint.probe = true;
  endpoint.answer = [](const Request&) { return JsonStatus(200, "ok"); };
  return endpoint;
}

Endpoint MetricsEndpoint(const metrics::Registry& registry, Access access) {
  Endpoint endpoint;
  endpoint.access = access;
  endpoint.answer = [&registry](const Request&) {
    return Response{200, "text/plain; version=0.0.4", registry.RenderText(), {}};
  };
  return endpoint;
}

Endpoint MethodNotAllowed(const Request& head, std::string_view allowed, Access access) {
  Endpoint endpoint;
  endpoint.access = access;
  endpoint.answer = [method = head.method, path = head.path,
                     allowed = std::string(allowed)](const Request&) {
    Response response = ErrorResponse(405, "method " + method + " not allowed on " + path);
    response.headers.emplace_back("Allow", allowed);
    return response;
  };
  return endpoint;
}

struct ServerCore {
  ServerCore(std::string listener_name, std::string what_text, ServerOptions server_options,
             Router request_router, metrics::Registry& metrics_registry)
      : listener(std::move(listener_name)),
        what(std::move(what_text)),
        options(std::move(server_options)),
        router(std::move(request_router)),
        registry(metrics_registry),
        guard(options),
        workers(static_cast<size_t>(std::max(1, options.limits.workers))),
        connections_gauge(registry.GetGauge(
            "accord_http_connections", "Open connections per listener", {{"listener", listener}})) {
  }
  ~ServerCore() {
    workers.join();
    acceptor.reset();
    io.reset();
  }

  metrics::Counter& Refused(const std::string& reason) {
    return registry.GetCounter(
        "accord_http_refused_total",
        "Requests and connections refused before a handler saw them, by reason",
        {{"listener", listener}, {"reason", reason}});
  }
  metrics::Counter& Answered(int status) {
    return registry.GetCounter("accord_http_requests_total", "Answered requests by status",
                               {{"listener", listener}, {"code", std::to_string(status)}});
  }

  void Opened() { connections_gauge.Set(++connections); }
  void Closed() { connections_gauge.Set(--connections); }

  void BeginRequest() {
    std::lock_guard lock(mutex);
    ++in_flight;
  }
  void EndRequest() {
    std::lock_guard lock(mutex);
    if (--in_flight == 0) drained.notify_all();
  }

  void LogAccess(const Request& head, Access access, int status) {
    nlohmann::json line{
        {"at", FormatIsoTimestampMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count())},
        {"listener", listener},
        {"principal", head.principal.empty() ? nullptr : nlohmann::json(head.principal)},
        {"needs", AccessName(access)},
        {"remote", head.remote},
        {"method", head.method},
        {"target", head.target},
        {"status", status}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (access_log)
      access_log->info(text);
    else
      spdlog::info("access {}", text);
  }

  const std::string listener;
  const std::string what;
  const ServerOptions options;
  const Router router;
  metrics::Registry& registry;
  const Guard guard;
  std::function<void(const Request&, int)> on_answered;
  std::shared_ptr<spdlog::logger> access_log;

  // Destroyed first (~ServerCore), with the connections its pending handlers
  // hold, while everything they use is still there.
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>(1);
  asio::io_context& ioc = *io;
  std::optional<asio::ssl::context> tls;
  std::optional<tcp::acceptor> acceptor{std::in_place, ioc};
  asio::thread_pool workers;
  std::thread io_thread;
  bool started = false;
  int port = 0;

  std::atomic<int> connections{0};
  metrics::Gauge& connections_gauge;
  std::mutex mutex;
  std::condition_variable drained;
  int in_flight = 0;
  std::atomic<bool> stopping{false};
};

namespace {

// One connection: reads requests one after another under the limits,
// checks each head before its body, hands the request to a worker and
// writes the answer. Stream is beast::tcp_stream or an ssl_stream over it.
template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <class... StreamArgs>
  Connection(ServerCore& core, bool overflow, std::string remote, StreamArgs&&... stream_args)
      : core_(core),
        stream_(std::forward<StreamArgs>(stream_args)...),
        overflow_(overflow),
        remote_(std::move(remote)) {
    core_.Opened();
  }
  ~Connection() { core_.Closed(); }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(HeaderTimeout());
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code error) {
                                if (error) {
                                  self->core_.Refused("tls_handshake").Add();
                                  return;
                                }
                                self->AwaitHead();
                              });
    } else {
      AwaitHead();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  std::chrono::milliseconds HeaderTimeout() const {
    const std::chrono::milliseconds configured{core_.options.limits.header_timeout_ms};
    return overflow_ ? std::min(configured, kProbeHeaderTimeout) : configured;
  }

  void AwaitHead() {
    if (core_.stopping) return Close();
    head_ = Request{};
    head_.remote = remote_;
    endpoint_ = Endpoint{};
    parser_.emplace();
    PrepareParser(*parser_, core_.options.limits);
    Lowest().expires_after(HeaderTimeout());
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code error, size_t) {
                               self->OnHead(error);
                             });
  }

  void OnHead(beast::error_code error) {
    if (error == bhttp::error::end_of_stream || error == asio::error::eof ||
        error == asio::error::operation_aborted || error == asio::ssl::error::stream_truncated)
      return Close();
    if (error == beast::error::timeout) {
      // A request under way (some bytes in) was too slow; an idle keep-alive
      // connection simply ends.
      if (buffer_.size() > 0 || parser_->got_some()) core_.Refused("header_timeout").Add();
      return Close();
    }
    if (error) {
      if (auto refusal = HeadError(*parser_, error, core_.options.limits)) return Refuse(*refusal);
      return Close();
    }
    core_.BeginRequest();
    in_request_ = true;
    if (auto refusal = ReadHead(*parser_, core_.options.limits, head_)) return Refuse(*refusal);

    endpoint_ = core_.router(head_);
    if (overflow_ && !endpoint_.probe)
      return Refuse({503,
                     "too many connections (http.max_connections is " +
                         std::to_string(core_.options.limits.max_connections) + "); try again",
                     "too_many_connections"});
    if (!endpoint_.probe)
      if (auto refusal = core_.guard.CheckHost(head_.Header("host"))) return Refuse(*refusal);
    if (auto refusal =
            core_.guard.Authorize(endpoint_.access, head_.Header("authorization"), head_.principal))
      return Refuse(*refusal);
    if (auto refusal = core_.guard.CheckStateChange(head_.method, head_.Header("origin"),
                                                    head_.Header("content-type")))
      return Refuse(*refusal);
    if (!endpoint_.answer) return Refuse({404, "no such path: " + head_.path, "not_found"});

    if (parser_->is_done()) return Dispatch();
    const size_t limit =
        endpoint_.max_body_bytes ? endpoint_.max_body_bytes : core_.options.limits.max_body_bytes;
    if (auto length = parser_->content_length(); length && *length > limit)
      return Refuse(BodyTooLarge(limit));
    parser_->body_limit(limit);
    body_limit_ = limit;
    if (auto expect = head_.Header("expect");
        expect &&
        beast::iequals(beast::string_view(expect->data(), expect->size()), "100-continue")) {
      auto go_on = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                        parser_->get().version());
      Lowest().expires_after(std::chrono::milliseconds(core_.options.limits.write_timeout_ms));
      bhttp::async_write(stream_, *go_on,
                         [self = this->shared_from_this(), go_on](beast::error_code error, size_t) {
                           if (error) return self->Close();
                           self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(std::chrono::milliseconds(core_.options.limits.body_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code error, size_t) {
                        self->OnBody(error);
                      });
  }

  void OnBody(beast::error_code error) {
    if (error == bhttp::error::body_limit) return Refuse(BodyTooLarge(body_limit_));
    if (error == beast::error::timeout) {
      // The stream closed the socket when its deadline passed: there is no
      // one left to answer.
      core_.Refused("body_timeout").Add();
      return Close();
    }
    if (error) return Close();
    Dispatch();
  }

  void Dispatch() {
    head_.body = std::move(parser_->get().body());
    if (endpoint_.probe) return Answer(Run(endpoint_, head_), false);
    asio::post(core_.workers, [self = this->shared_from_this()] {
      Response response = Run(self->endpoint_, self->head_);
      asio::post(self->Lowest().get_executor(), [self, response = std::move(response)]() mutable {
        self->Answer(std::move(response), false);
      });
    });
  }

  static Response Run(const Endpoint& endpoint, const Request& request) {
    try {
      return endpoint.answer(request);
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", request.method, request.path, e.what());
      return ErrorResponse(500, std::string("internal error: ") + e.what());
    } catch (...) {
      spdlog::error("{} {} failed", request.method, request.path);
      return ErrorResponse(500, "internal error");
    }
  }

  void Refuse(const Refusal& refusal) {
    core_.Refused(refusal.reason).Add();
    Response response = ErrorResponse(refusal.status, refusal.message);
    if (refusal.status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
    if (refusal.status == 503) response.headers.emplace_back("Retry-After", "1");
    // The rest of the request is not read: the connection cannot carry
    // another one after it.
    const bool unread_body = !parser_ || !parser_->is_done();
    Answer(std::move(response), unread_body);
  }

  void Answer(Response response, bool close) {
    if (!in_request_) {
      core_.BeginRequest();
      in_request_ = true;
    }
    if (endpoint_.personal) core_.LogAccess(head_, endpoint_.access, response.status);
    if (core_.on_answered) core_.on_answered(head_, response.status);
    core_.Answered(response.status).Add();

    const bool head_only = head_.method == "HEAD";
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    keep_alive_ = !close && !core_.stopping && parser_ && parser_->is_header_done() &&
                  parser_->get().keep_alive() && response.status != 503;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(response.status), version);
    out->set(bhttp::field::content_type, response.content_type);
    out->set(bhttp::field::cache_control, "no-store");
    out->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) out->set(name, value);
    out->keep_alive(keep_alive_);
    out->body() = std::move(response.body);
    out->prepare_payload();
    if (head_only) out->body().clear();
    Lowest().expires_after(std::chrono::milliseconds(core_.options.limits.write_timeout_ms));
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out](beast::error_code error, size_t) {
                         self->OnWritten(error);
                       });
  }

  void OnWritten(beast::error_code error) {
    in_request_ = false;
    core_.EndRequest();
    if (error || !keep_alive_) return Close();
    AwaitHead();
  }

  void Close() {
    if (in_request_) {
      in_request_ = false;
      core_.EndRequest();
    }
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    if constexpr (kTls) {
      // close_notify, bounded: a peer that does not answer it is dropped.
      Lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored_close;
        self->Lowest().socket().close(ignored_close);
      });
    } else {
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Lowest().socket().close(ignored);
    }
  }

  ServerCore& core_;
  Stream stream_;
  const bool overflow_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request head_;
  Endpoint endpoint_;
  size_t body_limit_ = 0;
  bool keep_alive_ = false;
  bool in_request_ = false;
  bool closed_ = false;
};

std::string RemoteOf(const tcp::socket& socket) {
  beast::error_code error;
  auto endpoint = socket.remote_endpoint(error);
  if (error) return "unknown";
  return FormatAddress(endpoint.address().to_string(), endpoint.port());
}

void Accept(ServerCore& core) {
  core.acceptor->async_accept(core.ioc, [&core](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !core.acceptor->is_open()) return;
    if (!error) {
      const int open = core.connections.load();
      const int limit = core.options.limits.max_connections;
      std::string remote = RemoteOf(socket);
      if (open >= limit + kProbeReserve) {
        // Full even for probes: a short answer without reading anything,
        // on a plain socket only (TLS needs a handshake first).
        core.Refused("too_many_connections").Add();
        if (!core.tls) {
          static constexpr std::string_view kFull =
              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
              "Retry-After: 1\r\nConnection: close\r\nContent-Length: 33\r\n\r\n"
              "{\"error\":\"too many connections\"}\n";
          beast::error_code ignored;
          socket.non_blocking(true, ignored);
          socket.write_some(asio::buffer(kFull.data(), kFull.size()), ignored);
        }
        beast::error_code ignored;
        socket.close(ignored);
      } else if (core.tls) {
        std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
            core, open >= limit, std::move(remote), std::move(socket), *core.tls)
            ->Run();
      } else {
        std::make_shared<Connection<beast::tcp_stream>>(core, open >= limit, std::move(remote),
                                                        std::move(socket))
            ->Run();
      }
    }
    Accept(core);
  });
}

asio::ssl::context LoadTls(const ServerOptions& options) {
  asio::ssl::context context(asio::ssl::context::tls_server);
  context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  auto load = [](const std::string& what, const std::string& file, auto&& step) {
    beast::error_code error;
    step(error);
    if (error)
      throw std::runtime_error("cannot load the TLS " + what + " " + file + ": " + error.message());
  };
  load("certificate chain (http.tls_cert_file)", options.tls_cert_file,
       [&](beast::error_code& error) {
         context.use_certificate_chain_file(options.tls_cert_file, error);
       });
  load("private key (http.tls_key_file)", options.tls_key_file, [&](beast::error_code& error) {
    context.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, error);
  });
  return context;
}

}  // namespace

Server::Server(std::string listener, std::string what, ServerOptions options, Router router,
               metrics::Registry& registry)
    : core_(std::make_unique<ServerCore>(std::move(listener), std::move(what), std::move(options),
                                         std::move(router), registry)) {}

Server::~Server() {
  Stop();
}

void Server::OnAnswered(std::function<void(const Request&, int)> observer) {
  core_->on_answered = std::move(observer);
}

int Server::port() const {
  return core_->port;
}

bool Server::tls() const {
  return core_->options.tls();
}

void Server::Start(const std::string& host, int port, std::string_view hint) {
  ServerCore& core = *core_;
  if (core.started) throw std::logic_error("http::Server::Start called twice");
  core.started = true;
  const std::string address = FormatAddress(host, port);
  auto fail = [&](const std::string& why) {
    throw std::runtime_error("cannot serve " + core.what + " on " + address + ": " + why + "; " +
                             std::string(hint));
  };
  if (core.options.tls_cert_file.empty() != core.options.tls_key_file.empty())
    fail("TLS needs both http.tls_cert_file and http.tls_key_file");
  if (core.options.tls()) {
    try {
      core.tls.emplace(LoadTls(core.options));
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  if (!core.options.access_log.empty()) {
    try {
      // Not registered with spdlog: each server has its own, by file.
      core.access_log = std::make_shared<spdlog::logger>(
          "access", std::make_shared<spdlog::sinks::basic_file_sink_mt>(core.options.access_log));
      core.access_log->set_pattern("%v");
      core.access_log->flush_on(spdlog::level::info);
    } catch (const spdlog::spdlog_ex& e) {
      fail("cannot open the access log (http.access_log): " + std::string(e.what()));
    }
  }
  beast::error_code error;
  tcp::endpoint endpoint;
  auto ip = asio::ip::make_address(host, error);
  if (error) {
    tcp::resolver resolver(core.ioc);
    auto results = resolver.resolve(host, std::to_string(port), error);
    if (error || results.empty()) fail("cannot resolve " + host);
    endpoint = *results.begin();
  } else {
    endpoint = tcp::endpoint(ip, static_cast<unsigned short>(port));
  }
  core.acceptor->open(endpoint.protocol(), error);
  if (error) fail(error.message());
  // SO_REUSEADDR lets a restart bind while old connections linger in
  // TIME_WAIT; SO_REUSEPORT is not set, so a second server on the port fails.
  core.acceptor->set_option(asio::socket_base::reuse_address(true), error);
  core.acceptor->bind(endpoint, error);
  if (error == asio::error::address_in_use) fail("the address is already in use");
  if (error == boost::system::errc::address_not_available)
    fail("cannot bind (is the host a local address?)");
  if (error) fail(error.message());
  core.acceptor->listen(asio::socket_base::max_listen_connections, error);
  if (error) fail(error.message());
  core.port = core.acceptor->local_endpoint().port();
  Accept(core);
  core.io_thread = std::thread([&core] { core.ioc.run(); });
  spdlog::info("serving {} on {}://{}", core.what, core.options.tls() ? "https" : "http",
               FormatAddress(host, core.port));
}

void Server::Stop() {
  ServerCore& core = *core_;
  if (!core.io_thread.joinable()) return;
  core.stopping = true;
  std::promise<void> closed;
  asio::post(core.ioc, [&core, &closed] {
    beast::error_code ignored;
    core.acceptor->close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  {
    std::unique_lock lock(core.mutex);
    core.drained.wait_for(lock, kStopGrace, [&core] { return core.in_flight == 0; });
  }
  core.ioc.stop();
  core.io_thread.join();
  core.workers.join();
}

void CheckCredentials(const ServerOptions& options, const std::string& host,
                      std::string_view what) {
  if (options.insecure_no_auth) {
    beast::error_code error;
    auto address = asio::ip::make_address(host, error);
    const bool loopback = (!error && address.is_loopback()) || host == "localhost";
    if (!loopback)
      throw std::runtime_error("--insecure-no-auth serves " + std::string(what) +
                               " to anyone who can reach it: refused on " + host +
                               ", which is not a loopback address");
    spdlog::warn(
        "INSECURE: serving {} without credentials (--insecure-no-auth): every local user and "
        "process can read personal data through it",
        what);
    return;
  }
  if (options.principals.empty())
    throw std::runtime_error(
        std::string(what) +
        " needs credentials: configure bearer tokens (http.tokens with ACCORD_HTTP_TOKEN_<NAME> or "
        "ACCORD_HTTP_TOKEN_<NAME>_FILE, docs/security.md), or pass --insecure-no-auth to serve "
        "without them on loopback");
  const auto& principals = options.principals;
  for (size_t i = 0; i < principals.size(); ++i) {
    const auto& principal = principals[i];
    const std::string variable = TokenVariable(principal.name);
    if (principal.token.empty())
      throw std::runtime_error("http.tokens." + principal.name + ": no token: set " + variable +
                               " or " + variable + "_FILE (a file holding it)");
    if (principal.token.size() < 16)
      throw std::runtime_error("http.tokens." + principal.name +
                               ": the token is shorter than 16 characters, which can be guessed; "
                               "use e.g. openssl rand -hex 32");
    for (size_t j = 0; j < i; ++j)
      if (principals[j].token == principal.token)
        throw std::runtime_error("http.tokens: " + principals[j].name + " and " + principal.name +
                                 " have the same token");
  }
}

HealthServer::HealthServer(std::string listener, std::string what, const ServerOptions& options,
                           metrics::Registry& registry)
    : options_(options) {
  server_ = std::make_unique<Server>(
      std::move(listener), std::move(what), options,
      [&registry, access = options.metrics_access](const Request& head) {
        const bool get = head.method == "GET" || head.method == "HEAD";
        if (head.path == "/healthz")
          return get ? HealthEndpoint() : MethodNotAllowed(head, "GET, HEAD", Access::kOpen);
        if (head.path == "/metrics")
          return get ? MetricsEndpoint(registry, access)
                     : MethodNotAllowed(head, "GET, HEAD", access);
        return Endpoint{};
      },
      registry);
}

HealthServer::~HealthServer() = default;

void HealthServer::Start(std::string_view listen) {
  if (listen.empty()) return;
  auto address = ParseListenAddress(listen);
  if (options_.metrics_access != Access::kOpen)
    CheckCredentials(options_, address.host, "/metrics");
  server_->Start(address.host, address.port, "choose another with --http-listen");
}

int HealthServer::port() const {
  return server_->port();
}

}  // namespace accord::http
