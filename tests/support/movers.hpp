// The movers a test of pmem2 futures runs on, owned by the test, by kind
// (the default mover is no vdm at all), with their names for test names;
// and waiting for one future through the runtime.
#pragma once

#include <libminiasync.h>

namespace pmem2::test {

enum class mover_kind { default_mover, sync, threads_none, threads_waker, threads_poller };

inline const char *mover_name(mover_kind m)
{
	switch (m) {
	case mover_kind::default_mover: return "default";
	case mover_kind::sync: return "sync";
	case mover_kind::threads_none: return "threads_none";
	case mover_kind::threads_waker: return "threads_waker";
	case mover_kind::threads_poller: return "threads_poller";
	}
	return "?";
}

// The threads movers have two workers and 64 queue entries.
struct mover {
	data_mover_sync *dms = nullptr;
	data_mover_threads *dmt = nullptr;
	explicit mover(mover_kind k)
	{
		switch (k) {
		case mover_kind::default_mover: break;
		case mover_kind::sync: dms = data_mover_sync_new(); break;
		case mover_kind::threads_none: dmt = data_mover_threads_new(2, 64, FUTURE_NOTIFIER_NONE); break;
		case mover_kind::threads_waker: dmt = data_mover_threads_new(2, 64, FUTURE_NOTIFIER_WAKER); break;
		case mover_kind::threads_poller: dmt = data_mover_threads_new(2, 64, FUTURE_NOTIFIER_POLLER); break;
		}
	}
	~mover()
	{
		if (dms)
			data_mover_sync_delete(dms);
		if (dmt)
			data_mover_threads_delete(dmt);
	}
	mover(const mover &) = delete;
	mover &operator=(const mover &) = delete;
	struct vdm *vdm() const
	{
		if (dms)
			return data_mover_sync_get_vdm(dms);
		if (dmt)
			return data_mover_threads_get_vdm(dmt);
		return nullptr;
	}
};

// Waits for `f` (any future type with FUTURE_AS_RUNNABLE) in runtime_wait.
template <class F>
void wait_in_runtime(F &f)
{
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
}

} // namespace pmem2::test
