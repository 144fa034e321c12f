// A software model of a DSA work queue and its device, behind the one seam
// where descriptors leave the process (dsa::portal). A device thread takes
// the 64-byte descriptors in <linux/idxd.h>'s layout, checks them as the
// hardware does, performs them with CPU copies and writes each completion
// record with its status byte last. Opcodes: MEMMOVE, MEMFILL (8-byte
// pattern from the descriptor's start), CFLUSH, NOOP, DUALCAST (bits 11:0
// of the destinations must be equal), CRCGEN and COPY_CRC (the device's
// CRC32C conventions, dsa/work.hpp; a fault reports the CRC of the bytes
// done), COMPARE (result 1 and bytes_completed = the first difference). It
// can be told to:
//   * fault at a page (PAGE_FAULT_NOBOF, bytes_completed, fault_addr, the
//     write bit when the page is in the destination), once or every time;
//   * complete the next descriptors with a given status;
//   * drop descriptors past a dedicated queue's size (as MOVDIR64B to a
//     full queue does), or refuse ENQCMD for a while on a shared one;
//   * fail one descriptor of the next batch (BATCH descriptors are read as
//     the device reads them: the list, each with its own record, then the
//     batch's record, BATCH_FAIL when any of them failed);
//   * complete out of order (newest first), stall, or take time per byte;
//   * or run each descriptor inside submit(), a device of zero latency.
#pragma once

#include <linux/idxd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "dsa/portal.hpp"

namespace pmem2::test {

class dsa_model : public dsa::portal {
public:
	struct options {
		bool dedicated = true;
		std::uint32_t size = 16;
		std::uint64_t max_transfer_size = 1u << 21;
		std::chrono::nanoseconds per_kib{0};	// device time per KiB moved
		std::uint32_t max_batch_size = 1024;
		// Performs each descriptor inside submit(), on the sender's thread:
		// a device of zero latency, for measuring the sender's own cost.
		bool inline_device = false;
	};

	explicit dsa_model(options o) : o_(o), device_([this] { run(); }) {}
	dsa_model() : dsa_model(options{}) {}
	~dsa_model()
	{
		{
			std::lock_guard<std::mutex> l(m_);
			stop_ = true;
		}
		cv_.notify_all();
		device_.join();
	}

	bool submit(const dsa_hw_desc &d) noexcept override
	{
		if (o_.inline_device) {
			perform(d, 0, 0);
			accepted_.fetch_add(1, std::memory_order_relaxed);
			return true;
		}
		std::lock_guard<std::mutex> l(m_);
		if (!o_.dedicated && refuse_ > 0) {
			--refuse_;
			++refused_;
			return false;
		}
		if (queue_.size() >= o_.size) {
			if (o_.dedicated) {
				++dropped_;	// posted: the sender never learns
				return true;
			}
			++refused_;
			return false;
		}
		queue_.push_back(d);
		++accepted_;
		cv_.notify_all();
		return true;
	}

	// The next descriptor touching the page of `addr` stops at it (every
	// descriptor, while `every_time`).
	void fault_at(const void *addr, bool every_time = false)
	{
		std::lock_guard<std::mutex> l(m_);
		fault_page_ = reinterpret_cast<std::uintptr_t>(addr) & ~std::uintptr_t(4095);
		fault_always_ = every_time;
	}
	// The next `count` descriptors complete with `status`, doing nothing.
	void fail_next(std::uint8_t status, unsigned count = 1)
	{
		std::lock_guard<std::mutex> l(m_);
		fail_status_ = status;
		fail_count_ = count;
	}
	// In the next batch, descriptor `index` completes with `status`.
	void fail_in_batch(std::uint32_t index, std::uint8_t status)
	{
		std::lock_guard<std::mutex> l(m_);
		batch_fail_index_ = index;
		batch_fail_status_ = status;
	}
	void refuse(unsigned count)
	{
		std::lock_guard<std::mutex> l(m_);
		refuse_ = count;
	}
	void stall(bool on)
	{
		{
			std::lock_guard<std::mutex> l(m_);
			stalled_ = on;
		}
		cv_.notify_all();
	}
	// Called on the device's thread after a descriptor's work is done and
	// before its record is written, with the bytes it did (a test's view of
	// what the device wrote, e.g. for the persistence checker).
	void on_performed(std::function<void(const dsa_hw_desc &, std::uint32_t)> f)
	{
		std::lock_guard<std::mutex> l(m_);
		performed_ = std::move(f);
	}
	void newest_first(bool on)
	{
		std::lock_guard<std::mutex> l(m_);
		lifo_ = on;
	}

