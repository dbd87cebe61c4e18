#include "daemon/store/codec.h"

#include "common/errors.h"

#include <zstd.h>

namespace gdp::store {

namespace {
constexpr char kRaw = 'r';
constexpr char kZstd = 'z';
// Level 3 is zstd's default: logs and JSON shrink 5-10x at hundreds of MB/s, far faster than the
// step that produced them.
constexpr int kLevel = 3;

[[noreturn]] void damaged(const std::string& why) {
  throw RpcError(ErrorCode::Transaction,
                 "a stored record is damaged (" + why +
                     "); run `gdp cleanup` on the session or restore the project's backup");
}
}  // namespace

std::string encode_blob(std::string_view text, std::size_t threshold) {
  std::string out;
  if (text.size() < threshold) {
    out.reserve(text.size() + 1);
    out.push_back(kRaw);
    out.append(text);
    return out;
  }
  out.resize(1 + ZSTD_compressBound(text.size()));
  out[0] = kZstd;
  const std::size_t n = ZSTD_compress(out.data() + 1, out.size() - 1, text.data(), text.size(), kLevel);
  if (ZSTD_isError(n) != 0U) {  // only on allocation failure; keep the text as it is
    out.assign(1, kRaw);
    out.append(text);
    return out;
  }
  out.resize(1 + n);
  return out;
}

std::string decode_blob(std::string_view blob, std::size_t limit) {
  if (blob.empty()) damaged("empty blob");
  const std::string_view body = blob.substr(1);
  if (blob[0] == kRaw) return std::string(body);
  if (blob[0] != kZstd) damaged("unknown encoding");
  const unsigned long long size = ZSTD_getFrameContentSize(body.data(), body.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) damaged("not a zstd frame");
  if (size > limit) damaged("expands past " + std::to_string(limit) + " bytes");
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), body.data(), body.size());
  if (ZSTD_isError(n) != 0U || n != out.size()) damaged("zstd: " + std::string(ZSTD_getErrorName(n)));
  return out;
}

}  // namespace gdp::store
