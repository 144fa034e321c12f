// Batches in C++: an RAII owner of a <libpmem2/batch.h> batch of one map;
// and when_all(map, futures...), which makes durable futures of one map one
// batch (one drain for all) and returns one future for them.
// Entries are checked as they are added (a refused one throws
// pmem2::error with the library's code and message, and is not added);
// run() returns one durable_future for all of them, durable as a whole
// with one drain (docs/ASYNC.md, "Batches"). The batch, the buffers it
// names and the result variables must stay in place until that future
// completes.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <libminiasync/future.h>
#include <libminiasync/runtime.h>

#include <libpmem2/batch.h>

#include "error.hpp"
#include "flags.hpp"
#include "future.hpp"
#include "map.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

class batch {
public:
	static result<batch> try_create(const map_ref &m, std::size_t capacity) noexcept
	{
		pmem2_batch *b = nullptr;
		if (int rc = pmem2_batch_new(&b, m.native(), capacity); rc != 0)
			return detail::last_error(rc, "pmem2_batch_new");
		return batch(b);
	}
	batch(const map_ref &m, std::size_t capacity) : batch(try_create(m, capacity).value()) {}

	batch(batch &&o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
	batch &operator=(batch &&o) noexcept
	{
		if (this != &o) {
			pmem2_batch_delete(&b_);
			b_ = std::exchange(o.b_, nullptr);
		}
		return *this;
	}
	batch(const batch &) = delete;
	batch &operator=(const batch &) = delete;
	~batch() { pmem2_batch_delete(&b_); }

	batch &copy(void *dst, const void *src, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memcpy(b_, dst, src, n, f.bits()), "pmem2_batch_memcpy");
	}
	batch &copy(std::span<std::byte> dst, std::span<const std::byte> src, mem_flags f = {})
	{
		return copy(dst.data(), src.data(), src.size() < dst.size() ? src.size() : dst.size(), f);
	}
	batch &move(void *dst, const void *src, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memmove(b_, dst, src, n, f.bits()), "pmem2_batch_memmove");
	}
	batch &fill(void *dst, int c, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memset(b_, dst, c, n, f.bits()), "pmem2_batch_memset");
	}
	batch &fill8(void *dst, std::uint64_t pattern, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memset8(b_, dst, pattern, n, f.bits()), "pmem2_batch_memset8");
	}
	batch &dualcast(void *dst1, void *dst2, const void *src, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_dualcast(b_, dst1, dst2, src, n, f.bits()), "pmem2_batch_dualcast");
	}
	batch &persist(const void *p, std::size_t n)
	{
		return check(pmem2_batch_persist(b_, const_cast<void *>(p), n), "pmem2_batch_persist");
	}
	// Entries after it start after every entry before it ended.
	batch &fence() { return check(pmem2_batch_fence(b_), "pmem2_batch_fence"); }
	// `crc` is written when the future completes.
	batch &crc32c(const void *src, std::size_t n, std::uint32_t &crc, std::uint32_t seed = 0)
	{
		return check(pmem2_batch_crc32c(b_, src, n, seed, &crc), "pmem2_batch_crc32c");
	}
	batch &copy_crc32c(void *dst, const void *src, std::size_t n, std::uint32_t &crc,
		std::uint32_t seed = 0, mem_flags f = {})
	{
		return check(pmem2_batch_copy_crc32c(b_, dst, src, n, seed, &crc, f.bits()),
			"pmem2_batch_copy_crc32c");
	}
	// `first_diff` (n when equal) is written when the future completes.
	batch &compare(const void *a, const void *b, std::size_t n, std::size_t &first_diff)
	{
		return check(pmem2_batch_compare(b_, a, b, n, &first_diff), "pmem2_batch_compare");
	}

	// One future for every entry; the batch may run again once it completed.
	durable_future run() noexcept { return durable_future(pmem2_batch_async(b_)); }
	// Empties the batch (no future of it may be pending).
	void reset() noexcept { pmem2_batch_reset(b_); }
	std::size_t size() const noexcept { return pmem2_batch_size(b_); }
	pmem2_batch *native() const noexcept { return b_; }

private:
	explicit batch(pmem2_batch *b) noexcept : b_(b) {}
	batch &check(int rc, const char *what)
	{
		detail::check(rc, what);
		return *this;
	}
	pmem2_batch *b_ = nullptr;
};

