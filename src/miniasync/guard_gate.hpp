// The gate of a threads-mover slot: how the takers of a durable
// operation's chunks (workers and waiting callers) enter its map's guard
// once for all of them. Apart from the mover because it is a small state
// machine with a proof of its own, on the slot alone.
//
// A durable operation enters its map's guard once, for all its chunks. The
// first thread to take any of its chunks moves the slot's gate from closed
// to entering and enters the guard; no chunk is claimed before the gate is
// open, so nothing is written unless the map is still there. Takers that
// find the gate entering wait for it (two atomic operations away); one that
// finds it failed writes nothing. Plain operations have no guard: their
// gate is open from submission.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

#include "common/spin.hpp"
#include "durable/protocol.hpp"
#include "op_slots.hpp"

namespace pmem2::masync {

enum class gate_pass {
	open,	// claim chunks
	refused,	// this taker found the map gone and marked the operation refused: finish it
	failed,	// another taker did: nothing to do
};

inline gate_pass pass_gate(op_slot &s) noexcept
{
	std::uint32_t gate = s.gate.load(std::memory_order_acquire);
	if (gate == gate_open)
		return gate_pass::open;
	if (gate == gate_closed &&
	    s.gate.compare_exchange_strong(gate, gate_entering, std::memory_order_acq_rel)) {
		// The first taker: enter the map's guard for every chunk.
		durable::map_guard *g = durable::guard_of(s.op);
		if (g == nullptr ||
		    !g->svc->enter(g, durable::unpack(durable::flags_of(s.op)).gen)) {
			// The map is gone: write nothing.
			s.result = VDM_ERROR_JOB_CORRUPTED;
			s.status.store(durable::status_refused, std::memory_order_relaxed);
			s.next_chunk.store(s.nchunks, std::memory_order_relaxed);
			s.gate.store(gate_failed, std::memory_order_release);
			return gate_pass::refused;
		}
		s.guard = g;
		s.gate.store(gate_open, std::memory_order_release);
		return gate_pass::open;
	}
	// Another taker is between the two stores around guard_enter: a few
	// atomic operations away, unless it was preempted.
	for (unsigned i = 1; gate == gate_entering; ++i) {
		if (i % 64 == 0)
			sched_yield();
		else
			cpu_relax();
		gate = s.gate.load(std::memory_order_acquire);
	}
	return gate == gate_open ? gate_pass::open : gate_pass::failed;
}

} // namespace pmem2::masync
