#include "vdm_dml/device_batch.hpp"

#include <memory>
#include <new>

namespace pmem2::vdm_dml {
namespace {

enum class mapped { operation, fence, cpu_only };

// An entry as the vdm operation dsa::batch describes.
mapped operation_of(const durable::batch_entry &e, vdm_operation &op) noexcept
{
	op = vdm_operation{};
	switch (e.kind) {
	case durable::entry_kind::copy:
		op.type = VDM_OPERATION_MEMCPY;
		op.data.memcpy = {e.dest, const_cast<void *>(e.src), e.n, VDM_F_MEM_DURABLE};
		return mapped::operation;
	case durable::entry_kind::move:
		op.type = VDM_OPERATION_MEMMOVE;
		op.data.memmove = {e.dest, const_cast<void *>(e.src), e.n, VDM_F_MEM_DURABLE};
		return mapped::operation;
	case durable::entry_kind::fill:
		op.type = VDM_OPERATION_MEMSET;
		op.data.memset = {e.dest, e.c, e.n, VDM_F_MEM_DURABLE};
		return mapped::operation;
	case durable::entry_kind::persist:
		op.type = VDM_OPERATION_FLUSH;
		op.data.flush = {e.dest, e.n, 0};
		return mapped::operation;
	case durable::entry_kind::fence:
		return mapped::fence;
	default:
		// The device's own opcodes for these (MEMFILL's 8-byte pattern,
		// DUALCAST, CRCGEN, COPY_CRC, COMPARE) are not sent yet.
		return mapped::cpu_only;
	}
}

} // namespace

bool start_device_batch(op_slot &s, dsa::queue_link &q, const durable::batch_op &b) noexcept
{
	std::size_t ops = 0;
	vdm_operation op;
	for (std::size_t i = 0; i < b.count; ++i) {
		const mapped m = operation_of(b.entries[i], op);
		if (m == mapped::cpu_only)
			return false;
		ops += m == mapped::operation;
	}
	if (ops < 2 || ops > q.max_batch_size)
		return false;
	if (!s.dev_batch || s.dev_batch->capacity() < ops || &s.dev_batch->queue() != &q) {
		s.dev_batch.reset();
		try {
			s.dev_batch = std::make_unique<dsa::batch>(q, ops);
		} catch (const std::bad_alloc &) {
			return false;	// the CPU route needs no memory
		}
	} else {
		s.dev_batch->reset();
	}
	bool fence = false;
	for (std::size_t i = 0; i < b.count; ++i) {
		if (operation_of(b.entries[i], op) == mapped::fence) {
			fence = true;
			continue;
		}
		if (!s.dev_batch->add(op, fence)) {
			s.dev_batch->reset();
			return false;
		}
		fence = false;
	}
	s.has_batch = true;
	s.dev_batch->poll();
	return true;
}

dsa::job_state poll_device_batch(op_slot &s) noexcept
{
	dsa::batch &bt = *s.dev_batch;
	if (bt.poll() == dsa::job_state::running)
		return dsa::job_state::running;
	for (std::size_t i = 0; i < bt.size(); ++i)
		if (bt.state_of(i) == dsa::job_state::failed && !s.failed) {
			s.failed = true;
			s.dev_status = bt.status_of(i);
		}
	return s.failed ? dsa::job_state::failed : dsa::job_state::done;
}

int sync_batch_entries(const op_slot &s) noexcept
{
	const durable::batch_op b = durable::batch_of(s.op);
	int first = 0;
	for (std::size_t i = 0; i < b.count; ++i) {
		const durable::batch_entry &e = b.entries[i];
		if (e.kind == durable::entry_kind::fence || e.n == 0)
			continue;
		const int st = s.guard->svc->persist(e.dest, e.n, s.req);
		if (st != 0 && first == 0)
			first = st;
	}
	return first;
}

} // namespace pmem2::vdm_dml
