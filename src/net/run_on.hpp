// run_on(pool, fn): runs blocking work (file I/O) on a thread pool and resumes
// the awaiting coroutine on its own executor afterwards, so the network loop
// never blocks on the disk. The coroutine's io_context is kept busy (work
// guard) while the work runs, so run() cannot return under it.
//
// `fn` must own nothing: capture pointers, references and views, and keep
// owned objects in the awaiting coroutine's locals. GCC 12 copies a lambda
// passed as a prvalue inside a co_await expression bitwise and then runs
// the destructor of both copies (compare asio issue #1007), so a captured
// unique_ptr is deleted twice, once on the pool and once on the loop.
#pragma once

#include <type_traits>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

namespace framewire::net {

template <typename Function>
asio::awaitable<void> run_on(asio::thread_pool& pool, Function fn) {
  static_assert(std::is_trivially_copyable_v<Function>,
                "run_on: capture only pointers, references and views (see the top of run_on.hpp)");
  auto initiate = [&pool, fn = std::move(fn)](auto handler) mutable {
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(
        pool, [fn = std::move(fn), handler = std::move(handler), work = std::move(work)]() mutable {
          fn();
          auto executor = work.get_executor();
          asio::post(executor, [handler = std::move(handler)]() mutable { std::move(handler)(); });
          work.reset();
        });
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>, void()>(std::move(initiate),
                                                                       asio::use_awaitable);
}

}  // namespace framewire::net
