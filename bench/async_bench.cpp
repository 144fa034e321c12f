// Google Benchmark of the asynchronous path, through the public C API:
//   async/<op>/<mover>/depth:<n>/<size>  n pmem2 futures created, then
//       runtime_wait_multiple; time per batch of n (real time). Movers:
//       inline (the map's default mover), sync (data_mover_sync), threads
//       (data_mover_threads, 2 workers, 128-slot ring, waker notifier).
//   async_busy/memcpy/<mover>/<size>     one future, FUTURE_BUSY_POLL.
//   overhead/...       creating and completing a 64 B future on the
//       default mover against the sync function for the same copy.
//   wakeup/runtime     a waker called on another thread -> runtime_wait
//       returns (manual time: from the wake call to the return).
//   plain_memcpy/<size>/threads:<k>  DRAM to DRAM memcpy, the bandwidth
//       ceiling the threads mover is judged against.
// Maps are files on /dev/shm (PMEM2_BENCH_DIR overrides) with
// PMEM2_FORCE_GRANULARITY=CACHE_LINE unless the environment says otherwise.
#define PMEM2_USE_MINIASYNC 1
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libpmem2.h>
#include <libminiasync.h>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t map_bytes = std::size_t(256) << 20;
constexpr std::size_t src_bytes = std::size_t(64) << 20;

[[noreturn]] void die(const char *what)
{
	std::fprintf(stderr, "bench_async: %s: %s\n", what, pmem2_errormsg());
	std::exit(1);
}

struct pmem_map {
	pmem2_config *cfg = nullptr;
	pmem2_source *src = nullptr;
	pmem2_map *map = nullptr;
	int fd = -1;
	char *addr = nullptr;

	explicit pmem_map(vdm *mover)
	{
		const char *dir = std::getenv("PMEM2_BENCH_DIR");
		std::string path = std::string(dir ? dir : "/dev/shm") + "/pmem2_async_bench.XXXXXX";
		fd = mkstemp(path.data());
		if (fd < 0 || ftruncate(fd, off_t(map_bytes)) != 0)
			die("scratch file");
		unlink(path.c_str());
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
	data_mover_threads *dmt;
	data_mover_sync *dms;
	runtime *rt;
	pmem_map *inline_map, *sync_map, *threads_map;
	char *src;

	environment()
	{
		dmt = data_mover_threads_new(2, 128, FUTURE_NOTIFIER_WAKER);
		dms = data_mover_sync_new();
		rt = runtime_new();
		if (!dmt || !dms || !rt)
			die("mover or runtime");
		inline_map = new pmem_map(nullptr);
		sync_map = new pmem_map(data_mover_sync_get_vdm(dms));
		threads_map = new pmem_map(data_mover_threads_get_vdm(dmt));
		src = static_cast<char *>(std::aligned_alloc(4096, src_bytes));
		std::memset(src, 0x5a, src_bytes);
	}

	pmem_map &map(int mover)
	{
		return mover == 0 ? *inline_map : mover == 1 ? *sync_map : *threads_map;
	}
};

environment &env()
{
	static environment e;
	return e;
}

const char *mover_name[] = {"inline", "sync", "threads"};

enum class op { memcpy, memset };

// Destinations of a batch are distinct (wrapping in the map); sources
// wrap in the source buffer.
void bm_async(benchmark::State &st, op kind, int mover, int depth)
{
	environment &e = env();
	pmem_map &m = e.map(mover);
	const auto n = std::size_t(st.range(0));
	std::vector<pmem2_future> futs(static_cast<std::size_t>(depth));
	std::vector<future *> ptrs(static_cast<std::size_t>(depth));
	for (int i = 0; i < depth; ++i)
		ptrs[std::size_t(i)] = FUTURE_AS_RUNNABLE(&futs[std::size_t(i)]);
	const std::size_t stride = std::max<std::size_t>((n + 4095) & ~std::size_t(4095), 4096);
	std::size_t doff = 0, soff = 0;
	for (auto _ : st) {
		for (int i = 0; i < depth; ++i) {
			if (doff + stride > map_bytes)
				doff = 0;
			if (soff + n > src_bytes)
				soff = 0;
			futs[std::size_t(i)] = kind == op::memcpy ?
				pmem2_memcpy_async(m.map, m.addr + doff, e.src + soff, n, 0) :
				pmem2_memset_async(m.map, m.addr + doff, i & 0xff, n, 0);
			doff += stride;
			soff += stride;
		}
		runtime_wait_multiple(e.rt, ptrs.data(), std::size_t(depth));
		if (FUTURE_OUTPUT(&futs[0])->result != 0) {
			st.SkipWithError("future failed");
			break;
		}
	}
	st.SetBytesProcessed(int64_t(st.iterations()) * depth * int64_t(n));
	st.SetItemsProcessed(int64_t(st.iterations()) * depth);
}

void bm_async_busy(benchmark::State &st, int mover)
{
	environment &e = env();
	pmem_map &m = e.map(mover);
	const auto n = std::size_t(st.range(0));
	const std::size_t stride = std::max<std::size_t>((n + 4095) & ~std::size_t(4095), 4096);
	std::size_t off = 0;
	for (auto _ : st) {
		if (off + stride > src_bytes)
			off = 0;
		pmem2_future f = pmem2_memcpy_async(m.map, m.addr + off, e.src + off, n, 0);
		FUTURE_BUSY_POLL(&f);
		off += stride;
	}
	st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(n));
}