	unsigned accepted() const { return accepted_.load(); }
	unsigned dropped() const { return dropped_.load(); }
	unsigned refused() const { return refused_.load(); }
	unsigned completed() const { return completed_.load(); }
	std::uint32_t max_depth() const { return max_depth_.load(); }
	// Every descriptor accepted, in arrival order (for checks on fields).
	std::vector<dsa_hw_desc> seen() const
	{
		std::lock_guard<std::mutex> l(m_);
		return seen_;
	}

private:
	void run()
	{
		std::unique_lock<std::mutex> l(m_);
		for (;;) {
			cv_.wait(l, [this] { return stop_ || (!stalled_ && !queue_.empty()); });
			if (stop_ && (queue_.empty() || stalled_))
				return;
			if (queue_.size() > max_depth_.load())
				max_depth_ = static_cast<std::uint32_t>(queue_.size());
			dsa_hw_desc d;
			if (lifo_) {
				d = queue_.back();
				queue_.pop_back();
			} else {
				d = queue_.front();
				queue_.pop_front();
			}
			seen_.push_back(d);
			std::uint8_t forced = 0;
			if (fail_count_ > 0) {
				--fail_count_;
				forced = fail_status_;
			}
			const std::uintptr_t page = fault_page_;
			if (!fault_always_)
				fault_page_ = 0;
			l.unlock();
			perform(d, forced, page);
			++completed_;
			l.lock();
		}
	}

	static bool in(std::uintptr_t page, std::uint64_t start, std::uint32_t n)
	{
		return page != 0 && n != 0 && page + 4096 > start && page < start + n;
	}

	void perform(const dsa_hw_desc &d, std::uint8_t forced, std::uintptr_t fault_page)
	{
		if (d.opcode == DSA_OPCODE_BATCH && forced == 0) {
			perform_batch(d, fault_page);
			return;
		}
		perform_one(d, forced, fault_page);
	}

	void perform_batch(const dsa_hw_desc &b, std::uintptr_t fault_page)
	{
		auto *rec = reinterpret_cast<dsa_completion_record *>(static_cast<std::uintptr_t>(b.completion_addr));
		if (rec == nullptr || b.completion_addr % 32 != 0)
			return;
		std::uint8_t status = DSA_COMP_SUCCESS;
		std::uint32_t ok = 0;
		std::int64_t fail_index;
		std::uint8_t fail_status;
		{
			std::lock_guard<std::mutex> l(m_);
			fail_index = batch_fail_index_;
			fail_status = batch_fail_status_;
			batch_fail_index_ = -1;
		}
		if (b.desc_count == 0 || b.desc_count > o_.max_batch_size)
			status = DSA_COMP_DESC_CNT_ERANGE;
		else if (b.desc_list_addr % 64 != 0)
			status = DSA_COMP_DESCLIST_ALIGN;
		else {
			const auto *list = reinterpret_cast<const dsa_hw_desc *>(static_cast<std::uintptr_t>(b.desc_list_addr));
			for (std::uint32_t i = 0; i < b.desc_count; ++i) {
				const std::uint8_t forced = std::int64_t(i) == fail_index ? fail_status : 0;
				if (list[i].opcode == DSA_OPCODE_BATCH) {
					if (perform_one(list[i], DSA_COMP_BAD_OPCODE, 0) == DSA_COMP_SUCCESS)
						++ok;
					continue;
				}
				if (perform_one(list[i], forced, fault_page) == DSA_COMP_SUCCESS)
					++ok;
			}
			if (ok != b.desc_count)
				status = DSA_COMP_BATCH_FAIL;
		}
		write_record(rec, status, ok, 0);
	}

	// A completion record, its status byte last. The first eight bytes
	// (status and bytes completed) are stored atomically: a poller may
	// watch them as one word (FUTURE_NOTIFIER_POLLER's monitor).
	static void write_record(dsa_completion_record *rec, std::uint8_t status, std::uint32_t count,
		std::uint64_t fault_addr)
	{
		rec->fault_addr = fault_addr;
		__atomic_store_n(&rec->bytes_completed, count, __ATOMIC_RELAXED);
		__atomic_store_n(const_cast<std::uint8_t *>(&rec->status), status, __ATOMIC_RELEASE);
	}

