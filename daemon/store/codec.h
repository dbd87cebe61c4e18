// How large texts (scripts' logs, results, snapshots, the bytes sent to a planner) are kept in the
// store: as they are when small, zstd-compressed past a threshold. The first byte says which, so
// the threshold can change without rewriting old rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gdp::store {

// Past this a text is compressed; below it the frame overhead is not worth it.
inline constexpr std::size_t kCompressThreshold = 4096;

std::string encode_blob(std::string_view text, std::size_t threshold = kCompressThreshold);

// Throws RpcError(Transaction) for a blob that is not one encode_blob wrote (a damaged row),
// or that would expand past `limit` bytes.
std::string decode_blob(std::string_view blob, std::size_t limit = std::size_t{1} << 30);

}  // namespace gdp::store
