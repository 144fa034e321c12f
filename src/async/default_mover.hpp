// libpmem2's default mover (pmem2_async(3), docs/ASYNC.md): what a map with no vdm in
// its config uses. Stateless, one instance for the process: maps hold no
// pointer to it (their vdm is nullptr), futures do, and it stays valid for
// futures that outlive their map. It runs the operation on the polling
// thread with the map's durable kernels, inside the map's guard, and
// reports the protocol's status (durable/protocol.hpp).
#pragma once

#include <libminiasync/future.h>
#include <libminiasync/vdm.h>

#include <cstdint>

#include "durable/protocol.hpp"

namespace pmem2::async {

extern struct vdm default_vdm;

// The default mover finds the request in its private data pointer (the
// operation's flags stay those the original requests): durable::pack().
inline void *default_mover_token(const durable::request &r) noexcept
{
	return reinterpret_cast<void *>(static_cast<std::uintptr_t>(durable::pack(r)));
}

// The op entry task of a default-mover future: start, check and delete in
// one call, without the indirect calls of vdm_operation_impl.
enum future_state default_op_task(struct future_context *ctx, struct future_notifier *n) noexcept;

} // namespace pmem2::async