// The overhead pair: same destinations, same 64 B copies, each call
// starting where the previous one ended (rounded up to a line), as log
// appends do.
constexpr std::size_t small_window = std::size_t(1) << 20;

void bm_future_inline(benchmark::State &st)
{
	environment &e = env();
	pmem_map &m = *e.inline_map;
	const auto n = std::size_t(st.range(0));
	std::size_t off = 0;
	for (auto _ : st) {
		pmem2_future f = pmem2_memcpy_async(m.map, m.addr + off, e.src + off, n, 0);
		FUTURE_BUSY_POLL(&f);
		benchmark::DoNotOptimize(f.output.result);
		off = (off + ((n + 63) & ~std::size_t(63))) & (small_window - 1);
	}
}

void bm_sync_fn(benchmark::State &st, unsigned flags)
{
	environment &e = env();
	pmem_map &m = *e.inline_map;
	const auto n = std::size_t(st.range(0));
	pmem2_memcpy_fn fn = pmem2_get_memcpy_fn(m.map);
	std::size_t off = 0;
	for (auto _ : st) {
		benchmark::DoNotOptimize(fn(m.addr + off, e.src + off, n, flags));
		off = (off + ((n + 63) & ~std::size_t(63))) & (small_window - 1);
	}
}

// Creation alone (the future is dropped unpolled, which the API allows).
void bm_future_create(benchmark::State &st, int mover)
{
	environment &e = env();
	pmem_map &m = e.map(mover);
	for (auto _ : st) {
		pmem2_future f = pmem2_memcpy_async(m.map, m.addr, e.src, 64, 0);
		benchmark::DoNotOptimize(&f);
		benchmark::ClobberMemory();
	}
}

// Polling a future that is still running: the cost the runtime pays per pass.
void bm_poll_running(benchmark::State &st)
{
	struct never_data { int unused; };
	struct never_output { int unused; };
	FUTURE(never_future, never_data, never_output);
	never_future f;
	FUTURE_INIT(&f, [](future_context *, future_notifier *n) {
		if (n)
			n->notifier_used = FUTURE_NOTIFIER_NONE;
		return FUTURE_STATE_RUNNING;
	});
	for (auto _ : st)
		benchmark::DoNotOptimize(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr));
}

// Wake-up latency: the future's first poll hands its waker to a helper
// thread, which waits until the runtime has gone to sleep, then takes a
// time stamp and wakes it.
struct wake_data {
	std::atomic<int> *state;
};
struct wake_output {
	int unused;
};
FUTURE(wake_future, wake_data, wake_output);

struct wake_shared {
	std::atomic<int> state{0};	// 0 idle, 1 armed, 2 complete, 3 stop
	future_waker waker{};
	std::chrono::steady_clock::time_point woke_at;
};

