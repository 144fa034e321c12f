// Findings of the check mode (process.hpp) and their one-line text form,
// shared by the library that writes them and `pmem2 check` that reads them
// (docs/CHECK.md, "Findings"):
//   never-durable <path> <offset> <length>
//   not-durable-at-return <call> <path> <offset> <length>
//   not-durable-at-completion <call> <path> <offset> <length>
//   incomplete-future <call> <path> <offset> <length>
// <path> is the mapped file (or "anonymous"), with bytes <= 0x20, '%' and
// 0x7f written as %XX; <offset> and <length> are decimal bytes of the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pmem2::check {

enum class finding_kind {
	never_durable,			// bytes that differ from the durable image at the end
	not_durable_at_return,		// a synchronous call's range, at its return
	not_durable_at_completion,	// a future's range, at its completion
	incomplete_future,		// a future of the map never completed
};

// The kind's word in report lines and JSON ("never-durable", ...), and
// whether its lines carry a call.
const char *kind_name(finding_kind k) noexcept;
bool has_call(finding_kind k) noexcept;

struct finding {
	finding_kind kind = finding_kind::never_durable;
	std::string call;	// every kind but never_durable: e.g. "pmem2_memcpy"
	std::string path;
	std::uint64_t offset = 0;
	std::uint64_t length = 0;
};

// A path as report lines write it: bytes <= 0x20, '%' and 0x7f as %XX
// (an empty path is "%00"), and back; decode_path fails on a bad escape.
std::string encode_path(std::string_view p);
bool decode_path(std::string_view p, std::string &out);

// The line of `f`, without its newline.
std::string format(const finding &f);
// Parses one line (no newline); false when it is not a finding.
bool parse(std::string_view line, finding &out);

// A range excluded from the findings: PATH:OFF:LEN, OFF and LEN decimal or
// 0x-prefixed hex, LEN > 0; PATH may hold ':' (the last two fields count).
struct ignore_range {
	std::string path;
	std::uint64_t offset = 0;
	std::uint64_t length = 0;
};
// One PATH:OFF:LEN; false (and `err` says why) when malformed.
bool parse_ignore(std::string_view text, ignore_range &out, std::string &err);
// A comma-separated list of them (PMEM2_CHECK_IGNORE); empty text is none.
bool parse_ignores(std::string_view text, std::vector<ignore_range> &out, std::string &err);

// The parts of [offset, offset+length) of `path` no ignore covers, in order.
std::vector<std::pair<std::uint64_t, std::uint64_t>> not_ignored(const std::string &path,
	std::uint64_t offset, std::uint64_t length, const std::vector<ignore_range> &ignores);

// Where findings go: appended to the file `report_path` (one write(2) per
// line, the file opened for each finding so several processes may share
// it), or to stderr when it is empty. Thread-safe.
void write_finding(const std::string &report_path, const finding &f) noexcept;
// Any report line (without its newline), the same way.
void write_line(const std::string &report_path, std::string_view line) noexcept;

} // namespace pmem2::check