namespace detail {

struct fused_state;
struct fused_data {
	fused_state *state;
};
struct fused_output {
	int result;
};
FUTURE(fused_c_future, struct fused_data, struct fused_output);

// What a fused_future owns, on the heap so that it stays in place when the
// fused_future moves (the batch's future must not move once polled).
struct fused_state {
	std::vector<durable_future> members;
	std::vector<unsigned char> fused;		// 1: the member runs in the batch
	std::vector<future_notifier_type> used;	// per member: the notifier it used last
	pmem2_batch *batch = nullptr;
	pmem2_future batch_f{};
	bool batch_polled = false, batch_done = false;

	fused_state() = default;
	fused_state(const fused_state &) = delete;
	fused_state &operator=(const fused_state &) = delete;
	~fused_state()
	{
		// A batch future in flight finishes before its batch goes (the
		// members' own destructors wait for those that were polled).
		if (batch_polled && !batch_done)
			runtime_wait(shared_runtime(), FUTURE_AS_RUNNABLE(&batch_f));
		pmem2_batch_delete(&batch);
	}

	// The batch is done: every fused member completes with its result.
	void finish_batch() noexcept
	{
		batch_done = true;
		for (std::size_t i = 0; i < members.size(); ++i) {
			if (!fused[i])
				continue;
			pmem2_future &m = members[i].native();
			m.output.result = batch_f.output.result;
			m.base.context.state = FUTURE_STATE_COMPLETE;
		}
	}

	// One step of everything pending: the batch, then the unfused members.
	// Each is polled with the caller's notifier; the caller is promised a
	// wake-up only when every pending one promised it one (a POLLER or no
	// notifier from any of them: the caller polls again).
	future_state poll(future_notifier *n) noexcept
	{
		bool pending = false, all_wake = true;
		auto step = [&](struct future *f, future_notifier_type &u) {
			future_notifier cn{};
			if (n != nullptr) {
				cn = *n;
				cn.notifier_used = u;
			}
			if (future_poll(f, n != nullptr ? &cn : nullptr) == FUTURE_STATE_COMPLETE)
				return true;
			u = cn.notifier_used;
			pending = true;
			all_wake = all_wake && n != nullptr && u == FUTURE_NOTIFIER_WAKER;
			return false;
		};
		if (batch != nullptr && !batch_done) {
			batch_polled = true;
			if (step(FUTURE_AS_RUNNABLE(&batch_f), batch_used))
				finish_batch();
		}
		for (std::size_t i = 0; i < members.size(); ++i)
			if (!fused[i] && !members[i].ready())
				step(members[i].runnable(), used[i]);
		if (!pending)
			return FUTURE_STATE_COMPLETE;
		if (n != nullptr)
			n->notifier_used = all_wake ? FUTURE_NOTIFIER_WAKER : FUTURE_NOTIFIER_NONE;
		return FUTURE_STATE_RUNNING;
	}

	future_notifier_type batch_used = FUTURE_NOTIFIER_NONE;

	static future_state task(future_context *ctx, future_notifier *n) noexcept
	{
		auto *d = static_cast<fused_data *>(future_context_get_data(ctx));
		return d->state->poll(n);
	}
};

} // namespace detail

// One future for several durable futures (pmem2::when_all below). Complete
// when every one of them is; each member then holds its own outcome, as if
// it had run alone (members()); the fused future's own outcome is the
// first member's error by position, or success. Like a basic_future it may
// be dropped before its first poll (nothing runs), waits for what is in
// flight when dropped after it, and must not move once polled (co_await and
// sync_wait take care of that).
class [[nodiscard]] fused_future {
public:
	using value_type = void;

	fused_future() noexcept { FUTURE_INIT_COMPLETE(&f_); }
	fused_future(const map_ref &m, std::vector<durable_future> futures)
		: s_(std::make_unique<detail::fused_state>())
	{
		detail::fused_state &s = *s_;
		s.members = std::move(futures);
		s.fused.assign(s.members.size(), 0);
		s.used.assign(s.members.size(), FUTURE_NOTIFIER_NONE);
		std::size_t candidates = 0;
		for (durable_future &f : s.members)
			if (f.valid() && FUTURE_STATE(&f.native()) == FUTURE_STATE_IDLE)
				++candidates;
		// One future alone gains nothing from a batch; a map whose mover
		// cannot run batches refuses one (the futures then run unfused).
		if (candidates >= 2 && pmem2_batch_new(&s.batch, m.native(), candidates) == 0) {
			std::size_t added = 0;
			for (std::size_t i = 0; i < s.members.size(); ++i) {
				durable_future &f = s.members[i];
				if (!f.valid() || FUTURE_STATE(&f.native()) != FUTURE_STATE_IDLE)
					continue;
				// Refused (another map, a batch's future...): runs unfused.
				s.fused[i] = pmem2_batch_add_future(s.batch, &f.native()) == 0;
				added += s.fused[i];
			}
			if (added != 0)
				s.batch_f = pmem2_batch_async(s.batch);
			else
				pmem2_batch_delete(&s.batch);
		}
		f_.data.state = s_.get();
		f_.output.result = 0;
		FUTURE_INIT(&f_, &detail::fused_state::task);
	}

