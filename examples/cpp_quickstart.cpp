// Quick start for the pmem2 C++ API: map a file, write durably, then copy
// asynchronously with a threads mover from a coroutine.
//
//   cpp_quickstart FILE
#include <cstdio>
#include <cstring>
#include <string_view>

#include <pmem2/pmem2.hpp>

// Copies [from, from + n) to [to, to + n) inside the map, durably.
static pmem2::task<void> copy(pmem2::map_ref m, std::size_t to, std::size_t from, std::size_t n)
{
	// The coroutine sleeps until the mover's worker wakes it.
	co_await m.memcpy_async(m.data() + to, m.data() + from, n);
}

// The first half of the map into the second, as two copies in flight.
static pmem2::task<void> copy_halves(pmem2::map_ref m)
{
	std::size_t half = m.size() / 2, quarter = half / 2;
	co_await pmem2::when_all(copy(m, half, 0, quarter), copy(m, half + quarter, quarter, half - quarter));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	try {
		pmem2::threads_mover mover(2);
		pmem2::map_options opts;
		opts.mover = mover;	// the mover must outlive the map
		pmem2::map m = pmem2::map::create_file(argv[1], 1 << 20, opts);

		std::string_view msg = "hello, persistent memory";
		m.write(0, std::as_bytes(std::span(msg)));	// copied and made durable
		pmem2::sync_wait(copy_halves(m));
		std::printf("granularity %s, second half starts with \"%.*s\"\n",
			std::string(pmem2::to_string(m.granularity())).c_str(), int(msg.size()),
			reinterpret_cast<const char *>(m.data() + m.size() / 2));
	} catch (const pmem2::error &e) {
		std::fprintf(stderr, "%s (code %d)\n", e.what(), e.code());
		return 1;
	}
	return 0;
}