	// The device's CRC32C (reflected polynomial 0x82F63B78), bit by bit as
	// the hardware defines it: from ~seed, the result inverted; with the
	// "bypass CRC inversion and reflection" flag (bit 17) the seed goes in
	// and the CRC comes out bit-reversed instead, uninverted.
	static std::uint32_t reversed(std::uint32_t x)
	{
		std::uint32_t r = 0;
		for (int i = 0; i < 32; ++i, x >>= 1)
			r = r << 1 | (x & 1);
		return r;
	}
	static std::uint32_t device_crc(std::uint32_t seed, const unsigned char *p, std::size_t n,
		std::uint32_t flags)
	{
		const bool bypass = flags & (1u << 17);
		std::uint32_t c = bypass ? reversed(seed) : ~seed;
		for (std::size_t i = 0; i < n; ++i) {
			c ^= p[i];
			for (int b = 0; b < 8; ++b)
				c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
		}
		return bypass ? reversed(c) : ~c;
	}

	struct buffer {
		std::uint64_t base;
		bool write;
	};
	// The buffers an opcode reads and writes, in the descriptor's fields.
	static std::size_t buffers_of(const dsa_hw_desc &d, buffer (&b)[3])
	{
		switch (d.opcode) {
		case DSA_OPCODE_MEMMOVE:
		case DSA_OPCODE_COPY_CRC:
			b[0] = {d.src_addr, false};
			b[1] = {d.dst_addr, true};
			return 2;
		case DSA_OPCODE_DUALCAST:
			b[0] = {d.src_addr, false};
			b[1] = {d.dst_addr, true};
			b[2] = {d.dest2, true};
			return 3;
		case DSA_OPCODE_CRCGEN:
			b[0] = {d.src_addr, false};
			return 1;
		case DSA_OPCODE_COMPARE:
			b[0] = {d.src_addr, false};
			b[1] = {d.src2_addr, false};
			return 2;
		case DSA_OPCODE_MEMFILL:
		case DSA_OPCODE_CFLUSH:
			b[0] = {d.dst_addr, true};
			return 1;
		default:
			return 0;
		}
	}

	static bool known(std::uint8_t opcode)
	{
		switch (opcode) {
		case DSA_OPCODE_MEMMOVE: case DSA_OPCODE_MEMFILL: case DSA_OPCODE_CFLUSH:
		case DSA_OPCODE_NOOP: case DSA_OPCODE_DUALCAST: case DSA_OPCODE_CRCGEN:
		case DSA_OPCODE_COPY_CRC: case DSA_OPCODE_COMPARE:
			return true;
		default:
			return false;
		}
	}

