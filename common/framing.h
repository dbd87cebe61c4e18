// Line framing of the wire: one JSON message per "\n"-terminated line.
//
// The framer owns the only copy of a partial frame, so the size cap is enforced before a frame is
// complete: a peer that streams bytes without a newline is cut off at the cap, not when memory runs
// out. A "\r" before the "\n" is dropped (a terminal or a script may send CRLF); empty lines are
// skipped, which lets a person poke the socket with `socat` without tripping errors.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gdp {

inline constexpr std::size_t kDefaultMaxFrameBytes = std::size_t{16} * 1024 * 1024;
inline constexpr std::size_t kDefaultMaxJsonDepth = 64;

class LineFramer {
 public:
  explicit LineFramer(std::size_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  enum class Status { ok, frame_too_large };

  // Appends `bytes` and moves every completed frame (without its line ending) into `frames`.
  // Returns frame_too_large as soon as a frame exceeds the cap; the framer is then spent and
  // further input is ignored, because the stream can no longer be re-synchronised safely.
  Status feed(std::string_view bytes, std::vector<std::string>& frames);

  // Bytes of an incomplete frame held back; non-zero at EOF means the peer hung up mid-message.
  std::size_t pending_bytes() const noexcept { return partial_.size(); }
  std::size_t max_frame_bytes() const noexcept { return max_frame_bytes_; }

 private:
  std::size_t max_frame_bytes_;
  std::string partial_;
  bool spent_ = false;
};

}  // namespace gdp
