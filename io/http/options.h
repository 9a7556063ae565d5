#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::http {

// What a caller must prove to reach an endpoint. The roles are ordered: a
// principal of a role may do whatever the roles below it may.
enum class Access {
  kOpen,       // anyone: probes, and hooks that check a signature themselves
  kAggregate,  // counts, funnel, campaign figures: no personal data
  kRead,       // customers, timelines, audit trails: personal data
  kAdmin,      // snapshots, redrive: changes something
};

std::string_view AccessName(Access access);
// "open", "aggregate", "read" or "admin"; nullopt for anything else.
std::optional<Access> ParseAccess(std::string_view name);

// The environment variable holding a principal's token:
// ACCORD_HTTP_TOKEN_<NAME>, the name upper-cased with '-' as '_' (or the file
// that <variable>_FILE names).
std::string TokenVariable(std::string_view principal);

// One bearer token and who holds it; the token is empty when the
// environment gives none.
struct Principal {
  std::string name;
  Access role = Access::kAggregate;
  std::string token;
};

// What one client can make a listener read, hold or wait for. Every limit is
// enforced while reading, before anything is buffered beyond it.
struct Limits {
  // Request line and headers together; more is refused with 431.
  size_t max_header_bytes = 16 * 1024;
  size_t max_header_fields = 100;
  // Body, by Content-Length or chunked alike; more is refused with 413.
  // An endpoint may set a limit of its own.
  size_t max_body_bytes = 1 << 20;
  // From the connection's start (or the previous answer) to the end of the
  // request's headers: a client sending one header line every few seconds
  // is cut off here, as is an idle keep-alive connection.
  int header_timeout_ms = 10'000;
  // From the end of the headers to the end of the body.
  int body_timeout_ms = 30'000;
  // For the answer to be taken by a client that reads slowly.
  int write_timeout_ms = 30'000;
  // Connections served at once. Beyond it a few more are let in only for
  // /healthz and /readyz, everything else is answered 503.
  int max_connections = 512;
  // Threads answering requests; probes are answered on the I/O thread and
  // never wait for them.
  int workers = 4;
};

// Settings every listener of a process shares (the `http` section of the
// configuration, docs/security.md).
struct ServerOptions {
  Limits limits;
  // PEM files; both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Host names (without port) a request's Host may name besides IP literals
  // and localhost, which are always accepted: a name outside the list is a
  // DNS rebinding attempt.
  std::vector<std::string> allowed_hosts;
  // Origins ("https://ops.example.com") that may send state-changing
  // requests from a browser; requests without Origin are not browsers'.
  std::vector<std::string> allowed_origins;
  std::vector<Principal> principals;
  // Who may read /metrics.
  Access metrics_access = Access::kOpen;
  // Where the access log of personal data goes; empty: the process log.
  std::string access_log;
  // Serve every endpoint without credentials (--insecure-no-auth); refused
  // on addresses other than loopback.
  bool insecure_no_auth = false;

  bool tls() const { return !tls_cert_file.empty(); }
};

}  // namespace accord::http
