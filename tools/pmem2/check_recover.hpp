// pmem2 check --recover: running the recovery command on a crash image, with
// a timeout (docs/CHECK.md, "Crash states").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "check/crash.hpp"

namespace pmem2::tool::recover {

struct outcome {
	enum kind_t { passed, failed, signaled, timed_out, error } kind = passed;
	int code = 0;		// failed: exit status; signaled: the signal
	std::string message;	// error: why CMD could not be run
};

// CMD with every "{}" replaced by `path`, single-quoted for /bin/sh.
std::string substitute(const std::string &cmd, const std::string &path);
// /bin/sh -c CMD (substituted) in its own process group, stdin from
// /dev/null, stdout onto stderr when `stdout_to_stderr`; the group is killed
// (SIGKILL) after `timeout` seconds.
outcome run(const std::string &cmd, const std::string &image, double timeout, bool stdout_to_stderr);
// "exited with status 1", "was killed by signal 11 (Segmentation fault)",
// "timed out after 2 s (killed)".
std::string describe(const outcome &o, double timeout);
// Moves (or copies) `image` into `dir`; its new path in `kept`.
bool keep(const std::string &image, const std::string &dir, std::string &kept, std::string &err);
// Removes `dir` and the files in it (the crash images left).
void remove_dir(const std::string &dir);

// What the --recover options ask.
struct options {
	std::string cmd;		// holds "{}"
	double timeout = 10;		// --recover-timeout SECONDS
	std::string keep_dir;		// --keep DIR; empty: images deleted
	bool stdout_to_stderr = false;	// --json
};

struct failure {
	check::crash::state state;
	outcome result;
	std::string kept;	// the image's path in --keep DIR, or empty
};

// CMD on every crash state, in order of point; failures (and images kept).
// `progress` prints "crash state i/n" on stderr (a terminal).
std::vector<failure> examine(const std::vector<check::crash::state> &states, const options &o, bool progress);

} // namespace pmem2::tool::recover
