// What awaiting one small durable operation costs, by way of waiting:
// N sequential 4 KiB pmem2 memcpys on a threads mover (2 workers, queue
// 128, waker notifier) over a map of a /dev/shm file at CACHE_LINE
// granularity, awaited through sync_wait, co_await, when_all, the C
// runtime_wait and durable_future::wait(). Prints microseconds per
// operation; the ways alternate round by round, so a busy neighbour on
// the machine spreads over all of them. Not a test: run it by hand.
//
// usage: cpp_loop_timing [ops per round, default 20000] [rounds, default 3]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <string>
#include <vector>

#include <unistd.h>

#include <libminiasync.h>
#include <pmem2/pmem2.hpp>

#include "miniasync/internal.hpp"

using namespace pmem2;

namespace {

constexpr std::size_t op_size = 4096;
constexpr std::size_t slots = 256;	// destinations cycle over this many blocks

struct setup {
	std::vector<std::byte> src = std::vector<std::byte>(op_size, std::byte{0x5a});
	map m;
	std::byte *dst(std::size_t i) { return m.data() + (i % slots) * op_size; }
};

task<void> chain(setup &s, std::size_t first, std::size_t n)
{
	for (std::size_t i = first; i < first + n; ++i)
		co_await s.m.memcpy_async(s.dst(i), s.src.data(), op_size);
}

task<void> one(setup &s, std::size_t i)
{
	co_await s.m.memcpy_async(s.dst(i), s.src.data(), op_size);
}

using clock_type = std::chrono::steady_clock;

double us_per_op(clock_type::time_point t0, std::size_t n)
{
	return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / double(n);
}

} // namespace

int main(int argc, char **argv)
{
	std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
	int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
	if (n == 0 || rounds <= 0) {
		std::fprintf(stderr, "usage: %s [ops per round] [rounds]\n", argv[0]);
		return 2;
	}
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	std::string path = "/dev/shm/pmem2_loop_timing." + std::to_string(getpid());

	threads_mover mover(2, 128, notifier_kind::waker);
	setup s;
	map_options o;
	o.mover = mover;
	o.required_granularity = granularity::cache_line;
	s.m = map::create_file(path, slots * op_size, o);
	unlink(path.c_str());
	struct runtime *rt = runtime_new();

	struct way {
		const char *name;
		double best = 1e30;
		double sum = 0;
		std::uint64_t helped = 0;
	};
	way ways[] = {{"sync_wait(co_await one op), per op"}, {"sync_wait(task of N co_awaits)"},
		{"sync_wait(when_all(2 tasks of N/2))"}, {"runtime_wait (C)"}, {"durable_future::wait()"}};

	for (int r = 0; r < rounds; ++r) {
		for (std::size_t w = 0; w < std::size(ways); ++w) {
			std::uint64_t helped0 = masync::mover_stats().caller_ops.load();
			auto t0 = clock_type::now();
			switch (w) {
			case 0:
				for (std::size_t i = 0; i < n; ++i)
					sync_wait(one(s, i));
				break;
			case 1:
				sync_wait(chain(s, 0, n));
				break;
			case 2: {
				std::vector<task<void>> ts;
				ts.push_back(chain(s, 0, n / 2));
				ts.push_back(chain(s, n / 2, n - n / 2));
				sync_wait(when_all(std::move(ts)));
				break;
			}
			case 3:
				for (std::size_t i = 0; i < n; ++i) {
					durable_future f = s.m.memcpy_async(s.dst(i), s.src.data(), op_size);
					runtime_wait(rt, f.runnable());
				}
				break;
			case 4:
				for (std::size_t i = 0; i < n; ++i)
					s.m.memcpy_async(s.dst(i), s.src.data(), op_size).wait();
				break;
			}
			double us = us_per_op(t0, n);
			ways[w].best = std::min(ways[w].best, us);
			ways[w].sum += us;
			ways[w].helped += masync::mover_stats().caller_ops.load() - helped0;
			std::printf("round %d  %-38s %8.3f us/op\n", r + 1, ways[w].name, us);
		}
	}
	if (std::memcmp(s.dst(0), s.src.data(), op_size) != 0) {
		std::fprintf(stderr, "destination differs from source\n");
		return 1;
	}
	std::printf("\n%-40s %8s %8s %10s\n", "way", "best", "mean", "caller ran");
	for (way &w : ways)
		std::printf("%-40s %8.3f %8.3f %9.1f%%\n", w.name, w.best, w.sum / rounds,
			100.0 * double(w.helped) / (double(n) * rounds));
	runtime_delete(rt);
	return 0;
}
