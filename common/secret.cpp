#include "common/secret.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace gdp {
namespace {

// The registry's lock. Never destroyed: a secret in a static object may be released after any
// static destructor has run.
std::mutex& registry_mutex() {
  static auto* m = new std::mutex;  // deliberately leaked, see above
  return *m;
}

std::atomic<secret_testing::ReleaseHook> release_hook{nullptr};

// mlock and munlock by system call, not through libc: AddressSanitizer intercepts both as no-ops
// that report success, and the sanitizer build must lock what the release build locks.
bool lock_pages(void* p, std::size_t n) {
  return syscall(SYS_mlock, p, n) == 0;
}
void unlock_pages(void* p, std::size_t n) {
  syscall(SYS_munlock, p, n);
}

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

// Every SecretKey that owns pages is on one intrusive list, so the daemon can wipe them all on its
// way out whoever holds them. Intrusive, so that moving a secret (noexcept) never allocates.
SecretKey* SecretKey::first_live_ = nullptr;

void SecretKey::enroll() noexcept {
  std::lock_guard lock(registry_mutex());
  prev_ = nullptr;
  next_ = first_live_;
  if (first_live_ != nullptr) first_live_->prev_ = this;
  first_live_ = this;
}

void SecretKey::withdraw() noexcept {
  std::lock_guard lock(registry_mutex());
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    first_live_ = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
  prev_ = next_ = nullptr;
}

SecretKey::SecretKey(std::size_t capacity) {
  const auto page = page_size();
  capacity_ = capacity == 0 ? page : (capacity + page - 1) / page * page;
  void* p = mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap for a secret");
  data_ = static_cast<char*>(p);
  // Advice first: if mlock fails the other two protections still hold.
  madvise(data_, capacity_, MADV_DONTDUMP);
  madvise(data_, capacity_, MADV_WIPEONFORK);
  locked_ = lock_pages(data_, capacity_);
  enroll();
}

SecretKey SecretKey::from(std::string_view bytes) {
  SecretKey s(bytes.size());
  std::memcpy(s.data_, bytes.data(), bytes.size());
  s.size_ = bytes.size();
  return s;
}

SecretKey SecretKey::take(std::string& source) {
  auto s = from(source);
  explicit_bzero(source.data(), source.size());
  source.clear();
  return s;
}

SecretKey::~SecretKey() {
  release();
}

SecretKey::SecretKey(SecretKey&& other) noexcept { adopt(other); }

void SecretKey::adopt(SecretKey& other) noexcept {
  // The pages change hands; the registry entry moves with them, so wipe_all_secrets() still
  // reaches them and never reaches the emptied source.
  data_ = other.data_;
  size_ = other.size_;
  capacity_ = other.capacity_;
  locked_ = other.locked_;
  if (data_ != nullptr) {
    other.withdraw();
    enroll();
  }
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
  other.locked_ = false;
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    release();
    adopt(other);
  }
  return *this;
}

void SecretKey::resize(std::size_t size) {
  if (size > capacity_) throw std::length_error("a secret grew past its locked buffer");
  if (size < size_) explicit_bzero(data_ + size, size_ - size);
  size_ = size;
}

void SecretKey::trim_trailing_whitespace() noexcept {
  auto n = size_;
  while (n > 0 &&
         (data_[n - 1] == ' ' || data_[n - 1] == '\t' || data_[n - 1] == '\r' || data_[n - 1] == '\n')) {
    --n;
  }
  explicit_bzero(data_ + n, size_ - n);
  size_ = n;
}

void SecretKey::wipe() noexcept {
  // The whole capacity, not just size_: a reader may have written past what it kept.
  if (data_ != nullptr) explicit_bzero(data_, capacity_);
  size_ = 0;
}

void SecretKey::release() noexcept {
  if (data_ == nullptr) return;
  withdraw();
  wipe();
  if (auto hook = release_hook.load()) hook(data_, capacity_);
  if (locked_) unlock_pages(data_, capacity_);
  munmap(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
  locked_ = false;
}

std::size_t wipe_all_secrets() noexcept {
  std::lock_guard lock(registry_mutex());
  std::size_t held = 0;
  for (auto* s = SecretKey::first_live_; s != nullptr; s = s->next_) {
    if (!s->empty()) ++held;
    s->wipe();
  }
  return held;
}

std::size_t live_secret_count() noexcept {
  std::lock_guard lock(registry_mutex());
  std::size_t n = 0;
  for (auto* s = SecretKey::first_live_; s != nullptr; s = s->next_) ++n;
  return n;
}

namespace secret_testing {
void set_release_hook(ReleaseHook hook) noexcept {
  release_hook.store(hook);
}
}  // namespace secret_testing

}  // namespace gdp
