// pmem2 check: run a program with libpmem2's check mode and report what it
// left not durable (docs/CHECK.md).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "check/report.hpp"
#include "tool.hpp"

namespace pmem2::tool {

namespace {

const char help_text[] =
	"usage: pmem2 check [--json] [--ignore FILE:OFF:LEN]... [--] PROGRAM [ARG...]\n"
	"\n"
	"Runs PROGRAM with libpmem2's check mode (PMEM2_CHECK=1) and reports the\n"
	"bytes of its maps it did not make durable:\n"
	"  never made durable       at pmem2_map_delete or exit, bytes of a map that\n"
	"                           differ from what the library made durable\n"
	"  not durable at return    a pmem2_memcpy/memmove/memset/persist (or a\n"
	"                           flush + drain) call returned before its range\n"
	"                           was durable\n"
	"PROGRAM must load this libpmem2 (LD_LIBRARY_PATH or the install decides;\n"
	"pmem2 check does not change it). Only maps made by pmem2_map_new are seen;\n"
	"BYTE-granularity maps are durable at every store.\n"
	"\n"
	"options:\n"
	"  --ignore FILE:OFF:LEN  bytes of FILE (as the findings name it) that are\n"
	"                         volatile on purpose; OFF, LEN decimal or 0x hex;\n"
	"                         repeatable\n"
	"  --json                 print {\"status\",\"program\",\"exit_code\",\"signal\",\n"
	"                         \"findings\"} on stdout (PROGRAM's stdout goes to\n"
	"                         stderr)\n"
	"\n"
	"Not there yet: crash states (--recover, --crash-points, --reorder, --seed,\n"
	"--keep).\n"
	"\n"
	"Exit status: 0 no findings, 1 findings, 2 usage or setup error (no\n"
	"PROGRAM, PROGRAM cannot be run, bad --ignore), or PROGRAM killed by a\n"
	"signal with no findings (its exit check never ran). PROGRAM's own exit\n"
	"status is reported, not passed on.\n";

struct options {
	bool json = false;
	std::vector<std::string> ignores;
	std::vector<char *> program;	// argv of PROGRAM, nullptr-terminated
};

options parse(int argc, char **argv)
{
	options o;
	int i = 2;
	for (; i < argc; ++i) {
		std::string_view a = argv[i];
		if (a == "--") {
			++i;
			break;
		}
		if (a == "--json") {
			o.json = true;
		} else if (a == "--ignore" || a.starts_with("--ignore=")) {
			std::string v;
			if (a == "--ignore") {
				if (i + 1 >= argc)
					throw usage_error{"--ignore needs FILE:OFF:LEN"};
				v = argv[++i];
			} else {
				v = std::string(a.substr(9));
			}
			check::ignore_range r;
			std::string err;
			if (!check::parse_ignore(v, r, err))
				throw usage_error{"--ignore " + err};
			if (v.find(',') != std::string::npos)
				throw usage_error{"--ignore '" + v + "': FILE may not hold ','"};
			o.ignores.push_back(v);
		} else if (a.starts_with("-") && a.size() > 1) {
			throw usage_error{"unknown option '" + std::string(a) + "'"};
		} else {
			break;
		}
	}
	for (; i < argc; ++i)
		o.program.push_back(argv[i]);
	if (o.program.empty())
		throw usage_error{"missing PROGRAM"};
	o.program.push_back(nullptr);
	return o;
}

struct run_result {
	bool exited = false;
	int code = 0;	// exit status, or the signal
};

// fork + execvp with the check environment; the child reports execvp's
// errno through a close-on-exec pipe. -1 and `err` set when it could not run.
int run(const options &o, const std::string &report, run_result &res, std::string &err)
{
	int pfd[2];
	if (::pipe2(pfd, O_CLOEXEC) != 0) {
		err = std::string("pipe: ") + std::strerror(errno);
		return -1;
	}
	std::string ignore;
	for (const std::string &s : o.ignores)
		ignore += (ignore.empty() ? "" : ",") + s;
	std::fflush(nullptr);
	pid_t pid = ::fork();
	if (pid < 0) {
		err = std::string("fork: ") + std::strerror(errno);
		::close(pfd[0]);
		::close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		::close(pfd[0]);
		::setenv("PMEM2_CHECK", "1", 1);
		::setenv("PMEM2_CHECK_REPORT", report.c_str(), 1);
		if (ignore.empty())
			::unsetenv("PMEM2_CHECK_IGNORE");
		else
			::setenv("PMEM2_CHECK_IGNORE", ignore.c_str(), 1);
		if (o.json)
			::dup2(2, 1);	// stdout is the JSON document's
		::execvp(o.program[0], o.program.data());
		int e = errno;
		(void)!::write(pfd[1], &e, sizeof(e));
		::_exit(127);
	}
	::close(pfd[1]);
	int e = 0;
	ssize_t n;
	while ((n = ::read(pfd[0], &e, sizeof(e))) < 0 && errno == EINTR) {
	}
	::close(pfd[0]);
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = std::string("waitpid: ") + std::strerror(errno);
			return -1;
		}
	}
	if (n == static_cast<ssize_t>(sizeof(e))) {
		err = std::string("cannot run '") + o.program[0] + "': " + std::strerror(e);
		return -1;
	}
	if (WIFEXITED(status)) {
		res.exited = true;
		res.code = WEXITSTATUS(status);
	} else {
		res.code = WTERMSIG(status);
	}
	return 0;
}

