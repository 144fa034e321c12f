// Google Benchmark of CRC32C (memops/crc32c.hpp): crc32c per kernel family
// and size, ISA-L's crc32_iscsi beside it when libisal-dev is installed,
// and the durable copy with its CRC three ways at CACHE_LINE granularity:
// copy_crc32c (one pass), the memcpy kernel alone, and the memcpy kernel
// then crc32c of the source. Built as bench_crc32c; names:
//   crc32c/<family>/<size>, crc32c/isal/<size>,
//   copy/{copy_crc32c,memcpy,memcpy_then_crc32c}/<size>
#include "memops/crc32c.hpp"
#include "memops/memops.hpp"

#include <benchmark/benchmark.h>

#if PMEM2_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace mo = pmem2::memops;

namespace {

constexpr std::size_t map_size = std::size_t(16) << 20;

// The copies' destination: a /dev/shm file mapping, as bench_memops uses.
char *pmem()
{
	static char *addr = [] {
		std::string path = "/dev/shm/pmem2_crc32c_bench_" + std::to_string(getpid());
		int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, map_size) != 0)
			std::abort();
		void *a = mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		unlink(path.c_str());
		if (a == MAP_FAILED)
			std::abort();
		std::memset(a, 1, map_size);
		return static_cast<char *>(a);
	}();
	return addr;
}

char *dram()
{
	static std::vector<char> v = [] {
		std::vector<char> b(map_size);
		for (std::size_t i = 0; i < b.size(); ++i)
			b[i] = static_cast<char>(i * 131 + (i >> 9));
		return b;
	}();
	return v.data();
}

// Small copies rotate through 256 KiB of the mapping (as bench_memops
// does), so the flushed lines differ from one iteration to the next.
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

void bytes(benchmark::State &st, std::size_t n)
{
	st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
}

void bm_crc32c(benchmark::State &st, mo::crc32c_family fam)
{
	mo::redispatch_crc32c(fam);
	const char *name = fam == mo::crc32c_family::vpclmul ? "vpclmul"
		: fam == mo::crc32c_family::sse42 ? "sse42" : "table";
	if (std::strcmp(mo::crc32c_selected(), name) != 0) {
		st.SkipWithError("the CPU lacks this family's instructions");
		return;
	}
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	const char *p = dram();
	std::uint32_t crc = 0;
	for (auto _ : st) {
		crc = mo::crc32c(crc, p, n);
		benchmark::DoNotOptimize(crc);
	}
	bytes(st, n);
	mo::redispatch_crc32c(mo::crc32c_limit_from_env());
}

#if PMEM2_HAVE_ISAL
void bm_isal(benchmark::State &st)
{
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	auto *p = reinterpret_cast<unsigned char *>(dram());
	unsigned crc = 0;
	for (auto _ : st) {
		// crc32_iscsi is the raw CRC: ~ in and out for crc32c's chaining.
		crc = ~crc32_iscsi(p, static_cast<int>(n), ~crc);
		benchmark::DoNotOptimize(crc);
	}
	bytes(st, n);
}
#endif

enum class copy_way { fused, copy_only, copy_then_crc };

void bm_copy(benchmark::State &st, copy_way way)
{
	mo::redispatch(mo::options_from_env());
	mo::redispatch_crc32c(mo::crc32c_limit_from_env());
	const std::size_t n = static_cast<std::size_t>(st.range(0));
	const auto memcpy_fn = mo::ops(mo::granularity::cache_line).memmove;
	char *d = pmem();
	const char *s = dram();
	rotation r(n);
	std::uint32_t crc = 0;
	for (auto _ : st) {
		const std::size_t off = r.next();
		switch (way) {
		case copy_way::fused:
			crc = mo::copy_crc32c(d + off, s + off, n, crc, mo::granularity::cache_line);
			break;
		case copy_way::copy_only:
			memcpy_fn(d + off, s + off, n, 0);
			break;
		case copy_way::copy_then_crc:
			memcpy_fn(d + off, s + off, n, 0);
			crc = mo::crc32c(crc, s + off, n);
			break;
		}
		benchmark::DoNotOptimize(crc);
	}
	bytes(st, n);
	st.SetLabel(std::string(mo::crc32c_selected()) + "/" + mo::selected().nt_kernel);
}

int reg = [] {
	using benchmark::RegisterBenchmark;
	const std::pair<const char *, mo::crc32c_family> fams[] = {
		{"vpclmul", mo::crc32c_family::vpclmul},
		{"sse42", mo::crc32c_family::sse42},
		{"table", mo::crc32c_family::table}};
	for (auto [name, fam] : fams) {
		std::string n = std::string("crc32c/") + name;
		RegisterBenchmark(n.c_str(), bm_crc32c, fam)->Arg(64)->Arg(4096)->Arg(65536)->Arg(1 << 20);
	}
#if PMEM2_HAVE_ISAL
	RegisterBenchmark("crc32c/isal", bm_isal)->Arg(64)->Arg(4096)->Arg(65536)->Arg(1 << 20);
#endif
	const std::pair<const char *, copy_way> ways[] = {
		{"copy/copy_crc32c", copy_way::fused},
		{"copy/memcpy", copy_way::copy_only},
		{"copy/memcpy_then_crc32c", copy_way::copy_then_crc}};
	for (auto [name, way] : ways)
		RegisterBenchmark(name, bm_copy, way)->Arg(4096)->Arg(16384)->Arg(65536)->Arg(256 << 10)->Arg(1 << 20);
	return 0;
}();

} // namespace

BENCHMARK_MAIN();
