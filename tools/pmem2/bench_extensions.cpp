// pmem2 bench's rows for the extensions (bench_rows.hpp): each measured
// for the row budget, at least a few rounds, ours only.
#include <libpmem2/batch.h>
#include <libpmem2/persist_async.h>
#include <libminiasync.h>

#include <time.h>

#include <cstdint>
#include <cstring>

#include "bench_rows.hpp"

namespace pmem2::tool {
namespace {

constexpr std::size_t records = 16;

// A batch of `capacity` entries, or an error thrown with the library's message.
struct batch_owner {
	pmem2_batch *b = nullptr;
	batch_owner(const map &m, std::size_t capacity)
	{
		if (int rc = pmem2_batch_new(&b, m.native(), capacity); rc != 0)
			throw error(rc, std::string("pmem2_batch_new: ") + pmem2_errormsg());
	}
	~batch_owner() { pmem2_batch_delete(&b); }
	batch_owner(const batch_owner &) = delete;
	batch_owner &operator=(const batch_owner &) = delete;
};

void run_batch(pmem2_batch *b)
{
	pmem2_future f = pmem2_batch_async(b);
	FUTURE_BUSY_POLL(&f);
	if (FUTURE_OUTPUT(&f)->result != 0)
		throw error(FUTURE_OUTPUT(&f)->result, std::string("pmem2_batch_async: ") + pmem2_errormsg());
}

// Rounds of `body` (each doing `per_round` operations of `size` bytes)
// for about `budget` seconds, at least 8 rounds.
template <class Body>
row timed(row r, std::size_t per_round, double budget, Body &&body)
{
	auto t0 = clock_type::now();
	std::size_t rounds = 0;
	do {
		body(rounds);
		++rounds;
	} while (rounds < 8 || seconds_since(t0) < budget);
	const double secs = seconds_since(t0);
	r.ops = rounds * per_round;
	r.gbps = double(r.ops * r.size) / secs / 1e9;
	r.latency_us = secs / double(r.ops) * 1e6;
	return r;
}

double thread_cpu_seconds()
{
	timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

} // namespace

void extension_rows(const map &plain, const map &with_threads, const std::byte *src, std::size_t src_len,
	double budget, std::vector<row> &rows)
{
	std::byte *base = plain.data();
	const std::size_t span = plain.size() / 2;
	// 16 records of 64 B: one by one (flags 0), then as one batch.
	rows.push_back(timed(row{"records", "memcpy", "0", "map function", 64, records}, records, budget,
		[&](std::size_t round) {
			for (std::size_t i = 0; i < records; ++i)
				plain.memcpy(base + slot_offset(round * records + i, 64, span), src + 64 * i, 64);
		}));
	{
		batch_owner b(plain, records);
		rows.push_back(timed(row{"records", "batch", "0", "default", 64, records}, records, budget,
			[&](std::size_t round) {
				pmem2_batch_reset(b.b);
				for (std::size_t i = 0; i < records; ++i)
					pmem2_batch_memcpy(b.b, base + slot_offset(round * records + i, 64, span),
						src + 64 * i, 64, 0);
				run_batch(b.b);
			}));
	}
	// Copy + CRC32C: one pass, against a copy then a CRC of what was written.
	for (std::size_t size : {std::size_t(4) << 10, std::size_t(64) << 10}) {
		if (size > src_len || size > span)
			continue;
		std::uint32_t crc = 0;
		batch_owner fused(plain, 1), apart(plain, 3);
		rows.push_back(timed(row{"batch", "copy_crc32c", "0", "default", size, 1}, 1, budget,
			[&](std::size_t round) {
				pmem2_batch_reset(fused.b);
				pmem2_batch_copy_crc32c(fused.b, base + slot_offset(round, size, span), src, size, 0,
					&crc, 0);
				run_batch(fused.b);
			}));
		rows.push_back(timed(row{"batch", "memcpy,fence,crc32c", "0", "default", size, 1}, 1, budget,
			[&](std::size_t round) {
				std::byte *dst = base + slot_offset(round, size, span);
				pmem2_batch_reset(apart.b);
				pmem2_batch_memcpy(apart.b, dst, src, size, 0);
				pmem2_batch_fence(apart.b);
				pmem2_batch_crc32c(apart.b, dst, size, 0, &crc);
				run_batch(apart.b);
			}));
	}
	// The caller's CPU time for a persist of 1 MiB: synchronous, then
	// asynchronous on the threads mover (making the future and its first
	// poll; the wait is not the caller's, it would do other work).
	const std::size_t mib = std::size_t(1) << 20;
	if (mib <= span) {
		std::byte *t_base = with_threads.data();
		for (bool async : {false, true}) {
			row r{"caller-cpu", "persist", "-", async ? "threads" : "map function", mib, 1};
			double cpu = 0;
			auto t0 = clock_type::now();
			std::size_t n = 0;
			do {
				std::byte *at = (async ? t_base : base) + slot_offset(n, mib, span);
				std::memset(at, int(n), mib);	// dirty lines to write back
				const double c0 = thread_cpu_seconds();
				if (!async) {
					plain.persist(at, mib);
					cpu += thread_cpu_seconds() - c0;
				} else {
					durable_future f = with_threads.persist_async(at, mib);
					(void)f.poll();
					cpu += thread_cpu_seconds() - c0;
					f.wait();
				}
				++n;
			} while (n < 8 || seconds_since(t0) < budget);
			r.ops = n;
			r.latency_us = cpu / double(n) * 1e6;
			r.gbps = double(n * mib) / cpu / 1e9;
			rows.push_back(r);
		}
	}
}

} // namespace pmem2::tool
