// Shared pieces of the pmem2 command-line tool: argument parsing, sizes,
// output (text and JSON), exit codes.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace pmem2::tool {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Thrown for bad command lines; main() prints it and exits with 2.
struct usage_error {
	std::string message;
};

// Parses "4096", "64K", "4M", "1G" (powers of 1024); throws usage_error.
std::size_t parse_size(std::string_view option, std::string_view text);
std::size_t parse_count(std::string_view option, std::string_view text, std::size_t min, std::size_t max);
// "4.0 MiB", "512 B".
std::string human_size(double bytes);

// Minimal JSON writer: objects and arrays built as text. Every string goes
// through quote(), so the output is UTF-8 JSON whatever the input bytes:
// '"', '\\' and control characters are escaped, and bytes that are not
// valid UTF-8 become U+FFFD (one per maximal invalid subsequence).
class json {
public:
	json &begin_object(std::string_view key = {});
	json &end_object();
	json &begin_array(std::string_view key = {});
	json &end_array();
	json &field(std::string_view key, std::string_view value);
	json &field(std::string_view key, const char *value) { return field(key, std::string_view(value)); }
	json &field(std::string_view key, bool value);
	json &field(std::string_view key, double value);
	json &field(std::string_view key, long long value);
	json &field(std::string_view key, unsigned long long value);
	json &field(std::string_view key, int value) { return field(key, static_cast<long long>(value)); }
	json &field(std::string_view key, std::size_t value) { return field(key, static_cast<unsigned long long>(value)); }
	json &null_field(std::string_view key);
	const std::string &str() const { return out_; }
	static std::string quote(std::string_view s);

private:
	void sep();
	void key(std::string_view k);
	std::string out_;
	std::vector<bool> first_;
};

// Whether `st` is a device DAX: a character device whose sysfs subsystem is dax.
bool is_devdax(const struct stat &st);

// Opens PATH (open(2) `flags`, e.g. O_RDONLY or O_RDWR | O_CREAT) for
// mapping, accepting only a regular file or a device DAX. Never blocks: the
// type is checked with stat() before opening, the open is O_NONBLOCK (cleared
// afterwards) and the descriptor's own type is checked again with fstat().
// Returns the descriptor and fills `st`; or returns a negative code (-errno,
// PMEM2_E_INVALID_FILE_TYPE) and sets `err`, "cannot open ROLE'PATH': ..."
// or "ROLE'PATH' cannot be mapped: a FIFO (...)". `role` is "source ",
// "destination " or empty.
int open_mappable(const std::string &path, int flags, std::string_view role, struct stat &st, std::string &err);

// Iterates over argv after the command name.
class args {
public:
	args(int argc, char **argv, int start) : argv_(argv + start, argv + argc) {}
	bool done() const { return i_ >= argv_.size(); }
	std::string_view peek() const { return argv_[i_]; }
	std::string_view next() { return argv_[i_++]; }
	// The value of an option: "--opt=value" or "--opt value".
	std::string_view value(std::string_view opt, std::string_view arg);

private:
	std::vector<std::string_view> argv_;
	std::size_t i_ = 0;
};

int cmd_info(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_check(int argc, char **argv);

// Reports a failure: "pmem2 <cmd>: <message>" on stderr, and with --json
// {"status":"error",...} on stdout. Returns exit_failure.
int fail(std::string_view cmd, bool as_json, std::string_view message, int code = 0);

} // namespace pmem2::tool