std::string describe(const check::finding &f)
{
	std::string where = f.path + " offset " + std::to_string(f.offset) + " length " + std::to_string(f.length);
	if (f.kind == check::finding_kind::never_durable)
		return "never made durable: " + where;
	return "not durable at return of " + f.call + ": " + where;
}

} // namespace

int cmd_check(int argc, char **argv)
{
	for (int i = 2; i < argc && std::string_view(argv[i]) != "--"; ++i) {
		std::string_view a = argv[i];
		if (a == "--help" || a == "-h") {
			std::fputs(help_text, stdout);
			return exit_ok;
		}
		if (!a.starts_with("-"))
			break;
	}
	options o = parse(argc, argv);

	const char *tmpdir = std::getenv("TMPDIR");
	std::string report = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/pmem2-check-XXXXXX";
	int fd = ::mkstemp(report.data());
	if (fd < 0) {
		std::fprintf(stderr, "pmem2 check: cannot create the report file %s: %s\n", report.c_str(),
			std::strerror(errno));
		return exit_usage;
	}
	::close(fd);

	run_result res;
	std::string err;
	int r = run(o, report, res, err);
	std::vector<check::finding> found;
	std::vector<std::string> bad_lines;
	{
		std::ifstream in(report);
		std::string line;
		while (std::getline(in, line)) {
			check::finding f;
			if (check::parse(line, f))
				found.push_back(f);
			else if (!line.empty())
				bad_lines.push_back(line);
		}
	}
	::unlink(report.c_str());
	if (r != 0) {
		std::fprintf(stderr, "pmem2 check: %s\n", err.c_str());
		if (o.json) {
			json j;
			j.begin_object().field("status", "error").field("error", err).end_object();
			std::printf("%s\n", j.str().c_str());
		}
		return exit_usage;
	}

	const char *sig = res.exited ? nullptr : ::strsignal(res.code);
	int rc = !found.empty() ? exit_failure : res.exited ? exit_ok : exit_usage;
	if (o.json) {
		json j;
		j.begin_object()
			.field("status", !found.empty() ? "findings" : res.exited ? "clean" : "incomplete")
			.field("program", o.program[0]);
		if (res.exited)
			j.field("exit_code", res.code).null_field("signal");
		else
			j.null_field("exit_code").field("signal", res.code);
		j.begin_array("findings");
		for (const check::finding &f : found) {
			j.begin_object().field("kind", f.kind == check::finding_kind::never_durable
							? "never-durable"
							: "not-durable-at-return");
			if (f.kind == check::finding_kind::not_durable_at_return)
				j.field("call", f.call);
			j.field("path", f.path)
				.field("offset", static_cast<unsigned long long>(f.offset))
				.field("length", static_cast<unsigned long long>(f.length))
				.end_object();
		}
		j.end_array().end_object();
		std::printf("%s\n", j.str().c_str());
	} else {
		for (const check::finding &f : found)
			std::printf("%s\n", describe(f).c_str());
		if (!res.exited)
			std::printf("%s was killed by signal %d (%s): maps still mapped were not checked\n",
				o.program[0], res.code, sig ? sig : "?");
		else if (res.code != 0)
			std::printf("%s exited with status %d\n", o.program[0], res.code);
		std::printf("%zu finding%s\n", found.size(), found.size() == 1 ? "" : "s");
	}
	for (const std::string &l : bad_lines)
		std::fprintf(stderr, "pmem2 check: unreadable report line: %s\n", l.c_str());
	return rc;
}

} // namespace pmem2::tool
