// Findings and their text form (report.hpp).
#include "check/report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <mutex>

namespace pmem2::check {

std::string encode_path(std::string_view p)
{
	static const char hex[] = "0123456789ABCDEF";
	std::string out;
	for (unsigned char c : p) {
		if (c <= 0x20 || c == '%' || c == 0x7f) {
			out += '%';
			out += hex[c >> 4];
			out += hex[c & 15];
		} else {
			out += static_cast<char>(c);
		}
	}
	return out.empty() ? std::string("%00") : out;
}

namespace {

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

} // namespace

bool decode_path(std::string_view p, std::string &out)
{
	out.clear();
	for (std::size_t i = 0; i < p.size(); ++i) {
		if (p[i] != '%') {
			out += p[i];
			continue;
		}
		if (i + 2 >= p.size())
			return false;
		int h = hex_digit(p[i + 1]), l = hex_digit(p[i + 2]);
		if (h < 0 || l < 0)
			return false;
		char c = static_cast<char>(h * 16 + l);
		if (c != '\0')
			out += c;
		i += 2;
	}
	return true;
}

namespace {

// Decimal, or hex with 0x; the whole text.
bool parse_number(std::string_view t, std::uint64_t &v, bool allow_hex)
{
	int base = 10;
	if (allow_hex && t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
		t.remove_prefix(2);
		base = 16;
	}
	if (t.empty())
		return false;
	auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
	return ec == std::errc() && ptr == t.data() + t.size();
}

std::vector<std::string_view> split_spaces(std::string_view s)
{
	std::vector<std::string_view> out;
	std::size_t i = 0;
	while (i < s.size()) {
		std::size_t j = s.find(' ', i);
		if (j == std::string_view::npos)
			j = s.size();
		out.push_back(s.substr(i, j - i));
		i = j + 1;
	}
	return out;
}

std::mutex g_write_mutex;

} // namespace

namespace {
constexpr finding_kind all_kinds[] = {finding_kind::never_durable, finding_kind::not_durable_at_return,
	finding_kind::not_durable_at_completion, finding_kind::incomplete_future};
} // namespace

const char *kind_name(finding_kind k) noexcept
{
	switch (k) {
	case finding_kind::never_durable: return "never-durable";
	case finding_kind::not_durable_at_return: return "not-durable-at-return";
	case finding_kind::not_durable_at_completion: return "not-durable-at-completion";
	case finding_kind::incomplete_future: return "incomplete-future";
	}
	return "?";
}

bool has_call(finding_kind k) noexcept
{
	return k != finding_kind::never_durable;
}

std::string format(const finding &f)
{
	std::string s = std::string(kind_name(f.kind)) + " ";
	if (has_call(f.kind))
		s += encode_path(f.call) + " ";
	s += encode_path(f.path) + " " + std::to_string(f.offset) + " " + std::to_string(f.length);
	return s;
}

bool parse(std::string_view line, finding &out)
{
	std::vector<std::string_view> w = split_spaces(line);
	if (w.empty())
		return false;
	std::size_t i = 1;
	bool known = false;
	for (finding_kind k : all_kinds) {
		if (w[0] != kind_name(k))
			continue;
		known = true;
		out.kind = k;
		out.call.clear();
		if (has_call(k)) {
			if (w.size() != 5 || !decode_path(w[1], out.call))
				return false;
			i = 2;
		} else if (w.size() != 4) {
			return false;
		}
	}
	return known && decode_path(w[i], out.path) && parse_number(w[i + 1], out.offset, false) &&
		parse_number(w[i + 2], out.length, false);
}

bool parse_ignore(std::string_view text, ignore_range &out, std::string &err)
{
	std::size_t c2 = text.rfind(':');
	std::size_t c1 = c2 == std::string_view::npos || c2 == 0 ? std::string_view::npos : text.rfind(':', c2 - 1);
	if (c1 == std::string_view::npos || c1 == 0) {
		err = "'" + std::string(text) + "' is not FILE:OFFSET:LENGTH";
		return false;
	}
	out.path = std::string(text.substr(0, c1));
	if (!parse_number(text.substr(c1 + 1, c2 - c1 - 1), out.offset, true)) {
		err = "'" + std::string(text) + "': bad OFFSET (decimal or 0x hex bytes)";
		return false;
	}
	if (!parse_number(text.substr(c2 + 1), out.length, true) || out.length == 0) {
		err = "'" + std::string(text) + "': bad LENGTH (decimal or 0x hex bytes, not 0)";
		return false;
	}
	return true;
}

bool parse_ignores(std::string_view text, std::vector<ignore_range> &out, std::string &err)
{
	while (!text.empty()) {
		std::size_t comma = text.find(',');
		ignore_range r;
		if (!parse_ignore(text.substr(0, comma), r, err))
			return false;
		out.push_back(std::move(r));
		if (comma == std::string_view::npos)
			break;
		text.remove_prefix(comma + 1);
	}
	return true;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> not_ignored(const std::string &path,
	std::uint64_t offset, std::uint64_t length, const std::vector<ignore_range> &ignores)
{
	std::vector<std::pair<std::uint64_t, std::uint64_t>> parts{{offset, offset + length}};	// [lo, hi)
	for (const ignore_range &ig : ignores) {
		if (ig.path != path)
			continue;
		std::uint64_t ilo = ig.offset;
		std::uint64_t ihi = ig.offset + std::min(ig.length, UINT64_MAX - ig.offset);
		std::vector<std::pair<std::uint64_t, std::uint64_t>> next;
		for (auto [lo, hi] : parts) {
			if (ihi <= lo || ilo >= hi) {
				next.emplace_back(lo, hi);
				continue;
			}
			if (lo < ilo)
				next.emplace_back(lo, ilo);
			if (ihi < hi)
				next.emplace_back(ihi, hi);
		}
		parts = std::move(next);
	}
	for (auto &[lo, hi] : parts)
		hi -= lo;	// (offset, length)
	return parts;
}

void write_finding(const std::string &report_path, const finding &f) noexcept
{
	try {
		write_line(report_path, format(f));
	} catch (...) {
	}
}

void write_line(const std::string &report_path, std::string_view text) noexcept
{
	try {
		std::string line = std::string(text) + "\n";
		std::lock_guard lk(g_write_mutex);
		int fd = 2;
		if (!report_path.empty()) {
			fd = ::open(report_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
			if (fd < 0)
				fd = 2;
		}
		if (fd == 2)
			line = "pmem2 check: " + line;
		const char *p = line.data();
		std::size_t left = line.size();
		while (left > 0) {
			ssize_t w = ::write(fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p += w;
			left -= static_cast<std::size_t>(w);
		}
		if (fd != 2)
			::close(fd);
	} catch (...) {
		// Out of memory while reporting: nothing better to do.
	}
}

} // namespace pmem2::check
