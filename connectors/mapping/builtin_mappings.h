#pragma once

#include <map>
#include <string>
#include <string_view>

#include "connectors/mapping/mapping.h"

namespace accord::connectors {

// The mappings shipped in connectors/mapping/builtin/, compiled into the binary:
// name (the file name without .yaml) -> YAML text.
const std::map<std::string, std::string_view>& BuiltinMappingTexts();

// A mapping file's path, or the name of a built-in mapping. Throws
// MappingError when it is neither, or when the mapping is invalid.
Mapping LoadMapping(const std::string& name_or_path);

}  // namespace accord::connectors
