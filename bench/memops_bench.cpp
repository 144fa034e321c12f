// Google Benchmark of the durable memcpy/memset kernels on a /dev/shm file
// mapping, CACHE_LINE granularity, per kernel family and size. Standalone:
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

void bm_memcpy(benchmark::State &st, int fam, unsigned flags)
{
	mo::redispatch(family(fam));
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto fn = mo::ops(mo::granularity::cache_line).memmove;
	char *d = pmem(), *s = dram();
	// Rotate destinations within the mapping for small sizes so that the
	// flushed lines are not the same every iteration.
	const std::size_t span = n < 4096 ? 4096 * 64 : n;
	std::size_t off = 0;
	for (auto _ : st) {
		fn(d + off, s + off, n, flags);
		off += n < 4096 ? 4096 : 0;
		if (off + n > span)
			off = 0;
	}
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
	st.SetLabel(mo::selected().nt_kernel);
}

void bm_memset(benchmark::State &st, int fam, unsigned flags)
{
	mo::redispatch(family(fam));
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto fn = mo::ops(mo::granularity::cache_line).memset;
	char *d = pmem();
	for (auto _ : st)
		fn(d, 5, n, flags);
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
}

void sizes(benchmark::internal::Benchmark *b)
{
	for (long n : {64L, 256L, 4096L, 1L << 20, 16L << 20})
		b->Arg(n);
}

int reg = [] {
	for (int fam = 0; fam < 4; ++fam) {
		std::string f = family_name(fam);
		benchmark::RegisterBenchmark(("memcpy/" + f + "/default").c_str(), bm_memcpy, fam, 0u)->Apply(sizes);
		benchmark::RegisterBenchmark(("memcpy/" + f + "/nodrain").c_str(), bm_memcpy, fam, mo::f_nodrain)
			->Arg(64)->Arg(256);
		benchmark::RegisterBenchmark(("memset/" + f + "/default").c_str(), bm_memset, fam, 0u)->Apply(sizes);
	}
	return 0;
}();

} // namespace

BENCHMARK_MAIN();