	fused_future(fused_future &&o) noexcept : f_(o.f_), s_(std::move(o.s_)) { FUTURE_INIT_COMPLETE(&o.f_); }
	fused_future &operator=(fused_future &&o) noexcept
	{
		if (this != &o) {
			s_ = std::move(o.s_);
			f_ = o.f_;
			FUTURE_INIT_COMPLETE(&o.f_);
		}
		return *this;
	}
	fused_future(const fused_future &) = delete;
	fused_future &operator=(const fused_future &) = delete;
	~fused_future() = default;	// the state waits for what is in flight

	bool valid() const noexcept { return s_ != nullptr; }
	bool ready() const noexcept { return !s_ || FUTURE_STATE(&f_) == FUTURE_STATE_COMPLETE; }
	future_state poll(future_notifier *n = nullptr) noexcept
	{
		return s_ ? future_poll(FUTURE_AS_RUNNABLE(&f_), n) : FUTURE_STATE_COMPLETE;
	}
	struct future *runnable() noexcept { return FUTURE_AS_RUNNABLE(&f_); }

	result<void> try_wait() noexcept
	{
		if (!ready())
			runtime_wait(detail::shared_runtime(), FUTURE_AS_RUNNABLE(&f_));
		return try_get();
	}
	void wait() { try_wait().value(); }
	result<void> try_get() const noexcept
	{
		if (!s_)
			return detail::make_error(PMEM2_E_UNKNOWN, "fused future", "no operation (empty future)");
		for (const durable_future &m : s_->members)
			if (m.valid() && m.code() != 0)
				return m.try_get().error();
		return {};
	}
	void get() const { try_get().value(); }
	int code() const noexcept { return try_get().code(); }

	// The futures given, each complete (with its own outcome) once this is.
	std::span<durable_future> members() noexcept
	{
		return s_ ? std::span<durable_future>(s_->members) : std::span<durable_future>();
	}
	// How many of them run as one batch (0: none fused).
	std::size_t fused() const noexcept
	{
		std::size_t k = 0;
		if (s_)
			for (unsigned char f : s_->fused)
				k += f;
		return k;
	}

	auto operator co_await() & noexcept { return detail::future_awaiter<fused_future &, true>(*this); }
	auto operator co_await() && noexcept
	{
		return detail::future_awaiter<fused_future, true>(std::move(*this));
	}
	auto no_throw() & noexcept { return detail::future_awaiter<fused_future &, false>(*this); }
	auto no_throw() && noexcept { return detail::future_awaiter<fused_future, false>(std::move(*this)); }

private:
	detail::fused_c_future f_{};
	std::unique_ptr<detail::fused_state> s_;
};

// Durable futures of map `m`, never polled, as one future: they run as one
// batch, with one drain for all (pmem2_batch_add_future), instead of one
// drain each. A future that cannot join (polled already, complete at once
// because its checks refused it, of another map, a batch's own future, or
// any future when m's mover cannot run batches) runs alongside, unfused;
// the outcome is the same, only the drains differ. Fusing may leave a
// message in pmem2_errormsg(). Not to be confused with when_all over tasks
// (task.hpp): this one takes the map first and returns a fused_future.
inline fused_future when_all(const map_ref &m, std::vector<durable_future> futures)
{
	return fused_future(m, std::move(futures));
}
template <class... F>
	requires(std::same_as<F, durable_future> && ...)
fused_future when_all(const map_ref &m, F &&...futures)
{
	std::vector<durable_future> v;
	v.reserve(sizeof...(F));
	(v.push_back(std::move(futures)), ...);
	return fused_future(m, std::move(v));
}

} // namespace v1
} // namespace pmem2
