// SecretKey: a few bytes (an API key) that must not reach swap, a core dump, a forked child or a
// freed heap block. Both binaries use it: gdp reads a key into one without echo, gdpd holds every
// session's key in one. docs/development.md ("API keys") says what wipes them and when.
//
// The bytes live in pages of their own (mmap), not on the heap: mlock() is not counted per
// caller, so two secrets sharing a page would unlock each other, and a heap block is reused
// without being cleared. The pages are mlock()ed, MADV_DONTDUMP (not in core dumps) and
// MADV_WIPEONFORK (a child sees zeros), and are explicit_bzero()ed before they are unlocked and
// unmapped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gdp {

class SecretKey {
 public:
  // An empty secret that owns no memory (what a moved-from secret becomes).
  SecretKey() noexcept = default;
  // Room for `capacity` bytes, rounded up to whole pages. Throws std::system_error if the pages
  // cannot be mapped; a failed mlock() is not fatal (see locked()).
  explicit SecretKey(std::size_t capacity);
  // A copy of `bytes` in locked memory.
  static SecretKey from(std::string_view bytes);
  // Moves a secret that arrived in an ordinary string (a JSON-RPC parameter, say) into locked
  // memory, then overwrites the string's bytes and empties it.
  static SecretKey take(std::string& source);

  ~SecretKey();
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;

  std::string_view view() const noexcept { return {data_, size_}; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  // False when mlock() failed (RLIMIT_MEMLOCK exhausted): the bytes are still wiped and kept out
  // of core dumps, but could be swapped out. gdpd logs it.
  bool locked() const noexcept { return locked_; }

  // Raw access for readers that fill the buffer in place (read(2), keyctl_read), so the secret
  // never passes through an unlocked buffer. Write at most capacity() bytes, then resize().
  char* data() noexcept { return data_; }
  void resize(std::size_t size);  // throws std::length_error past capacity()
  // Drops trailing spaces, tabs, CR and LF (a key read from a file or a terminal line), wiping them.
  void trim_trailing_whitespace() noexcept;

  // Overwrites every byte with zeros and makes the secret empty; the pages stay mapped.
  void wipe() noexcept;

 private:
  friend std::size_t wipe_all_secrets() noexcept;
  friend std::size_t live_secret_count() noexcept;
  void enroll() noexcept;
  void withdraw() noexcept;
  void release() noexcept;
  // Takes over `other`'s pages (this one owns none); `other` is left empty.
  void adopt(SecretKey& other) noexcept;

  static SecretKey* first_live_;  // guarded by the registry's mutex (secret.cpp)
  SecretKey* prev_ = nullptr;
  SecretKey* next_ = nullptr;
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  bool locked_ = false;
};

// Wipes every live SecretKey of the process (they stay usable, empty). gdpd calls it on its way
// out, after its worker threads have stopped: a thread still reading a secret would race the wipe.
// Returns how many secrets held bytes.
std::size_t wipe_all_secrets() noexcept;
// How many SecretKeys currently own pages (for tests and the daemon's log).
std::size_t live_secret_count() noexcept;

namespace secret_testing {
// Called with a secret's pages after they were wiped and just before they are unmapped, so a test
// can read them while they are still valid memory. Not for production code.
using ReleaseHook = void (*)(const char* data, std::size_t capacity);
void set_release_hook(ReleaseHook hook) noexcept;
}  // namespace secret_testing

}  // namespace gdp
