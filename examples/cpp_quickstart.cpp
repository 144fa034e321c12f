// Quick start for the pmem2 C++ API: map a file, write durably, then copy
// asynchronously with a threads mover from a coroutine.
//
//   cpp_quickstart FILE
#include <cstdio>
#include <cstring>
#include <string_view>

#include <pmem2/pmem2.hpp>

static pmem2::task<void> copy_halves(pmem2::map_ref m)
{
	std::size_t half = m.size() / 2;
	// Two durable copies in flight; the coroutine sleeps until the mover wakes it.
	auto first = [](pmem2::map_ref m, std::size_t half) -> pmem2::task<void> {
		co_await m.memcpy_async(m.data() + half, m.data(), half / 2);
	};
	auto second = [](pmem2::map_ref m, std::size_t half) -> pmem2::task<void> {
		co_await m.memcpy_async(m.data() + half + half / 2, m.data() + half / 2, half - half / 2);
	};
	co_await pmem2::when_all(first(m, half), second(m, half));
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
