#include "domain/events/upcast.h"

#include <array>
#include <map>
#include <vector>

#include "domain/events/envelope.h"

namespace accord::events {
namespace {

std::string Folded(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  text = text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
  std::string out;
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // The capital umlauts of the German names, in UTF-8: Ä Ö Ü to ä ö ü.
  for (size_t at = 0; at + 1 < out.size(); ++at)
    if (out[at] == '\xC3' &&
        (out[at + 1] == '\x84' || out[at + 1] == '\x96' || out[at + 1] == '\x9C'))
      out[at + 1] = static_cast<char>(out[at + 1] + 0x20);
  return out;
}

const std::map<std::string, std::string>& Countries() {
  // The countries customers of a German-speaking business come from, by
  // code, German and English name and the usual variants.
  static const auto* const kCountries = [] {
    const std::array<std::pair<const char*, std::vector<const char*>>, 22> table = {{
        {"DE",
         {"de", "deu", "deutschland", "germany", "brd", "bundesrepublik deutschland",
          "federal republic of germany"}},
        {"AT", {"at", "aut", "österreich", "oesterreich", "austria"}},
        {"CH", {"ch", "che", "schweiz", "switzerland", "suisse", "svizzera"}},
        {"LI", {"li", "lie", "liechtenstein"}},
        {"LU", {"lu", "lux", "luxemburg", "luxembourg"}},
        {"NL", {"nl", "nld", "niederlande", "netherlands", "holland"}},
        {"BE", {"be", "bel", "belgien", "belgium"}},
        {"FR", {"fr", "fra", "frankreich", "france"}},
        {"IT", {"it", "ita", "italien", "italy", "italia"}},
        {"ES", {"es", "esp", "spanien", "spain", "españa"}},
        {"PT", {"pt", "prt", "portugal"}},
        {"GB",
         {"gb", "gbr", "uk", "großbritannien", "grossbritannien", "vereinigtes königreich",
          "united kingdom", "great britain", "england"}},
        {"IE", {"ie", "irl", "irland", "ireland"}},
        {"US", {"us", "usa", "vereinigte staaten", "united states", "united states of america"}},
        {"PL", {"pl", "pol", "polen", "poland"}},
        {"CZ", {"cz", "cze", "tschechien", "czechia", "czech republic"}},
        {"DK", {"dk", "dnk", "dänemark", "daenemark", "denmark"}},
        {"SE", {"se", "swe", "schweden", "sweden"}},
        {"NO", {"no", "nor", "norwegen", "norway"}},
        {"FI", {"fi", "fin", "finnland", "finland"}},
        {"HU", {"hu", "hun", "ungarn", "hungary"}},
        {"SI", {"si", "svn", "slowenien", "slovenia"}},
    }};
    auto* countries = new std::map<std::string, std::string>();
    for (const auto& [code, names] : table)
      for (const char* name : names) (*countries)[name] = code;
    return countries;
  }();
  return *kCountries;
}

// 1 -> 2: countries become ISO codes.
void CountriesAsCodes(v1::Event& event) {
  if (event.has_customer_upserted() && event.customer_upserted().has_country())
    event.mutable_customer_upserted()->set_country(
        CountryCode(event.customer_upserted().country()));
  if (event.has_account_upserted() && event.account_upserted().has_country())
    event.mutable_account_upserted()->set_country(CountryCode(event.account_upserted().country()));
}

}  // namespace

std::string CountryCode(std::string_view text) {
  const auto& countries = Countries();
  auto found = countries.find(Folded(text));
  return found == countries.end() ? std::string(text) : found->second;
}

void Upcast(v1::Event& event) {
  if (event.has_event_forwarded()) Upcast(*event.mutable_event_forwarded()->mutable_event());
  // Step n turns version n into n + 1.
  static constexpr void (*kSteps[])(v1::Event&) = {CountriesAsCodes};
  static_assert(std::size(kSteps) + 1 == kCurrentSchemaVersion);
  // Version 0 is no version: validation refuses it.
  for (uint32_t version = event.schema_version(); version >= 1 && version < kCurrentSchemaVersion;
       ++version) {
    kSteps[version - 1](event);
    event.set_schema_version(version + 1);
  }
}

}  // namespace accord::events
