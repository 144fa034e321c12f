// Which kind of mover a map's async operations go to. Decided once, when
// the map is made, by identity: never by struct vdm::capabilities, which a
// user's mover may set to anything.
#pragma once

struct vdm;

namespace pmem2::durable {

enum class mover_kind : unsigned char {
	builtin,	// no vdm configured: libpmem2's default mover, on the polling thread
	ours,		// a mover that honours the request (the threads and DSA movers)
	foreign,	// anything else: plain operation, then libpmem2's persist step
};

// builtin for nullptr; ours when the identity check of a library that
// makes movers of that kind (see protocol.hpp) is loaded in the process
// and recognises `v`; else foreign.
mover_kind classify(const struct vdm *v) noexcept;

} // namespace pmem2::durable
