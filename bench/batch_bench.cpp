// Google Benchmark of batches and asynchronous persist (<libpmem2/batch.h>,
// <libpmem2/persist_async.h>) against the one-by-one ways, through the
// public C API, one process, CACHE_LINE maps on /dev/shm
// (PMEM2_FORCE_GRANULARITY=CACHE_LINE unless the environment says otherwise;
// PMEM2_BENCH_DIR overrides the directory):
//   records/sync_memcpy/16/<size>   16 pmem2_memcpy calls with flags 0
//   records/batch/default/16/<size> 16 copies in one batch, default mover,
//                                   created, run and completed each time
//   ops/threads/separate/16/<size>  16 futures in flight on the threads mover
//                                   (2 workers), runtime_wait_multiple
//   ops/threads/batch/16/<size>     the same 16 copies as one batch
//   ops/threads/batch_polled/16/<size>  the batch with future_poll and
//                                   sched_yield instead of runtime_wait: the
//                                   caller never helps, the workers run it
//   persist/sync/<size>             the map's persist function over a range
//   persist/async_caller/<size>     pmem2_persist_async on the threads mover:
//                                   the caller's CPU time making the future
//                                   and its first poll (the wait after it is
//                                   not the caller's: it would do other work)
//   wake/parked_thread              the caller's CPU time of waking one
//                                   thread parked on a futex: what any
//                                   hand-over to a sleeping worker costs
// The persist and wake rows report the calling thread's CPU time (manual
// time).
// Per record / operation: items_per_second; the ops/threads rows in real
// time (the workers do the work), the others in the calling thread's CPU
// time.
#define PMEM2_USE_MINIASYNC 1
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libpmem2.h>
#include <libpmem2/batch.h>
#include <libpmem2/persist_async.h>
#include <libminiasync.h>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t map_bytes = std::size_t(64) << 20;

[[noreturn]] void die(const char *what)
{
	std::fprintf(stderr, "bench_batch: %s: %s\n", what, pmem2_errormsg());
	std::exit(1);
}

struct scratch_map {
	pmem2_map *map = nullptr;
	char *addr = nullptr;

	explicit scratch_map(vdm *mover)
	{
		setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
		const char *dir = std::getenv("PMEM2_BENCH_DIR");
		std::string path = std::string(dir ? dir : "/dev/shm") + "/pmem2_batch_bench.XXXXXX";
		const int fd = mkstemp(path.data());
		if (fd < 0 || ftruncate(fd, off_t(map_bytes)) != 0)
			die("scratch file");
		unlink(path.c_str());
		pmem2_config *cfg = nullptr;
		pmem2_source *src = nullptr;
		if (pmem2_config_new(&cfg) || pmem2_source_from_fd(&src, fd) ||
		    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE))
			die("config");
		if (mover && pmem2_config_set_vdm(cfg, mover))
			die("pmem2_config_set_vdm");
		if (pmem2_map_new(&map, cfg, src))
			die("pmem2_map_new");
		addr = static_cast<char *>(pmem2_map_get_address(map));
		std::memset(addr, 0, map_bytes);
	}
};

struct environment {
	data_mover_threads *dmt = data_mover_threads_new(2, 128, FUTURE_NOTIFIER_WAKER);
	runtime *rt = runtime_new();
	scratch_map plain{nullptr};
	scratch_map threads{data_mover_threads_get_vdm(dmt)};
	std::vector<char> src = std::vector<char>(std::size_t(16) << 20, 7);
};

environment &env()
{
	static environment e;
	return e;
}

// Record i of a run of 16 goes to slot (round * 16 + i), like appends to a
// log, wrapping in the first 32 MiB.
char *slot(char *base, std::size_t size, std::size_t k)
{
	const std::size_t step = (size + 63) & ~std::size_t(63);
	return base + (k * step) % (std::size_t(32) << 20);
}

void records_sync_memcpy(benchmark::State &state)
{
	environment &e = env();
	const auto size = std::size_t(state.range(0));
	auto memcpy_fn = pmem2_get_memcpy_fn(e.plain.map);
	std::size_t k = 0;
	for (auto _ : state)
		for (int i = 0; i < 16; ++i, ++k)
			memcpy_fn(slot(e.plain.addr, size, k), e.src.data() + i * size, size, 0);
	state.SetItemsProcessed(state.iterations() * 16);
}

void records_batch_default(benchmark::State &state)
{
	environment &e = env();
	const auto size = std::size_t(state.range(0));
	pmem2_batch *b = nullptr;
	if (pmem2_batch_new(&b, e.plain.map, 16))
		die("pmem2_batch_new");
	std::size_t k = 0;
	for (auto _ : state) {
		pmem2_batch_reset(b);
		for (int i = 0; i < 16; ++i, ++k)
			pmem2_batch_memcpy(b, slot(e.plain.addr, size, k), e.src.data() + i * size, size, 0);
		pmem2_future f = pmem2_batch_async(b);
		FUTURE_BUSY_POLL(&f);
	}
	pmem2_batch_delete(&b);
	state.SetItemsProcessed(state.iterations() * 16);
}

