// SHA-256 as lowercase hex, for the integrity records of the store: the input's hash at submit
// (checked before every step), each script version's content hash (what a decision was about)
// and each output file's hash.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace gdp::store {

std::string sha256_hex(std::string_view bytes);
// Streams the file; throws RpcError(FileSystem) naming it when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace gdp::store
