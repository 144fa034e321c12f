// pmem2::task<T>: a lazily started coroutine; sync_wait() runs one on an
// event loop on the calling thread; when_all() runs several concurrently.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "loop.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

template <class T = void>
class task;

namespace detail {

// Holds a task's outcome: nothing yet, a value, or an exception.
template <class T>
struct task_result {
	std::variant<std::monostate, T, std::exception_ptr> v;

	template <class U>
	void set_value(U &&u) { v.template emplace<1>(std::forward<U>(u)); }
	void set_exception(std::exception_ptr e) noexcept { v.template emplace<2>(std::move(e)); }
	T get()
	{
		if (v.index() == 2)
			std::rethrow_exception(std::get<2>(v));
		return std::move(std::get<1>(v));
	}
};

template <>
struct task_result<void> {
	std::exception_ptr ex;

	void set_exception(std::exception_ptr e) noexcept { ex = std::move(e); }
	void get()
	{
		if (ex)
			std::rethrow_exception(ex);
	}
};

// Resumes whoever awaited the task (symmetric transfer: no stack growth).
struct final_awaiter {
	bool await_ready() const noexcept { return false; }
	template <class P>
	std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept
	{
		return h.promise().continuation;
	}
	void await_resume() const noexcept {}
};

template <class T>
struct promise_base {
	std::coroutine_handle<> continuation = std::noop_coroutine();
	task_result<T> result;

	std::suspend_always initial_suspend() const noexcept { return {}; }
	final_awaiter final_suspend() const noexcept { return {}; }
	void unhandled_exception() noexcept { result.set_exception(std::current_exception()); }
};

template <class T>
struct task_promise : promise_base<T> {
	task<T> get_return_object() noexcept;
	template <class U>
		requires std::is_convertible_v<U &&, T>
	void return_value(U &&u) { this->result.set_value(std::forward<U>(u)); }
};

template <>
struct task_promise<void> : promise_base<void> {
	task<void> get_return_object() noexcept;
	void return_void() const noexcept {}
};

} // namespace detail

// Move-only; starts when awaited (or handed to sync_wait / when_all).
// Destroying a task that has started but not finished is not allowed.
template <class T>
class [[nodiscard]] task {
public:
	using promise_type = detail::task_promise<T>;
	using value_type = T;

	task() noexcept = default;
	explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
	task(task &&o) noexcept : h_(std::exchange(o.h_, {})) {}
	task &operator=(task &&o) noexcept
	{
		if (this != &o) {
			if (h_)
				h_.destroy();
			h_ = std::exchange(o.h_, {});
		}
		return *this;
	}
	task(const task &) = delete;
	task &operator=(const task &) = delete;
	~task()
	{
		if (h_)
			h_.destroy();
	}

	bool valid() const noexcept { return static_cast<bool>(h_); }
	bool done() const noexcept { return h_ && h_.done(); }

	auto operator co_await() && noexcept
	{
		struct awaiter {
			std::coroutine_handle<promise_type> h;
			bool await_ready() const noexcept { return !h || h.done(); }
			std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) noexcept
			{
				h.promise().continuation = c;
				return h;
			}
			T await_resume() { return h.promise().result.get(); }
		};
		return awaiter{h_};
	}

	std::coroutine_handle<promise_type> handle() const noexcept { return h_; }

private:
	std::coroutine_handle<promise_type> h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept
{
	return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}

inline task<void> task_promise<void>::get_return_object() noexcept
{
	return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// A coroutine that is resumed by hand and runs a callback at its end.
struct driver {
	struct promise_type {
		void (*on_done)(void *) noexcept = nullptr;
		void *arg = nullptr;

		driver get_return_object() noexcept
		{
			return driver{std::coroutine_handle<promise_type>::from_promise(*this)};
		}
		std::suspend_always initial_suspend() const noexcept { return {}; }
		auto final_suspend() const noexcept
		{
			struct done_awaiter {
				bool await_ready() const noexcept { return false; }
				std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) const noexcept
				{
					// The frame may be destroyed by whoever on_done releases:
					// nothing touches it afterwards.
					auto fn = h.promise().on_done;
					void *arg = h.promise().arg;
					if (fn != nullptr)
						fn(arg);
					return std::noop_coroutine();
				}
				void await_resume() const noexcept {}
			};
			return done_awaiter{};
		}
		void return_void() const noexcept {}
		void unhandled_exception() const noexcept { std::terminate(); }
	};

	driver() noexcept = default;
	explicit driver(std::coroutine_handle<promise_type> handle) noexcept : h(handle) {}
	driver(driver &&o) noexcept : h(std::exchange(o.h, {})) {}
	driver &operator=(driver &&) = delete;
	~driver()
	{
		if (h)
			h.destroy();
	}

	std::coroutine_handle<promise_type> h;
};

