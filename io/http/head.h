#pragma once

// How a connection reads a request head, apart from the socket: shared by
// the server and the fuzz target of the request parser (tests/fuzz).

#include <boost/beast/http.hpp>
#include <optional>

#include "io/http/guard.h"
#include "io/http/options.h"
#include "io/http/request.h"

namespace accord::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A fresh parser with the header limit of `limits` and no body limit yet:
// the body's limit is the endpoint's, set once the head is read, so that a
// large Content-Length is not refused before authentication.
void PrepareParser(RequestParser& parser, const Limits& limits);

// The refusal for an error the parser gave while reading a head; nullopt
// when the connection should just end (nothing was sent, or it closed).
std::optional<Refusal> HeadError(const RequestParser& parser, boost::beast::error_code error,
                                 const Limits& limits);

// Fills `head` (method, target, lower-cased headers, decoded path and
// parameters) from a parser whose head is done; the refusal instead when it
// has more fields than the limit or an unusable target.
std::optional<Refusal> ReadHead(const RequestParser& parser, const Limits& limits, Request& head);

// The refusal for a body over `limit`.
Refusal BodyTooLarge(size_t limit);

}  // namespace accord::http
