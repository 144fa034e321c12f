// pmem2 futures in libpmem2's check mode (check/process.hpp, docs/CHECK.md):
// a future made to run is awaited from when it is made; when it completes,
// the ranges it wrote or persisted are checked against the durable image
// (not-durable-at-completion), and one never completed is reported when its
// map is deleted or at exit (incomplete-future). Off check mode, futures are
// built as before: the builders pay one load of the mode.
#pragma once

#include "async/future.hpp"
#include "check/process.hpp"

namespace pmem2::async {

// Whether check mode is on.
inline bool checking() noexcept
{
	return check::process::active();
}

// `f` was built to run: awaited, and its task wrapped so that its
// completion is checked.
void watch(pmem2_future &f) noexcept;

// Whether `t` is the chain task watch() gave a future whose own task was
// default_chain_task (`builtin`) or miniasync's chain walk (else).
bool is_watched(future_task_fn t, bool builtin) noexcept;

// The operation of a watched future `f` went into a batch: no longer
// awaited (pmem2_batch_add_future; the batch's future is).
void taken(const pmem2_future &f) noexcept;

} // namespace pmem2::async