	// One descriptor; returns the status it wrote (0: no record).
	std::uint8_t perform_one(const dsa_hw_desc &d, std::uint8_t forced, std::uintptr_t fault_page)
	{
		auto *rec = reinterpret_cast<dsa_completion_record *>(static_cast<std::uintptr_t>(d.completion_addr));
		if (!(d.flags & IDXD_OP_FLAG_CRAV) || !(d.flags & IDXD_OP_FLAG_RCR) || rec == nullptr ||
		    d.completion_addr % 32 != 0)
			return 0;	// no record requested or none writable: nothing reported
		std::uint8_t status = DSA_COMP_SUCCESS;
		std::uint32_t done = d.xfer_size;
		std::uint64_t fault_addr = 0;
		std::uint8_t result = 0;
		std::uint64_t crc_val = 0;
		const bool crc = d.opcode == DSA_OPCODE_CRCGEN || d.opcode == DSA_OPCODE_COPY_CRC;
		if (forced != 0) {
			status = forced;
			done = 0;
		} else if (!known(d.opcode)) {
			status = DSA_COMP_BAD_OPCODE;
			done = 0;
		} else if (d.xfer_size > o_.max_transfer_size) {
			status = DSA_COMP_XFER_ERANGE;
			done = 0;
		} else if (crc && (d.flags & ((1u << 16) | (1u << 18)))) {
			status = DSA_COMP_INVALID_FLAGS;	// seed from memory, data unreflected: not modelled
			done = 0;
		} else if (d.opcode == DSA_OPCODE_DUALCAST && ((d.dst_addr ^ d.dest2) & 0xfff) != 0) {
			// The device requires the destinations' bits 11:0 equal
			// (the model's status for it).
			status = DSA_COMP_ADDR_ALIGN;
			done = 0;
		} else if (d.opcode != DSA_OPCODE_NOOP) {
			// The first faulting page of any buffer stops the work there.
			buffer b[3];
			const std::size_t nb = buffers_of(d, b);
			bool write = false, faulted = false;
			for (std::size_t i = 0; i < nb; ++i) {
				if (!in(fault_page, b[i].base, d.xfer_size))
					continue;
				const std::uint64_t at = std::max<std::uint64_t>(fault_page, b[i].base);
				if (!faulted || at - b[i].base < done) {
					done = static_cast<std::uint32_t>(at - b[i].base);
					fault_addr = at;
					write = b[i].write;
				}
				faulted = true;
			}
			char *dst = reinterpret_cast<char *>(static_cast<std::uintptr_t>(d.dst_addr));
			const auto *src = reinterpret_cast<const unsigned char *>(static_cast<std::uintptr_t>(d.src_addr));
			if (d.opcode == DSA_OPCODE_COMPARE) {
				// A difference before the fault ends the compare there:
				// result 1, bytes_completed its offset.
				const auto *src2 = reinterpret_cast<const unsigned char *>(static_cast<std::uintptr_t>(d.src2_addr));
				const std::uint32_t upto = faulted ? done : d.xfer_size;
				for (std::uint32_t i = 0; i < upto; ++i)
					if (src[i] != src2[i]) {
						result = 1;
						done = i;
						faulted = false;
						break;
					}
			}
			if (faulted)
				status = DSA_COMP_PAGE_FAULT_NOBOF | (write ? DSA_COMP_STATUS_WRITE : 0);
			if (d.opcode == DSA_OPCODE_MEMMOVE)
				std::memmove(dst, src, done);
			else if (d.opcode == DSA_OPCODE_MEMFILL)
				for (std::uint32_t i = 0; i < done; ++i)
					dst[i] = static_cast<char>(d.pattern >> (8 * (i % 8)));
			else if (d.opcode == DSA_OPCODE_DUALCAST) {
				std::memcpy(dst, src, done);
				std::memcpy(reinterpret_cast<char *>(static_cast<std::uintptr_t>(d.dest2)), src, done);
			} else if (d.opcode == DSA_OPCODE_COPY_CRC)
				std::memcpy(dst, src, done);
			// A CRC stopped by a fault reports the CRC of the bytes done.
			if (crc)
				crc_val = device_crc(d.crc_seed, src, done, d.flags);
			if (o_.per_kib.count() != 0 && done != 0)
				std::this_thread::sleep_for(o_.per_kib * ((done + 1023) / 1024));
		}
		std::function<void(const dsa_hw_desc &, std::uint32_t)> performed;
		if (!o_.inline_device) {
			std::lock_guard<std::mutex> l(m_);
			performed = performed_;
		} else {
			performed = performed_;
		}
		if (performed)
			performed(d, done);
		// In the word a poller monitors (status, result, bytes_completed):
		// written atomically, as the device's one write of the record is.
		__atomic_store_n(&rec->result, result, __ATOMIC_RELAXED);
		if (crc)
			rec->crc_val = crc_val;
		write_record(rec, status, done, fault_addr);
		return status;
	}

	const options o_;
	mutable std::mutex m_;
	std::condition_variable cv_;
	std::deque<dsa_hw_desc> queue_;
	std::vector<dsa_hw_desc> seen_;
	bool stop_ = false, stalled_ = false, lifo_ = false, fault_always_ = false;
	std::uintptr_t fault_page_ = 0;
	std::uint8_t fail_status_ = 0;
	std::int64_t batch_fail_index_ = -1;
	std::uint8_t batch_fail_status_ = 0;
	std::function<void(const dsa_hw_desc &, std::uint32_t)> performed_;
	unsigned fail_count_ = 0, refuse_ = 0;
	std::atomic<unsigned> accepted_{0}, dropped_{0}, refused_{0}, completed_{0};
	std::atomic<std::uint32_t> max_depth_{0};
	std::thread device_;	// last: starts after the members above exist
};

} // namespace pmem2::test
