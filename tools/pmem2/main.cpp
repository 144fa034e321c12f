// pmem2: inspect persistent memory, copy files durably, measure throughput,
// check a program's persistence.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "tool.hpp"

using namespace pmem2::tool;

namespace {

const char usage_text[] =
	"usage: pmem2 <command> [options]\n"
	"\n"
	"commands:\n"
	"  info [PATH]      CPU features, chosen kernels; kind, size and persistence of PATH\n"
	"  cp SRC DST       copy SRC into DST through a pmem2 map, durably\n"
	"  bench            sync and async throughput and latency on a scratch file\n"
	"  check PROGRAM    run PROGRAM and report the bytes it did not make durable\n"
	"\n"
	"Every command takes --help and --json. Exit status: 0 success, 1 failure,\n"
	"2 usage error.\n";

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fputs(usage_text, stderr);
		return exit_usage;
	}
	std::string_view cmd = argv[1];
	try {
		if (cmd == "--help" || cmd == "-h" || cmd == "help") {
			std::fputs(usage_text, stdout);
			return exit_ok;
		}
		if (cmd == "info")
			return cmd_info(argc, argv);
		if (cmd == "cp")
			return cmd_cp(argc, argv);
		if (cmd == "bench")
			return cmd_bench(argc, argv);
		if (cmd == "check")
			return cmd_check(argc, argv);
		std::fprintf(stderr, "pmem2: unknown command '%s'\n\n%s", argv[1], usage_text);
		return exit_usage;
	} catch (const usage_error &e) {
		std::fprintf(stderr, "pmem2 %s: %s\nTry 'pmem2 %s --help'.\n", argv[1], e.message.c_str(), argv[1]);
		return exit_usage;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "pmem2 %s: %s\n", argv[1], e.what());
		return exit_failure;
	}
}
