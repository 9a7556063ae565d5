#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace accord::events {

// Identity keys name a customer in the identity index and on the topic:
//   "email:<normalised e-mail>"       a usable e-mail address
//   "src:<system>:<record id>"        a record in one source system
// Every event about a customer is keyed by one of them.

// Trims surrounding white space and lower-cases (ASCII) the address; returns
// nullopt unless the result looks like an e-mail address (one '@', non-empty
// local part, a dotted domain, no spaces or control characters).
std::optional<std::string> NormaliseEmail(std::string_view raw);

// Values that must never be used to match identities: empty, "null", "none",
// "n/a", "anonymous", "unknown", "test", "-1", "0", all zeros, all dashes,
// and well-known placeholder or test addresses. Matching on them is the
// classic way one giant merged "customer" is born.
bool IsJunkIdentifier(std::string_view value);

// "email:<normalised>" when `raw_email` is a usable, non-junk address.
std::optional<std::string> EmailIdentityKey(std::string_view raw_email);

// A source system name as identity keys carry it: lower-case letters,
// digits, '.', '_' and '-', not junk. A ':' would make "src:<system>:<id>"
// ambiguous.
bool IsValidSystemName(std::string_view system);

// "src:<system>:<record id>", or nullopt when the system name is not valid
// (after trimming and lower-casing) or the record id is junk.
std::optional<std::string> SourceIdentityKey(std::string_view system, std::string_view record_id);

// Accepts "<system>:<record id>" as carried in linked_source_ids.
std::optional<std::string> LinkedIdentityKey(std::string_view system_and_record);

// "" when `key` is a usable identity key ("email:<address>" or
// "src:<system>:<id>", each as the functions above make it), else why not,
// naming the key as `what`: junk here would merge strangers.
std::string CheckIdentityKey(std::string_view what, const std::string& key);

}  // namespace accord::events