template <class T>
driver drive_into(task<T> t, task_result<T> &out)
{
	try {
		if constexpr (std::is_void_v<T>)
			co_await std::move(t);
		else
			out.set_value(co_await std::move(t));
	} catch (...) {
		out.set_exception(std::current_exception());
	}
}

// void results of when_all become std::monostate in tuples.
template <class T>
using non_void_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

struct when_all_state {
	std::atomic<std::size_t> pending{0};
	std::coroutine_handle<> parent;

	static void arrive(void *p) noexcept
	{
		auto *s = static_cast<when_all_state *>(p);
		if (s->pending.fetch_sub(1, std::memory_order_acq_rel) == 1)
			s->parent.resume();
	}
};

// Starts every driver and suspends the parent until all have finished.
struct when_all_awaiter {
	when_all_state &state;
	std::vector<driver> &children;

	bool await_ready() const noexcept { return children.empty(); }
	bool await_suspend(std::coroutine_handle<> parent) noexcept
	{
		state.parent = parent;
		state.pending.store(children.size() + 1, std::memory_order_relaxed);
		for (driver &d : children) {
			d.h.promise().on_done = &when_all_state::arrive;
			d.h.promise().arg = &state;
		}
		for (driver &d : children)
			d.h.resume();
		// The +1 above is ours: the last to arrive resumes the parent.
		return state.pending.fetch_sub(1, std::memory_order_acq_rel) != 1;
	}
	void await_resume() const noexcept {}
};

template <class T>
T take(task_result<T> &r)
{
	return r.get();
}

inline std::monostate take(task_result<void> &r)
{
	r.get();
	return {};
}

} // namespace detail

// Runs all tasks concurrently; their values in order. If any threw, every
// task still runs to its end and the first exception (by position) is rethrown.
template <class T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> when_all(std::vector<task<T>> tasks)
{
	std::vector<detail::task_result<T>> results(tasks.size());
	std::vector<detail::driver> children;
	children.reserve(tasks.size());
	for (std::size_t i = 0; i < tasks.size(); ++i)
		children.push_back(detail::drive_into(std::move(tasks[i]), results[i]));
	detail::when_all_state state;
	co_await detail::when_all_awaiter{state, children};
	if constexpr (std::is_void_v<T>) {
		for (auto &r : results)
			r.get();
	} else {
		std::vector<T> out;
		out.reserve(results.size());
		for (auto &r : results)
			out.push_back(r.get());
		co_return out;
	}
}

template <class... Ts>
task<std::tuple<detail::non_void_t<Ts>...>> when_all(task<Ts>... tasks)
{
	std::tuple<detail::task_result<Ts>...> results;
	std::vector<detail::driver> children;
	children.reserve(sizeof...(Ts));
	[&]<std::size_t... I>(std::index_sequence<I...>) {
		(children.push_back(detail::drive_into(std::move(tasks), std::get<I>(results))), ...);
	}(std::index_sequence_for<Ts...>{});
	detail::when_all_state state;
	co_await detail::when_all_awaiter{state, children};
	co_return std::apply([](auto &...r) {
		return std::tuple<detail::non_void_t<Ts>...>(detail::take(r)...);
	}, results);
}

// Runs `t` to completion on an event loop on this thread: the value, or
// rethrows its exception. Coroutines awaiting pmem2 futures inside `t`
// resume on this thread.
template <class T>
T sync_wait(task<T> t)
{
	event_loop loop;
	detail::task_result<T> out;
	detail::driver d = detail::drive_into(std::move(t), out);
	d.h.promise().on_done = [](void *l) noexcept { static_cast<event_loop *>(l)->stop(); };
	d.h.promise().arg = &loop;
	{
		event_loop::scope s(&loop);
		d.h.resume();
	}
	loop.run();
	return out.get();
}

// Same as sync_wait.
template <class T>
T run(task<T> t)
{
	return sync_wait(std::move(t));
}

} // namespace v1
} // namespace pmem2