void bm_wakeup(benchmark::State &st)
{
	environment &e = env();
	static wake_shared sh;
	sh.state = 0;
	const auto delay = std::chrono::microseconds(st.range(0));
	std::thread helper([&] {
		for (;;) {
			int s = sh.state.load(std::memory_order_acquire);
			if (s == 3)
				return;
			if (s != 1) {
				std::this_thread::yield();
				continue;
			}
			std::this_thread::sleep_for(delay);
			sh.woke_at = std::chrono::steady_clock::now();
			sh.state.store(2, std::memory_order_release);
			sh.waker.wake(sh.waker.data);
			while (sh.state.load(std::memory_order_acquire) == 2)
				std::this_thread::yield();
		}
	});
	for (auto _ : st) {
		wake_future f;
		f.data.state = &sh.state;
		FUTURE_INIT(&f, [](future_context *ctx, future_notifier *n) {
			auto *d = static_cast<wake_data *>(future_context_get_data(ctx));
			int s = d->state->load(std::memory_order_acquire);
			if (s == 2)
				return FUTURE_STATE_COMPLETE;
			if (n)
				n->notifier_used = FUTURE_NOTIFIER_WAKER;
			if (s == 0) {
				sh.waker = n ? n->waker : future_waker{};
				d->state->store(1, std::memory_order_release);
			}
			return FUTURE_STATE_RUNNING;
		});
		runtime_wait(e.rt, FUTURE_AS_RUNNABLE(&f));
		auto done = std::chrono::steady_clock::now();
		st.SetIterationTime(std::chrono::duration<double>(done - sh.woke_at).count());
		sh.state.store(0, std::memory_order_release);
	}
	sh.state.store(3, std::memory_order_release);
	helper.join();
}

// DRAM to DRAM copy; with k threads each copies its 1/k share.
void bm_plain_memcpy(benchmark::State &st)
{
	static std::vector<char> a, b;
	const auto n = std::size_t(st.range(0));
	if (st.thread_index() == 0 && a.size() < n) {
		a.assign(n, 1);
		b.assign(n, 2);
	}
	// Google Benchmark starts the timed loop on all threads together.
	for (auto _ : st) {
		std::size_t share = n / std::size_t(st.threads());
		std::size_t off = share * std::size_t(st.thread_index());
		std::memcpy(b.data() + off, a.data() + off, share);
		benchmark::ClobberMemory();
	}
	st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(n / std::size_t(st.threads())));
}

int registered = [] {
	using benchmark::RegisterBenchmark;
	for (int mover = 0; mover < 3; ++mover) {
		for (int depth : {1, 16, 64}) {
			std::string name = std::string("async/memcpy/") + mover_name[mover] +
				"/depth:" + std::to_string(depth);
			auto *b = RegisterBenchmark(name.c_str(), bm_async, op::memcpy, mover, depth);
			for (long n : {256L, 4096L, 65536L, 1L << 20})
				b->Arg(n);
			if (depth <= 16)
				b->Arg(8L << 20)->Arg(16L << 20);
			b->UseRealTime();
		}
		std::string name = std::string("async/memset/") + mover_name[mover] + "/depth:16";
		RegisterBenchmark(name.c_str(), bm_async, op::memset, mover, 16)
			->Arg(4096)->Arg(1L << 20)->UseRealTime();
		name = std::string("async_busy/memcpy/") + mover_name[mover];
		RegisterBenchmark(name.c_str(), bm_async_busy, mover)
			->Arg(64)->Arg(256)->Arg(4096)->Arg(1L << 20)->UseRealTime();
		name = std::string("overhead/create/") + mover_name[mover];
		RegisterBenchmark(name.c_str(), bm_future_create, mover);
	}
	RegisterBenchmark("overhead/future_inline", bm_future_inline)->Arg(64)->Arg(256);
	RegisterBenchmark("overhead/sync_memcpy/0", bm_sync_fn, 0u)->Arg(64)->Arg(256);
	RegisterBenchmark("overhead/sync_memcpy/NONTEMPORAL", bm_sync_fn,
		unsigned(PMEM2_F_MEM_NONTEMPORAL))->Arg(64)->Arg(256);
	RegisterBenchmark("overhead/poll_running", bm_poll_running);
	RegisterBenchmark("wakeup/runtime", bm_wakeup)->Arg(50)->UseManualTime()
		->Unit(benchmark::kMicrosecond);
	RegisterBenchmark("plain_memcpy", bm_plain_memcpy)->Arg(512L << 20)
		->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
	return 0;
}();

} // namespace

int main(int argc, char **argv)
{
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 0);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