void ops_threads_separate(benchmark::State &state)
{
	environment &e = env();
	const auto size = std::size_t(state.range(0));
	pmem2_future f[16];
	future *fs[16];
	std::size_t k = 0;
	for (auto _ : state) {
		for (int i = 0; i < 16; ++i, ++k) {
			f[i] = pmem2_memcpy_async(e.threads.map, slot(e.threads.addr, size, k),
				e.src.data() + i * size, size, 0);
			fs[i] = FUTURE_AS_RUNNABLE(&f[i]);
		}
		runtime_wait_multiple(e.rt, fs, 16);
	}
	state.SetItemsProcessed(state.iterations() * 16);
}

// 16 copies as one batch on the threads mover, waited for in runtime_wait
// (the caller may help) or polled with sched_yield (the workers alone).
template <bool Helped>
void ops_threads_batch(benchmark::State &state)
{
	environment &e = env();
	const auto size = std::size_t(state.range(0));
	pmem2_batch *b = nullptr;
	if (pmem2_batch_new(&b, e.threads.map, 16))
		die("pmem2_batch_new");
	std::size_t k = 0;
	for (auto _ : state) {
		pmem2_batch_reset(b);
		for (int i = 0; i < 16; ++i, ++k)
			pmem2_batch_memcpy(b, slot(e.threads.addr, size, k), e.src.data() + i * size, size, 0);
		pmem2_future f = pmem2_batch_async(b);
		if constexpr (Helped)
			runtime_wait(e.rt, FUTURE_AS_RUNNABLE(&f));
		else
			while (future_poll(FUTURE_AS_RUNNABLE(&f), nullptr) != FUTURE_STATE_COMPLETE)
				sched_yield();
	}
	pmem2_batch_delete(&b);
	state.SetItemsProcessed(state.iterations() * 16);
}

// The calling thread's CPU time in seconds (the persist rows time
// themselves with it: manual time, no pause/resume clock reads).
double thread_cpu() noexcept
{
	timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

void persist_sync(benchmark::State &state)
{
	environment &e = env();
	const auto size = std::size_t(state.range(0));
	auto persist = pmem2_get_persist_fn(e.plain.map);
	for (auto _ : state) {
		std::memset(e.plain.addr, int(state.iterations()), size);	// dirty lines to write back
		const double t = thread_cpu();
		persist(e.plain.addr, size);
		state.SetIterationTime(thread_cpu() - t);
	}
	state.SetItemsProcessed(state.iterations());
}

void persist_async_caller(benchmark::State &state)
{
	environment &e = env();
	const auto size = std::size_t(state.range(0));
	for (auto _ : state) {
		std::memset(e.threads.addr, int(state.iterations()), size);
		double t = thread_cpu();
		pmem2_future f = pmem2_persist_async(e.threads.map, e.threads.addr, size);
		future_poll(FUTURE_AS_RUNNABLE(&f), nullptr);	// starts it: a worker takes it
		double caller = thread_cpu() - t;
		while (__atomic_load_n(&f.data.op.fut.base.context.state, __ATOMIC_ACQUIRE) !=
			       FUTURE_STATE_COMPLETE &&
		       future_poll(FUTURE_AS_RUNNABLE(&f), nullptr) != FUTURE_STATE_COMPLETE)
			sched_yield();	// not the caller's cost: it would do other work
		t = thread_cpu();
		benchmark::DoNotOptimize(FUTURE_OUTPUT(&f)->result);
		caller += thread_cpu() - t;
		state.SetIterationTime(caller);
	}
	state.SetItemsProcessed(state.iterations());
}

// A thread parked on a futex word, woken once per iteration.
struct parked_thread {
	std::atomic<std::uint32_t> word{0};
	std::atomic<bool> parked{false}, stop{false};
	std::thread t{[this] {
		while (!stop.load()) {
			const std::uint32_t w = word.load();
			parked.store(true);
			syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, w, nullptr, nullptr, 0);
		}
	}};
	~parked_thread()
	{
		stop.store(true);
		word.fetch_add(1);
		syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
		t.join();
	}
};

void wake_parked_thread(benchmark::State &state)
{
	parked_thread p;
	for (auto _ : state) {
		while (!p.parked.exchange(false))
			sched_yield();
		// Until it sleeps in the kernel: its wake-up is then a real one.
		for (int i = 0; i < 20; ++i)
			sched_yield();
		const double t = thread_cpu();
		p.word.fetch_add(1);
		syscall(SYS_futex, &p.word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
		state.SetIterationTime(thread_cpu() - t);
	}
	state.SetItemsProcessed(state.iterations());
}

} // namespace

BENCHMARK(records_sync_memcpy)->Name("records/sync_memcpy/16")->Arg(64)->Arg(256);
BENCHMARK(records_batch_default)->Name("records/batch/default/16")->Arg(64)->Arg(256)->Arg(4096);
BENCHMARK(ops_threads_separate)->Name("ops/threads/separate/16")->Arg(4096)->UseRealTime();
BENCHMARK(ops_threads_batch<true>)->Name("ops/threads/batch/16")->Arg(4096)->UseRealTime();
BENCHMARK(ops_threads_batch<false>)->Name("ops/threads/batch_polled/16")->Arg(4096)->UseRealTime();
BENCHMARK(persist_sync)->Name("persist/sync")->Arg(1 << 20)->UseManualTime();
BENCHMARK(persist_async_caller)->Name("persist/async_caller")->Arg(1 << 20)->UseManualTime();
BENCHMARK(wake_parked_thread)->Name("wake/parked_thread")->UseManualTime();
BENCHMARK_MAIN();
