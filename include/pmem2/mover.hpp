// Data movers: RAII owners of the libminiasync movers, and mover_ref, a
// non-owning handle to any struct vdm (ours or one made through the C API).
#pragma once

#include <cerrno>
#include <cstddef>
#include <span>
#include <utility>

#include <libminiasync/data_mover_sync.h>
#include <libminiasync/data_mover_threads.h>
#include <libminiasync/vdm.h>

#include "error.hpp"
#include "future.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// Which notification a threads mover's futures use.
enum class notifier_kind {
	none = FUTURE_NOTIFIER_NONE,	// pollers must poll
	waker = FUTURE_NOTIFIER_WAKER,	// completion calls the poller's waker
	poller = FUTURE_NOTIFIER_POLLER,
};

// A struct vdm that somebody else owns.
class mover_ref {
public:
	constexpr mover_ref() noexcept = default;
	constexpr mover_ref(struct vdm *v) noexcept : vdm_(v) {}

	struct vdm *vdm() const noexcept { return vdm_; }
	explicit operator bool() const noexcept { return vdm_ != nullptr; }
	// True when the mover makes durable writes itself (VDM_F_MEM_DURABLE).
	bool durable() const noexcept { return vdm_ != nullptr && vdm_is_supported(vdm_, VDM_F_MEM_DURABLE); }

	// Mover operations (no durability unless the mover provides it).
	vdm_future memcpy_async(void *dst, const void *src, std::size_t n, std::uint64_t flags = 0) const noexcept
	{
		return vdm_future(vdm_memcpy(vdm_, dst, const_cast<void *>(src), n, flags));
	}
	vdm_future memmove_async(void *dst, const void *src, std::size_t n, std::uint64_t flags = 0) const noexcept
	{
		return vdm_future(vdm_memmove(vdm_, dst, const_cast<void *>(src), n, flags));
	}
	vdm_future memset_async(void *dst, int c, std::size_t n, std::uint64_t flags = 0) const noexcept
	{
		return vdm_future(vdm_memset(vdm_, dst, c, n, flags));
	}
	// Copies min(dst.size(), src.size()) bytes.
	vdm_future copy_async(std::span<std::byte> dst, std::span<const std::byte> src) const noexcept
	{
		return memcpy_async(dst.data(), src.data(), dst.size() < src.size() ? dst.size() : src.size());
	}

private:
	struct vdm *vdm_ = nullptr;
};

// Worker threads that run operations; futures complete on a worker and
// wake the awaiting coroutine.
class threads_mover {
public:
	// `queue_size` must be a power of two.
	static result<threads_mover> try_create(std::size_t nthreads, std::size_t queue_size = 128,
		notifier_kind notifier = notifier_kind::waker) noexcept
	{
		if (nthreads == 0 || queue_size == 0 || (queue_size & (queue_size - 1)) != 0)
			return detail::make_error(-EINVAL, "data_mover_threads_new",
				"thread count must be positive and queue size a power of two");
		data_mover_threads *t = data_mover_threads_new(nthreads, queue_size,
			static_cast<future_notifier_type>(notifier));
		if (t == nullptr)
			return detail::make_error(-ENOMEM, "data_mover_threads_new", "cannot start the mover");
		return threads_mover(t, adopt_tag{});
	}
	explicit threads_mover(std::size_t nthreads, std::size_t queue_size = 128,
		notifier_kind notifier = notifier_kind::waker)
		: threads_mover(try_create(nthreads, queue_size, notifier).value()) {}

	threads_mover(threads_mover &&o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
	threads_mover &operator=(threads_mover &&o) noexcept
	{
		if (this != &o) {
			data_mover_threads_delete(t_);
			t_ = std::exchange(o.t_, nullptr);
		}
		return *this;
	}
	threads_mover(const threads_mover &) = delete;
	threads_mover &operator=(const threads_mover &) = delete;
	// Finishes every started operation first.
	~threads_mover() { data_mover_threads_delete(t_); }

	data_mover_threads *native() const noexcept { return t_; }
	struct vdm *vdm() const noexcept { return t_ != nullptr ? data_mover_threads_get_vdm(t_) : nullptr; }
	mover_ref ref() const noexcept { return vdm(); }
	operator mover_ref() const noexcept { return ref(); }

private:
	struct adopt_tag {};
	threads_mover(data_mover_threads *t, adopt_tag) noexcept : t_(t) {}
	data_mover_threads *t_ = nullptr;
};

// Runs each operation inside its first poll, on the polling thread.
class sync_mover {
public:
	static result<sync_mover> try_create() noexcept
	{
		data_mover_sync *s = data_mover_sync_new();
		if (s == nullptr)
			return detail::make_error(-ENOMEM, "data_mover_sync_new");
		return sync_mover(s, adopt_tag{});
	}
	sync_mover() : sync_mover(try_create().value()) {}

	sync_mover(sync_mover &&o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
	sync_mover &operator=(sync_mover &&o) noexcept
	{
		if (this != &o) {
			data_mover_sync_delete(s_);
			s_ = std::exchange(o.s_, nullptr);
		}
		return *this;
	}
	sync_mover(const sync_mover &) = delete;
	sync_mover &operator=(const sync_mover &) = delete;
	~sync_mover() { data_mover_sync_delete(s_); }

	data_mover_sync *native() const noexcept { return s_; }
	struct vdm *vdm() const noexcept { return s_ != nullptr ? data_mover_sync_get_vdm(s_) : nullptr; }
	mover_ref ref() const noexcept { return vdm(); }
	operator mover_ref() const noexcept { return ref(); }

private:
	struct adopt_tag {};
	sync_mover(data_mover_sync *s, adopt_tag) noexcept : s_(s) {}
	data_mover_sync *s_ = nullptr;
};

} // namespace v1
} // namespace pmem2
