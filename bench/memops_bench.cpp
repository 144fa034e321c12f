// Google Benchmark of the durable kernels (memcpy, overlapping memmove,
// memset, persist) on a /dev/shm file mapping, per kernel family,
// granularity, flag set and size, through the internal per-granularity
// tables (no map layer). Built as bench_memops; standalone:
//   g++ -O2 -std=c++20 -I src bench/memops_bench.cpp <build>/src/memops/libpmem2_memops.a
//       -lbenchmark -lpthread -o memops_bench   (or the bench_memops target)
#include "memops/memops.hpp"

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace mo = pmem2::memops;

namespace {

constexpr std::size_t map_size = std::size_t(64) << 20;

struct mapping {
	void *addr = nullptr;
	mapping()
	{
		std::string path = "/dev/shm/pmem2_memops_bench_" + std::to_string(getpid());
		int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, map_size) != 0)
			std::abort();
		addr = mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		unlink(path.c_str());
		if (addr == MAP_FAILED)
			std::abort();
		std::memset(addr, 1, map_size);
	}
};

char *pmem()
{
	static mapping m;
	return static_cast<char *>(m.addr);
}

char *dram()
{
	static std::vector<char> v(map_size, 2);
	return v.data();
}

mo::dispatch_options family(int k)
{
	mo::dispatch_options o = mo::options_from_env();
	if (k == 1)
		o.avx512f = false;
	if (k == 2)
		o.avx512f = o.avx = false;
	if (k == 3)
		o.no_movnt = true;
	return o;
}

const char *family_name(int k)
{
	static const char *n[] = {"best", "avx", "sse2", "generic"};
	return n[k];
}

// Destinations rotate through the mapping for small sizes so that the
// flushed lines are not the same every iteration.
struct rotation {
	std::size_t n, step, span, off = 0;
	explicit rotation(std::size_t len)
		: n(len), step(len < 4096 ? 4096 : 0), span(len < 4096 ? 4096 * 64 : len) {}
	std::size_t next()
	{
		std::size_t o = off;
		off += step;
		if (off + n > span)
			off = 0;
		return o;
	}
};

mo::granularity gran_of(int g)
{
	return static_cast<mo::granularity>(g);
}

const char *gran_name(int g)
{
	static const char *n[] = {"byte", "cache_line", "page"};
	return n[g];
}

void bm_memcpy(benchmark::State &st, int fam, int g, unsigned flags)
{
	mo::redispatch(family(fam));
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto fn = mo::ops(gran_of(g)).memmove;
	char *d = pmem(), *s = dram();
	rotation r(n);
	for (auto _ : st) {
		std::size_t off = r.next();
		fn(d + off, s + off, n, flags);
	}
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
	st.SetLabel(mo::selected().nt_kernel);
}

// Overlapping move inside the mapping, destination above the source
// (the backward copy).
void bm_memmove(benchmark::State &st, int fam, int g, unsigned flags)
{
	mo::redispatch(family(fam));
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto fn = mo::ops(gran_of(g)).memmove;
	char *d = pmem();
	rotation r(n);
	for (auto _ : st) {
		std::size_t off = r.next();
		fn(d + off + 64, d + off, n, flags);
	}
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
	st.SetLabel(mo::selected().nt_kernel);
}

void bm_memset(benchmark::State &st, int fam, int g, unsigned flags)
{
	mo::redispatch(family(fam));
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto fn = mo::ops(gran_of(g)).memset;
	char *d = pmem();
	rotation r(n);
	for (auto _ : st)
		fn(d + r.next(), 5, n, flags);
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
	st.SetLabel(mo::selected().nt_kernel);
}

void bm_persist(benchmark::State &st, int g)
{
	mo::redispatch(family(0));
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto fn = mo::ops(gran_of(g)).persist;
	char *d = pmem();
	rotation r(n);
	for (auto _ : st)
		fn(d + r.next(), n);
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
	st.SetLabel(mo::selected().flush);
}

void sizes(benchmark::internal::Benchmark *b)
{
	for (long n : {64L, 256L, 4096L, 65536L, 1L << 20, 16L << 20})
		b->Arg(n);
}

struct flag_set {
	const char *name;
	unsigned flags;
};

constexpr flag_set cl_flags[] = {
	{"0", 0u},
	{"NODRAIN", mo::f_nodrain},
	{"NONTEMPORAL", mo::f_nontemporal},
	{"TEMPORAL", mo::f_temporal},
	{"NOFLUSH", mo::f_noflush},
};

// Names: <op>/<family>/<granularity>/<flags>/<size>. Every family at
// CACHE_LINE with every flag set; the best family at BYTE and PAGE.
int reg = [] {
	using benchmark::RegisterBenchmark;
	using bm_fn = void (*)(benchmark::State &, int, int, unsigned);
	const std::pair<const char *, bm_fn> ops_list[] = {
		{"memcpy", bm_memcpy}, {"memmove", bm_memmove}, {"memset", bm_memset}};
	for (auto [op, fn] : ops_list) {
		for (int fam = 0; fam < 4; ++fam)
			for (const flag_set &f : cl_flags) {
				std::string name = std::string(op) + "/" + family_name(fam) +
					"/cache_line/" + f.name;
				RegisterBenchmark(name.c_str(), fn, fam, 1, f.flags)->Apply(sizes);
			}
		for (int g : {0, 2}) {
			std::string name = std::string(op) + "/best/" + gran_name(g) + "/0";
			RegisterBenchmark(name.c_str(), fn, 0, g, 0u)->Apply(sizes);
		}
	}
	for (int g = 0; g < 3; ++g) {
		std::string name = std::string("persist/best/") + gran_name(g);
		RegisterBenchmark(name.c_str(), bm_persist, g)->Apply(sizes);
	}
	return 0;
}();

} // namespace

BENCHMARK_MAIN();
