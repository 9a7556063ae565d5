#include "connectors/mapping/builtin_mappings.h"

#include <filesystem>

namespace accord::connectors {

Mapping LoadMapping(const std::string& name_or_path) {
  if (std::filesystem::exists(name_or_path)) return Mapping::Load(name_or_path);
  const auto& builtin = BuiltinMappingTexts();
  if (auto it = builtin.find(name_or_path); it != builtin.end())
    return Mapping::Parse(it->second, "mapping " + name_or_path);
  std::string names;
  for (const auto& [name, text] : builtin) names += (names.empty() ? "" : ", ") + name;
  throw MappingError(name_or_path + ": neither a mapping file nor a built-in mapping (" + names +
                     ")");
}

}  // namespace accord::connectors
