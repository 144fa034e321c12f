// A million threads-mover operations from several submitting threads, each
// verified. PMEM2_STRESS_SCALE (float, default 1) scales the count.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "miniasync/internal.hpp"
#include "support/stress.hpp"
#include "support/futures.hpp"
#include "support/wait.hpp"

namespace {

// Sanitizer builds run a fifth of the work unless told otherwise.
#ifdef PMEM2_SANITIZE_BUILD
constexpr double default_scale = 0.2;
#else
constexpr double default_scale = 1.0;
#endif

double stress_scale()
{
	return pmem2::test::stress_scale(default_scale);
}

// Mostly small, sometimes up to 1 MiB: the copy volume stays a few GiB.
std::size_t skewed_size(std::mt19937_64 &rng)
{
	std::uint64_t r = rng();
	unsigned bucket = r % 1000;
	r >>= 10;
	if (bucket < 900)
		return r % 257;	// 0 .. 256
	if (bucket < 990)
		return r % 8193;	// .. 8 KiB
	if (bucket < 998)
		return r % (128 * 1024 + 1);
	return r % (1024 * 1024 + 1);	// .. 1 MiB
}

enum class wait_kind { runtime, busy, manual_notifier };

struct op_record {
	vdm_operation_type type;
	std::size_t off, src_off, n;
	unsigned char value;
};

// One submitting thread: batches of operations into disjoint parts of its
// own arena, waited for in the given way, then every byte checked.
void submitter(vdm *v, unsigned id, std::size_t nops, wait_kind how,
	std::atomic<std::size_t> &bad, std::atomic<std::size_t> &done)
{
	constexpr std::size_t arena_size = 4u << 20, src_size = 2u << 20;
	std::vector<unsigned char> arena(arena_size), src(src_size);
	std::mt19937_64 rng(0x5eed + id);
	for (auto &b : src)
		b = static_cast<unsigned char>(rng());
	runtime *r = runtime_new();
	std::vector<vdm_operation_future> fs;
	std::vector<op_record> recs;
	std::vector<future *> ptrs;
	fs.reserve(48);

	std::size_t submitted = 0;
	while (submitted < nops) {
		fs.clear();
		recs.clear();
		ptrs.clear();
		std::size_t used = 0;
		while (fs.size() < 48 && submitted < nops) {
			std::size_t n = skewed_size(rng);
			if (used + n > arena_size)
				break;
			op_record rec{};
			rec.type = static_cast<vdm_operation_type>(rng() % 3);
			rec.off = used;
			rec.n = n;
			rec.src_off = rng() % (src_size - n + 1);
			rec.value = static_cast<unsigned char>(rng());
			used += n;
			unsigned char *d = arena.data() + rec.off;
			const unsigned char *expect0 = rec.type == VDM_OPERATION_MEMSET ?
				&rec.value : src.data() + rec.src_off;
			if (n != 0) {	// poison the ends so a skipped op is seen
				d[0] = static_cast<unsigned char>(~expect0[0]);
				d[n - 1] = static_cast<unsigned char>(~(rec.type == VDM_OPERATION_MEMSET ?
					rec.value : src[rec.src_off + n - 1]));
			}
			switch (rec.type) {
			case VDM_OPERATION_MEMCPY:
				fs.push_back(vdm_memcpy(v, d, src.data() + rec.src_off, n, 0));
				break;
			case VDM_OPERATION_MEMMOVE:
				fs.push_back(vdm_memmove(v, d, src.data() + rec.src_off, n, 0));
				break;
			default:
				fs.push_back(vdm_memset(v, d, rec.value, n, 0));
				break;
			}
			recs.push_back(rec);
			++submitted;
		}
		for (auto &f : fs)
			ptrs.push_back(&f.base);

		switch (how) {
		case wait_kind::runtime:
			runtime_wait_multiple(r, ptrs.data(), ptrs.size());
			break;
		case wait_kind::busy:
			for (auto &f : fs)
				FUTURE_BUSY_POLL(&f)
			break;
		case wait_kind::manual_notifier: {
			future_notifier n{};
			std::size_t left = fs.size();
			while (left != 0) {
				left = 0;
				for (auto &f : fs)
					left += future_poll(FUTURE_AS_RUNNABLE(&f), &n) != FUTURE_STATE_COMPLETE;
				if (left != 0)
					std::this_thread::yield();
			}
			break;
		}
		}

		for (std::size_t i = 0; i < fs.size(); ++i) {
			const op_record &rec = recs[i];
			const unsigned char *d = arena.data() + rec.off;
			bool ok = fs[i].output.result == VDM_SUCCESS && fs[i].output.type == rec.type;
			if (rec.type == VDM_OPERATION_MEMSET) {
				for (std::size_t k = 0; ok && k < rec.n; ++k)
					ok = d[k] == rec.value;
			} else if (rec.n != 0) {
				ok = ok && std::memcmp(d, src.data() + rec.src_off, rec.n) == 0;
			}
			if (!ok)
				bad.fetch_add(1);
		}
		done.fetch_add(fs.size());
	}
	runtime_delete(r);
}

void run_stress(future_notifier_type type, std::size_t total, unsigned nsub)
{
	data_mover_threads *m = data_mover_threads_new(4, 64, type);
	ASSERT_NE(m, nullptr);
	// Exercise splitting within the stress as well.
	pmem2::masync::set_split(m, 512 * 1024, 128 * 1024);
	vdm *v = data_mover_threads_get_vdm(m);
	std::atomic<std::size_t> bad{0}, done{0};
	std::vector<std::thread> ts;
	for (unsigned t = 0; t < nsub; ++t)
		ts.emplace_back(submitter, v, t, total / nsub,
			static_cast<wait_kind>(t % 3), std::ref(bad), std::ref(done));
	for (auto &t : ts)
		t.join();
	data_mover_threads_delete(m);
	EXPECT_EQ(bad.load(), 0u);
	EXPECT_EQ(done.load(), (total / nsub) * nsub);
}

} // namespace

TEST(ThreadsMoverStress, MillionOperationsWakerMover)
{
	run_stress(FUTURE_NOTIFIER_WAKER, std::size_t(1'000'000 * stress_scale()), 4);
}

TEST(ThreadsMoverStress, PollerMover)
{
	run_stress(FUTURE_NOTIFIER_POLLER, std::size_t(100'000 * stress_scale()), 3);
}

TEST(ThreadsMoverStress, NoneMover)
{
	run_stress(FUTURE_NOTIFIER_NONE, std::size_t(100'000 * stress_scale()), 3);
}
