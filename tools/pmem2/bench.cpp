// pmem2 bench: throughput and latency of synchronous and asynchronous
// durable copies into a scratch file.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <pmem2/pmem2.hpp>

#include "tool.hpp"

namespace pmem2::tool {
namespace {

const char help_text[] =
	"usage: pmem2 bench [options]\n"
	"\n"
	"Measures durable copies from DRAM into a scratch file mapped with pmem2:\n"
	"the map's synchronous memcpy, and asynchronous copies with the default\n"
	"mover and the threads mover, 1 and 16 in flight, at several sizes.\n"
	"\n"
	"  --dir DIR       where to create the scratch file (default $TMPDIR or /tmp)\n"
	"  --file-size S   scratch file size (default 64M)\n"
	"  --threads N     threads mover workers (default 4)\n"
	"  --time MS       measuring time per row in milliseconds (default 150)\n"
	"  --json          rows as JSON on stdout\n";

using clock_type = std::chrono::steady_clock;

struct row {
	std::string mode, mover;
	std::size_t size = 0, inflight = 0, ops = 0;
	double gbps = 0, latency_us = 0;
};

double seconds_since(clock_type::time_point t)
{
	return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::size_t slot_offset(std::size_t slot, std::size_t size, std::size_t span)
{
	std::size_t nslots = std::max<std::size_t>(1, span / size);
	return (slot % nslots) * size;
}

row run_sync(const map &m, const std::byte *src, std::size_t size, double budget)
{
	row r{"sync", "map function", size, 1};
	double lat = 0;
	auto t0 = clock_type::now();
	while (r.ops < 16 || seconds_since(t0) < budget) {
		auto s = clock_type::now();
		m.memcpy(m.data() + slot_offset(r.ops, size, m.size()), src, size);
		lat += seconds_since(s);
		++r.ops;
	}
	double secs = seconds_since(t0);
	r.gbps = double(r.ops * size) / secs / 1e9;
	r.latency_us = lat / double(r.ops) * 1e6;
	return r;
}

row run_async(const map &m, const char *mover, const std::byte *src, std::size_t size, std::size_t inflight,
	double budget)
{
	row r{"async", mover, size, inflight};
	double lat = 0;
	std::size_t next = 0;
	bool stop = false;
	std::optional<error_info> err;
	auto t0 = clock_type::now();
	map_ref dst = m;
	auto worker = [&]() -> task<void> {
		while (!stop) {
			std::size_t slot = next++;
			auto s = clock_type::now();
			auto res = co_await dst.memcpy_async(dst.data() + slot_offset(slot, size, dst.size()), src, size)
					   .no_throw();
			if (!res) {
				err = res.error();
				stop = true;
				co_return;
			}
			lat += seconds_since(s);
			++r.ops;
			if (r.ops >= 16 && seconds_since(t0) >= budget)
				stop = true;
		}
	};
	std::vector<task<void>> ws;
	for (std::size_t i = 0; i < inflight; ++i)
		ws.push_back(worker());
	sync_wait(when_all(std::move(ws)));
	if (err)
		throw error(*err);
	double secs = seconds_since(t0);
	r.gbps = double(r.ops * size) / secs / 1e9;
	r.latency_us = lat / double(r.ops) * 1e6;
	return r;
}

} // namespace

int cmd_bench(int argc, char **argv)
{
	args a(argc, argv, 2);
	bool as_json = false;
	const char *tmp = std::getenv("TMPDIR");
	std::string dir = tmp && *tmp ? tmp : "/tmp";
	std::size_t file_size = 64 << 20, threads = 4;
	double budget = 0.15;
	while (!a.done()) {
		std::string_view arg = a.next();
		auto is = [&](std::string_view name) {
			return arg == name || (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
				arg[name.size()] == '=');
		};
		if (arg == "--help" || arg == "-h") {
			std::fputs(help_text, stdout);
			return exit_ok;
		} else if (arg == "--json") {
			as_json = true;
		} else if (is("--dir")) {
			dir = std::string(a.value("--dir", arg));
		} else if (is("--file-size")) {
			file_size = parse_size("--file-size", a.value("--file-size", arg));
			if (file_size < (1 << 20))
				throw usage_error{"--file-size: at least 1M"};
		} else if (is("--threads")) {
			threads = parse_count("--threads", a.value("--threads", arg), 1, 256);
		} else if (is("--time")) {
			budget = double(parse_count("--time", a.value("--time", arg), 1, 60000)) / 1000.0;
		} else {
			throw usage_error{"unknown argument '" + std::string(arg) + "'"};
		}
	}

	// mkstemp template: six placeholder characters.
	std::string path = dir + "/pmem2-bench-" + std::string(6, 'X');
	int fd = ::mkstemp(path.data());
	if (fd < 0)
		return fail("bench", as_json, "cannot create a scratch file in '" + dir + "': " + std::strerror(errno),
			-errno);
	::close(fd);
	struct unlinker {
		std::string p;
		~unlinker() { ::unlink(p.c_str()); }
	} cleanup{path};

	std::vector<row> rows;
	std::string gran;
	try {
		const std::size_t sizes[] = {4 << 10, 64 << 10, 1 << 20, 4 << 20};
		std::vector<std::byte> src(4 << 20);
		for (std::size_t i = 0; i < src.size(); ++i)
			src[i] = static_cast<std::byte>(i * 131 + 7);
		threads_mover tm(threads);
		map plain = map::create_file(path, file_size);
		map_options topt;
		topt.mover = tm;
		map with_threads = map::open(path, topt);
		gran = std::string(to_string(plain.granularity()));
		for (std::size_t size : sizes) {
			if (size > file_size)
				continue;
			rows.push_back(run_sync(plain, src.data(), size, budget));
			for (std::size_t inflight : {std::size_t(1), std::size_t(16)}) {
				rows.push_back(run_async(plain, "default", src.data(), size, inflight, budget));
				rows.push_back(run_async(with_threads, "threads", src.data(), size, inflight, budget));
			}
		}
	} catch (const error &e) {
		return fail("bench", as_json, e.what(), e.code());
	}

	if (as_json) {
		json j;
		j.begin_object().field("file", path).field("file_size", file_size).field("granularity", gran);
		j.field("threads", threads).field("pmdk", "not linked");
		j.begin_array("rows");
		for (const row &r : rows)
			j.begin_object()
				.field("mode", r.mode)
				.field("mover", r.mover)
				.field("size", r.size)
				.field("inflight", r.inflight)
				.field("ops", r.ops)
				.field("gbps", r.gbps)
				.field("latency_us", r.latency_us)
				.end_object();
		j.end_array().end_object();
		std::printf("%s\n", j.str().c_str());
		return exit_ok;
	}
	std::printf("scratch file %s, %s, granularity %s; threads mover with %zu workers\n", path.c_str(),
		human_size(double(file_size)).c_str(), gran.c_str(), threads);
	std::printf("PMDK: not linked\n\n");
	std::printf("%-6s %-13s %9s %9s %10s %14s\n", "mode", "mover", "size", "in-flight", "GB/s", "latency (us)");
	for (const row &r : rows)
		std::printf("%-6s %-13s %9s %9zu %10.3f %14.2f\n", r.mode.c_str(), r.mover.c_str(),
			human_size(double(r.size)).c_str(), r.inflight, r.gbps, r.latency_us);
	return exit_ok;
}

} // namespace pmem2::tool
