// Zeroing memory that may have held an API key before it is freed or reused.
//
// A key reaches gdpd inside ordinary messages (submit's, resume's and plan's api_key) and leaves it
// inside an HTTP header. SecretKey (secret.h) guards the copy gdpd keeps; these guard the copies on
// the way in and out: the socket's read buffer, the framer's partial line, the parsed JSON, the
// header of the request to Gemini. Freed heap memory keeps its bytes until reused, and Property 21
// says a key is gone from memory once its session ends.
#pragma once

#include <boost/json/storage_ptr.hpp>

#include <cstddef>
#include <string>

namespace gdp {

// explicit_bzero: the compiler may not drop it as a dead store.
void wipe(void* data, std::size_t size) noexcept;
inline void wipe(std::string& text) noexcept {
  wipe(text.data(), text.size());
}

// Wipes a string when the scope ends, however it ends.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& text) noexcept : text_(text) {}
  ~WipeOnExit() { wipe(text_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string& text_;
};

// Boost.JSON storage that zeroes every block it frees (new/delete otherwise). Values parsed with
// it, and their copies, which share it, leave nothing behind.
boost::json::storage_ptr wiping_json_storage() noexcept;

}  // namespace gdp
