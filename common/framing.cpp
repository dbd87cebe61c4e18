#include "common/framing.h"

#include "common/wipe.h"

#include <algorithm>

namespace gdp {

LineFramer::Status LineFramer::feed(std::string_view bytes, std::vector<std::string>& frames) {
  if (spent_) return Status::frame_too_large;
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    const auto chunk = bytes.substr(0, newline);
    // The cap counts the message itself; a trailing "\r" is allowed on top of it.
    std::size_t limit = max_frame_bytes_;
    if (newline != std::string_view::npos && !chunk.empty() && chunk.back() == '\r') ++limit;
    if (partial_.size() + chunk.size() > limit) {
      spent_ = true;
      wipe(partial_);
      partial_.clear();
      partial_.shrink_to_fit();
      return Status::frame_too_large;
    }
    if (partial_.size() + chunk.size() > partial_.capacity()) {
      // Grown by hand so the old buffer is wiped before it is freed: a line may carry an API key.
      std::string grown;
      grown.reserve(std::max(partial_.capacity() * 2, partial_.size() + chunk.size()));
      grown = partial_;
      wipe(partial_);
      partial_.swap(grown);
    }
    partial_.append(chunk);
    if (newline == std::string_view::npos) break;
    bytes.remove_prefix(newline + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!partial_.empty()) frames.push_back(std::move(partial_));
    partial_.clear();
  }
  return Status::ok;
}

}  // namespace gdp
