#include "vdm_dml/device_batch.hpp"

#include <cstring>
#include <memory>
#include <new>

namespace pmem2::vdm_dml {
namespace {

enum class mapped {
	device,		// one descriptor (or a job's pieces)
	fence,		// the FENCE flag of the next descriptor
	result_only,	// nothing to send: an empty CRC or compare, its result known
	cpu_only,	// the device cannot take it: the batch runs on the CPU
};

// The one place that says which entry becomes which device work. Every
// entry that writes the map is durable on the device (CC clear, DRDBK).
mapped work_of(const durable::batch_entry &e, dsa::work &w) noexcept
{
	using durable::entry_kind;
	const std::uint64_t durable = VDM_F_MEM_DURABLE;
	switch (e.kind) {
	case entry_kind::copy:
	case entry_kind::move:
		w = dsa::memmove_work(e.dest, e.src, e.n, durable);
		break;
	case entry_kind::fill:
		w = dsa::fill8_work(e.dest, 0x0101010101010101ULL * static_cast<unsigned char>(e.c), e.n,
			durable);
		break;
	case entry_kind::fill8:
		w = dsa::fill8_work(e.dest, e.value, e.n, durable);
		break;
	case entry_kind::persist:
		w = dsa::cflush_work(e.dest, e.n);
		break;
	case entry_kind::fence:
		return mapped::fence;
	case entry_kind::dualcast:
		w = dsa::dualcast_work(e.dest, e.dest2, e.src, e.n, durable);
		break;
	case entry_kind::crc32c:
		w = dsa::crcgen_work(e.src, e.n, static_cast<std::uint32_t>(e.value));
		break;
	case entry_kind::copy_crc32c:
		w = dsa::copy_crc_work(e.dest, e.src, e.n, static_cast<std::uint32_t>(e.value), durable);
		break;
	case entry_kind::compare:
		w = dsa::compare_work(e.src, e.src2, e.n);
		break;
	default:
		return mapped::cpu_only;
	}
	if (e.n == 0)
		return mapped::result_only;	// the seed, or 0, as the CPU writes
	// An overlapping move (its direction), a dualcast whose destinations
	// differ in bits 11:0 (the device requires them equal) or overlap, an
	// overlapping copy with CRC: the CPU's.
	return dsa::device_refuses(w) ? mapped::cpu_only : mapped::device;
}

// An entry's output, from its work's result, as run_batch writes it on the
// CPU: the CRC as a uint32_t, the first difference (n when none) as a
// size_t.
void write_result(const durable::batch_entry &e, const dsa::work &w) noexcept
{
	switch (e.kind) {
	case durable::entry_kind::crc32c:
	case durable::entry_kind::copy_crc32c: {
		const std::uint32_t crc = w.crc;
		std::memcpy(e.out, &crc, sizeof(crc));
		break;
	}
	case durable::entry_kind::compare: {
		const std::size_t at = w.difference;
		std::memcpy(e.out, &at, sizeof(at));
		break;
	}
	default:
		break;
	}
}

// Every entry's output once the device is done: the k-th device entry's
// from the batch's k-th work (or the slot's job, for a batch of one).
void write_results(op_slot &s) noexcept
{
	const durable::batch_op b = durable::batch_of(s.op);
	std::size_t k = 0;
	dsa::work w;
	for (std::size_t i = 0; i < b.count; ++i) {
		switch (work_of(b.entries[i], w)) {
		case mapped::device:
			write_result(b.entries[i], s.has_job ? s.job()->result() : s.dev_batch->result_of(k));
			++k;
			break;
		case mapped::result_only:
			write_result(b.entries[i], w);
			break;
		default:
			break;
		}
	}
}

bool start_one(op_slot &s, dsa::queue_link &q, const dsa::work &w) noexcept
{
	new (s.storage) dsa::job(w, q);
	s.has_job = true;
	s.has_batch = true;
	s.job()->poll();
	return true;
}

} // namespace

const void *batch_place(const durable::batch_op &b) noexcept
{
	for (std::size_t i = 0; i < b.count; ++i)
		if (b.entries[i].dest != nullptr)
			return b.entries[i].dest;
	for (std::size_t i = 0; i < b.count; ++i)
		if (b.entries[i].src != nullptr)
			return b.entries[i].src;
	return nullptr;
}

bool start_device_batch(op_slot &s, dsa::queue_link &q, const durable::batch_op &b) noexcept
{
	std::size_t ops = 0;
	dsa::work w, one;
	for (std::size_t i = 0; i < b.count; ++i) {
		const mapped m = work_of(b.entries[i], w);
		if (m == mapped::cpu_only)
			return false;
		if (m == mapped::device) {
			one = w;
			++ops;
		}
	}
	if (ops == 0)
		return false;	// nothing the device would do
	if (ops == 1)
		return start_one(s, q, one);	// its job cuts a long one into pieces
	if (ops > q.max_batch_size)
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
		const mapped m = work_of(b.entries[i], w);
		if (m == mapped::fence) {
			fence = true;
			continue;
		}
		if (m != mapped::device)
			continue;
		if (!s.dev_batch->add(w, fence)) {
			s.dev_batch->reset();	// longer than one descriptor carries
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
	if (s.has_job) {
		const dsa::job_state js = s.job()->poll();
		if (js == dsa::job_state::running)
			return js;
		if (js == dsa::job_state::failed && !s.failed) {
			s.failed = true;
			s.dev_status = s.job()->failed_status();
		}
	} else {
		dsa::batch &bt = *s.dev_batch;
		if (bt.poll() == dsa::job_state::running)
			return dsa::job_state::running;
		for (std::size_t i = 0; i < bt.size(); ++i)
			if (bt.state_of(i) == dsa::job_state::failed && !s.failed) {
				s.failed = true;
				s.dev_status = bt.status_of(i);
			}
	}
	if (s.failed)
		return dsa::job_state::failed;
	write_results(s);
	return dsa::job_state::done;
}

int sync_batch_entries(const op_slot &s) noexcept
{
	const durable::batch_op b = durable::batch_of(s.op);
	int first = 0;
	auto sync = [&](void *p, std::size_t n) {
		const int st = s.guard->svc->persist(p, n, s.req);
		if (st != 0 && first == 0)
			first = st;
	};
	for (std::size_t i = 0; i < b.count; ++i) {
		const durable::batch_entry &e = b.entries[i];
		if (e.n == 0 || (!durable::writes_map(e.kind) && e.kind != durable::entry_kind::persist))
			continue;	// a fence, a CRC, a compare: nothing written
		sync(e.dest, e.n);
		if (e.kind == durable::entry_kind::dualcast)
			sync(e.dest2, e.n);
	}
	return first;
}

} // namespace pmem2::vdm_dml
