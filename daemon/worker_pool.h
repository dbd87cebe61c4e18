// Blocking work (reading files, later Docker and SQLite calls) runs on a worker pool so gdpd's one
// event-loop thread keeps answering every client. `co_await run_blocking(pool, fn)` runs fn on the
// pool and resumes the caller on its own executor with fn's result, or rethrows fn's exception.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace gdp {

// Deliberately not a coroutine itself, and callers pass a named callable: GCC 12 copies coroutine
// parameters and co_await temporaries bitwise in some cases and then destroys both copies (seen as
// a double free under ASan), so nothing with a destructor crosses a coroutine boundary by value here.
template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn>> run_blocking(boost::asio::thread_pool& pool, Fn&& fn) {
  using Result = std::invoke_result_t<Fn>;
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(std::exception_ptr, Result)>(
      [&pool](auto handler, std::decay_t<Fn> work) {
        // The handler resumes the awaiting coroutine: it must run on that coroutine's executor.
        auto home = boost::asio::get_associated_executor(handler);
        boost::asio::post(pool, [handler = std::move(handler), work = std::move(work), home]() mutable {
          std::exception_ptr failure;
          Result result{};
          try {
            result = work();
          } catch (...) {
            failure = std::current_exception();
          }
          boost::asio::post(home,
                            [handler = std::move(handler), failure, result = std::move(result)]() mutable {
                              std::move(handler)(failure, std::move(result));
                            });
        });
      },
      boost::asio::use_awaitable, std::forward<Fn>(fn));
}

}  // namespace gdp
