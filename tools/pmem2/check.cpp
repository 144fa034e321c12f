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
#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "check/crash.hpp"
#include "check/report.hpp"
#include "check_recover.hpp"
#include "tool.hpp"

namespace pmem2::tool {

namespace {

const char help_text[] =
	"usage: pmem2 check [--json] [--ignore FILE:OFF:LEN]... [--recover 'CMD {}'\n"
	"                   [--crash-points N] [--seed S] [--reorder] [--keep DIR]\n"
	"                   [--recover-timeout SECONDS]] [--] PROGRAM [ARG...]\n"
	"\n"
	"Runs PROGRAM with libpmem2's check mode (PMEM2_CHECK=1) and reports the\n"
	"bytes of its maps it did not make durable:\n"
	"  never made durable       at pmem2_map_delete or exit, bytes of a map that\n"
	"                           differ from what the library made durable\n"
	"  not durable at return    a pmem2_memcpy/memmove/memset/persist (or a\n"
	"                           flush + drain) call returned before its range\n"
	"                           was durable\n"
	"  not durable at completion  a future (pmem2_memcpy_async, a batch, ...)\n"
	"                           completed before its range was durable (a\n"
	"                           mover of the program's that skips a fence)\n"
	"  future never completed   a future of a map was made and not run to\n"
	"                           completion before its map was deleted or exit\n"
	"PROGRAM must load this libpmem2 (LD_LIBRARY_PATH or the install decides;\n"
	"pmem2 check does not change it). Maps of pmem2_map_new and\n"
	"pmem2_map_from_existing are seen; stores the program makes itself are seen\n"
	"only as bytes that differ from the durable image (BYTE-granularity maps are\n"
	"durable at every visible store).\n"
	"\n"
	"options:\n"
	"  --ignore FILE:OFF:LEN  bytes of FILE (as the findings name it) that are\n"
	"                         volatile on purpose; OFF, LEN decimal or 0x hex;\n"
	"                         repeatable\n"
	"  --json                 print {\"status\",\"program\",\"exit_code\",\"signal\",\n"
	"                         \"findings\"} on stdout (PROGRAM's stdout goes to\n"
	"                         stderr)\n"
	"\n"
	"crash states (with --recover): at persistence points of the run (a fence\n"
	"that makes flushed lines durable, an msync of a PAGE map, a device write's\n"
	"completion, a future's completion) the library\n"
	"writes a crash image of each mapped file: the file with the mapped range as\n"
	"it is durable just before the point. CMD runs (/bin/sh -c) with {} replaced\n"
	"by each image's path; every image on which it exits non-zero, dies of a\n"
	"signal or times out is a finding, with its point (index, call, thread).\n"
	"  --recover 'CMD {}'     the recovery check; CMD must hold {}\n"
	"  --crash-points N       examine N points (1..64, default 64) chosen\n"
	"                         uniformly over the run; all when there are <= N\n"
	"  --seed S               the choice of points and reorders (default 0)\n"
	"  --reorder              also images where lines (CACHE_LINE) or pages\n"
	"                         (PAGE) written but not yet durable at the point were\n"
	"                         written back early: every subset when <= 4 are\n"
	"                         pending, else 8 seeded random ones\n"
	"  --keep DIR             keep the images CMD failed on in DIR (created)\n"
	"  --recover-timeout S    kill CMD after S seconds (default 10)\n"
	"\n"
	"Exit status: 0 no findings, 1 findings (failed crash states included), 2\n"
	"usage or setup error (no PROGRAM, PROGRAM cannot be run, bad option), or\n"
	"PROGRAM killed by a signal with no findings (its exit check never ran).\n"
	"PROGRAM's own exit status is reported, not passed on. Details:\n"
	"docs/CHECK.md.\n";

struct options {
	bool json = false;
	std::vector<std::string> ignores;
	bool recover = false;
	recover::options rec;
	unsigned crash_points = check::crash::max_points;
	unsigned long long seed = 0;
	bool reorder = false;
	bool crash_option = false;	// one of the options --recover qualifies
	std::vector<char *> program;	// argv of PROGRAM, nullptr-terminated
};

// The value of option `name` at argv[i] ("--name V" or "--name=V").
bool option_value(int argc, char **argv, int &i, std::string_view name, std::string &v)
{
	std::string_view a = argv[i];
	if (a == name) {
		if (i + 1 >= argc)
			throw usage_error{std::string(name) + " needs a value"};
		v = argv[++i];
		return true;
	}
	if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=') {
		v = std::string(a.substr(name.size() + 1));
		return true;
	}
	return false;
}

unsigned long long whole_number(const std::string &v, std::string_view name)
{
	char *end = nullptr;
	errno = 0;
	unsigned long long n = std::strtoull(v.c_str(), &end, 10);
	if (v.empty() || v[0] == '-' || *end != '\0' || errno != 0)
		throw usage_error{std::string(name) + " '" + v + "': not a whole number"};
	return n;
}

options parse(int argc, char **argv)
{
	options o;
	int i = 2;
	for (; i < argc; ++i) {
		std::string_view a = argv[i];
		std::string v;
		if (a == "--") {
			++i;
			break;
		}
		if (a == "--json") {
			o.json = true;
		} else if (option_value(argc, argv, i, "--recover", v)) {
			if (v.find("{}") == std::string::npos)
				throw usage_error{"--recover '" + v + "': CMD must hold {} (the crash image's path)"};
			o.recover = true;
			o.rec.cmd = v;
		} else if (option_value(argc, argv, i, "--crash-points", v)) {
			unsigned long long n = whole_number(v, "--crash-points");
			if (n < 1 || n > check::crash::max_points)
				throw usage_error{"--crash-points " + v + ": not 1.." +
					std::to_string(check::crash::max_points)};
			o.crash_points = static_cast<unsigned>(n);
			o.crash_option = true;
		} else if (option_value(argc, argv, i, "--seed", v)) {
			o.seed = whole_number(v, "--seed");
			o.crash_option = true;
		} else if (a == "--reorder") {
			o.reorder = true;
			o.crash_option = true;
		} else if (option_value(argc, argv, i, "--keep", v)) {
			if (v.empty())
				throw usage_error{"--keep needs a directory"};
			o.rec.keep_dir = v;
			o.crash_option = true;
		} else if (option_value(argc, argv, i, "--recover-timeout", v)) {
			char *end = nullptr;
			double t = std::strtod(v.c_str(), &end);
			if (v.empty() || *end != '\0' || !(t > 0) || t > 1e6)
				throw usage_error{"--recover-timeout '" + v + "': not a number of seconds > 0"};
			o.rec.timeout = t;
			o.crash_option = true;
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
	if (o.crash_option && !o.recover)
		throw usage_error{"--crash-points, --seed, --reorder, --keep and --recover-timeout need --recover"};
	o.rec.stdout_to_stderr = o.json;
	o.program.push_back(nullptr);
	return o;
}

struct run_result {
	bool exited = false;
	int code = 0;	// exit status, or the signal
};

// fork + execvp with the check environment; the child reports execvp's
// errno through a close-on-exec pipe. -1 and `err` set when it could not run.
int run(const options &o, const std::string &report, const std::string &crash_dir, run_result &res,
	std::string &err)
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
		if (!crash_dir.empty()) {
			::setenv("PMEM2_CHECK_CRASH_DIR", crash_dir.c_str(), 1);
			::setenv("PMEM2_CHECK_CRASH_POINTS", std::to_string(o.crash_points).c_str(), 1);
			::setenv("PMEM2_CHECK_CRASH_SEED", std::to_string(o.seed).c_str(), 1);
			::setenv("PMEM2_CHECK_CRASH_REORDER", o.reorder ? "1" : "0", 1);
		} else {
			::unsetenv("PMEM2_CHECK_CRASH_DIR");
		}
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
	switch (f.kind) {
	case check::finding_kind::never_durable: return "never made durable: " + where;
	case check::finding_kind::not_durable_at_return:
		return "not durable at return of " + f.call + ": " + where;
	case check::finding_kind::not_durable_at_completion:
		return "not durable at completion of " + f.call + ": " + where;
	case check::finding_kind::incomplete_future:
		return "future of " + f.call + " never completed: " + where;
	}
	return where;
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
	std::string tmp = tmpdir && *tmpdir ? tmpdir : "/tmp";
	// mkstemp and mkdtemp replace the template's last six characters.
	const std::string unique(6, 'X');
	std::string report = tmp + "/pmem2-check-" + unique;
	int fd = ::mkstemp(report.data());
	if (fd < 0) {
		std::fprintf(stderr, "pmem2 check: cannot create the report file %s: %s\n", report.c_str(),
			std::strerror(errno));
		return exit_usage;
	}
	::close(fd);
	std::string crash_dir;
	if (o.recover) {
		if (!o.rec.keep_dir.empty() && ::mkdir(o.rec.keep_dir.c_str(), 0777) != 0 && errno != EEXIST) {
			std::fprintf(stderr, "pmem2 check: --keep %s: %s\n", o.rec.keep_dir.c_str(), std::strerror(errno));
			::unlink(report.c_str());
			return exit_usage;
		}
		crash_dir = tmp + "/pmem2-crash-" + unique;
		if (::mkdtemp(crash_dir.data()) == nullptr) {
			std::fprintf(stderr, "pmem2 check: cannot create a directory for crash images in %s: %s\n",
				tmp.c_str(), std::strerror(errno));
			::unlink(report.c_str());
			return exit_usage;
		}
	}

	run_result res;
	std::string err;
	int r = run(o, report, crash_dir, res, err);
	std::vector<check::finding> found;
	std::vector<check::crash::state> states;
	std::set<std::uint64_t> dropped;
	std::uint64_t total_points = 0;
	bool points_known = false;
	std::vector<std::string> bad_lines;
	{
		std::ifstream in(report);
		std::string line;
		while (std::getline(in, line)) {
			check::finding f;
			check::crash::state st;
			std::uint64_t n = 0;
			if (check::parse(line, f))
				found.push_back(f);
			else if (check::crash::parse(line, st))
				states.push_back(std::move(st));
			else if (check::crash::parse_drop(line, n))
				dropped.insert(n);
			else if (check::crash::parse_points(line, n))
				total_points += n, points_known = true;
			else if (!line.empty())
				bad_lines.push_back(line);
		}
	}
	::unlink(report.c_str());
	if (r != 0) {
		if (!crash_dir.empty())
			recover::remove_dir(crash_dir);
		std::fprintf(stderr, "pmem2 check: %s\n", err.c_str());
		if (o.json) {
			json j;
			j.begin_object().field("status", "error").field("error", err).end_object();
			std::printf("%s\n", j.str().c_str());
		}
		return exit_usage;
	}

	// The states of the points kept to the end, in order of point.
	std::erase_if(states, [&](const check::crash::state &st) { return dropped.count(st.index) != 0; });
	std::stable_sort(states.begin(), states.end(),
		[](const auto &a, const auto &b) { return a.index < b.index; });
	std::vector<recover::failure> failures;
	if (o.recover)
		failures = recover::examine(states, o.rec, !o.json && ::isatty(2));
	if (!crash_dir.empty())
		recover::remove_dir(crash_dir);
	std::set<std::uint64_t> examined;
	for (const auto &st : states)
		examined.insert(st.index);
	std::string points_list;
	for (std::uint64_t i : examined)
		points_list += (points_list.empty() ? "" : ",") + std::to_string(i);

	const bool any = !found.empty() || !failures.empty();
	const char *sig = res.exited ? nullptr : ::strsignal(res.code);
	int rc = any ? exit_failure : res.exited ? exit_ok : exit_usage;
	if (o.json) {
		json j;
		j.begin_object()
			.field("status", any ? "findings" : res.exited ? "clean" : "incomplete")
			.field("program", o.program[0]);
		if (res.exited)
			j.field("exit_code", res.code).null_field("signal");
		else
			j.null_field("exit_code").field("signal", res.code);
		j.begin_array("findings");
		for (const check::finding &f : found) {
			j.begin_object().field("kind", check::kind_name(f.kind));
			if (check::has_call(f.kind))
				j.field("call", f.call);
			j.field("path", f.path)
				.field("offset", static_cast<unsigned long long>(f.offset))
				.field("length", static_cast<unsigned long long>(f.length))
				.end_object();
		}
		j.end_array();
		if (o.recover) {
			j.begin_object("crash_states");
			if (points_known)
				j.field("points", static_cast<unsigned long long>(total_points));
			else
				j.null_field("points");
			j.begin_array("examined");
			for (std::uint64_t i : examined)
				j.begin_object().field("point", static_cast<unsigned long long>(i)).end_object();
			j.end_array().field("images", states.size()).begin_array("failures");
			for (const recover::failure &f : failures) {
				j.begin_object()
					.field("point", static_cast<unsigned long long>(f.state.index))
					.field("call", f.state.call)
					.field("thread", static_cast<unsigned long long>(f.state.thread))
					.field("choice", f.state.choice)
					.field("file", f.state.file)
					.field("result", recover::describe(f.result, o.rec.timeout));
				if (f.kept.empty())
					j.null_field("kept");
				else
					j.field("kept", f.kept);
				j.end_object();
			}
			j.end_array().end_object();
		}
		j.end_object();
		std::printf("%s\n", j.str().c_str());
	} else {
		for (const check::finding &f : found)
			std::printf("%s\n", describe(f).c_str());
		for (const recover::failure &f : failures) {
			std::printf("crash state fails recovery: point %llu (%s, thread %llu), %s image of %s: CMD %s",
				static_cast<unsigned long long>(f.state.index), f.state.call.c_str(),
				static_cast<unsigned long long>(f.state.thread), f.state.choice.c_str(),
				f.state.file.c_str(), recover::describe(f.result, o.rec.timeout).c_str());
			if (!f.kept.empty())
				std::printf("; kept %s", f.kept.c_str());
			std::printf("\n");
		}
		if (!res.exited)
			std::printf("%s was killed by signal %d (%s): maps still mapped were not checked\n",
				o.program[0], res.code, sig ? sig : "?");
		else if (res.code != 0)
			std::printf("%s exited with status %d\n", o.program[0], res.code);
		if (o.recover)
			std::printf("crash states: %s points in the run, %zu examined [%s], %zu images, %zu failed\n",
				points_known ? std::to_string(total_points).c_str() : "unknown", examined.size(),
				points_list.c_str(), states.size(), failures.size());
		std::printf("%zu finding%s\n", found.size() + failures.size(),
			found.size() + failures.size() == 1 ? "" : "s");
	}
	for (const std::string &l : bad_lines)
		std::fprintf(stderr, "pmem2 check: unreadable report line: %s\n", l.c_str());
	return rc;
}

} // namespace pmem2::tool
