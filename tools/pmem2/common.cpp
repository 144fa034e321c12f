// The tool's shared pieces (tool.hpp): size and count parsing, human
// sizes, the JSON writer with its UTF-8 repair, opening a file that can be
// mapped, and the failure exit.
#include "tool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <libpmem2/base.h>

namespace pmem2::tool {

std::size_t parse_size(std::string_view option, std::string_view text)
{
	std::string s(text);
	if (s.empty() || s[0] == '-')
		throw usage_error{std::string(option) + ": expected a size, got '" + s + "'"};
	char *end = nullptr;
	errno = 0;
	unsigned long long v = std::strtoull(s.c_str(), &end, 10);
	if (end == s.c_str() || errno != 0)
		throw usage_error{std::string(option) + ": expected a size, got '" + s + "'"};
	std::string suffix(end);
	unsigned shift = 0;
	if (suffix == "" || suffix == "B")
		shift = 0;
	else if (suffix == "K" || suffix == "k" || suffix == "KiB")
		shift = 10;
	else if (suffix == "M" || suffix == "m" || suffix == "MiB")
		shift = 20;
	else if (suffix == "G" || suffix == "g" || suffix == "GiB")
		shift = 30;
	else
		throw usage_error{std::string(option) + ": unknown size suffix '" + suffix + "'"};
	if (shift != 0 && v > (~0ULL >> shift))
		throw usage_error{std::string(option) + ": size too large"};
	return static_cast<std::size_t>(v << shift);
}

std::size_t parse_count(std::string_view option, std::string_view text, std::size_t min, std::size_t max)
{
	std::string s(text);
	char *end = nullptr;
	errno = 0;
	unsigned long long v = std::strtoull(s.c_str(), &end, 10);
	if (s.empty() || s[0] == '-' || *end != '\0' || errno != 0 || v < min || v > max)
		throw usage_error{std::string(option) + ": expected a number from " + std::to_string(min) +
			" to " + std::to_string(max) + ", got '" + s + "'"};
	return static_cast<std::size_t>(v);
}

std::string human_size(double bytes)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		++u;
	}
	char buf[64];
	if (u == 0)
		std::snprintf(buf, sizeof buf, "%.0f %s", bytes, units[u]);
	else
		std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
	return buf;
}

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (true), or of the
// maximal subpart of one that starts there, at least 1 (false): Unicode's
// "substitution of maximal subparts", as most decoders replace.
bool utf8_at(std::string_view s, std::size_t i, std::size_t &len)
{
	auto c = static_cast<unsigned char>(s[i]);
	std::size_t need;
	unsigned char lo = 0x80, hi = 0xbf; // the range of the first continuation byte
	if (c < 0x80) {
		len = 1;
		return true;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; // no overlong forms
		else if (c == 0xed)
			hi = 0x9f; // no surrogates
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; // nothing above U+10FFFF
	} else {
		len = 1; // a continuation byte, C0, C1, F5..FF
		return false;
	}
	std::size_t k = 1;
	for (; k <= need && i + k < s.size(); ++k) {
		auto x = static_cast<unsigned char>(s[i + k]);
		if (x < lo || x > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	len = k;
	return k == need + 1;
}

} // namespace

std::string json::quote(std::string_view s)
{
	std::string o = "\"";
	for (std::size_t i = 0; i < s.size();) {
		std::size_t len;
		if (!utf8_at(s, i, len)) {
			o += "\xef\xbf\xbd"; // U+FFFD REPLACEMENT CHARACTER
		} else if (len > 1) {
			o.append(s, i, len);
		} else {
			auto c = static_cast<unsigned char>(s[i]);
			switch (c) {
			case '"': o += "\\\""; break;
			case '\\': o += "\\\\"; break;
			case '\n': o += "\\n"; break;
			case '\t': o += "\\t"; break;
			case '\r': o += "\\r"; break;
			default:
				if (c < 0x20) {
					char b[8];
					std::snprintf(b, sizeof b, "\\u%04x", unsigned(c));
					o += b;
				} else {
					o += char(c);
				}
			}
		}
		i += len;
	}
	return o + "\"";
}

bool is_devdax(const struct stat &st)
{
	if (!S_ISCHR(st.st_mode))
		return false;
	char link[256];
	std::snprintf(link, sizeof link, "/sys/dev/char/%u:%u/subsystem", major(st.st_rdev), minor(st.st_rdev));
	char target[512];
	ssize_t n = ::readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	std::string t(target);
	return t.size() >= 4 && t.compare(t.size() - 4, 4, "/dax") == 0;
}

namespace {

// What `st` is when it is neither a regular file nor a device DAX.
const char *unmappable_kind(const struct stat &st)
{
	if (S_ISREG(st.st_mode) || is_devdax(st))
		return nullptr;
	if (S_ISDIR(st.st_mode))
		return "a directory";
	if (S_ISFIFO(st.st_mode))
		return "a FIFO";
	if (S_ISSOCK(st.st_mode))
		return "a socket";
	if (S_ISBLK(st.st_mode))
		return "a block device";
	if (S_ISCHR(st.st_mode))
		return "a character device that is not a device DAX";
	return "not a file";
}

} // namespace

int open_mappable(const std::string &path, int flags, std::string_view role, struct stat &st, std::string &err)
{
	auto named = [&] { return std::string(role) + "'" + path + "'"; };
	auto sys_error = [&](int e) {
		err = "cannot open " + named() + ": " + std::strerror(e);
		return -e;
	};
	auto check = [&]() -> int {
		if (const char *kind = unmappable_kind(st)) {
			err = named() + " cannot be mapped: " + kind + " (only regular files and device DAX can be)";
			return PMEM2_E_INVALID_FILE_TYPE;
		}
		return 0;
	};
	// First by name, so that nothing else is ever opened (opening a FIFO
	// waits for its other end; opening a device may do things).
	if (::stat(path.c_str(), &st) == 0) {
		if (int r = check())
			return r;
	} else if (errno != ENOENT || !(flags & O_CREAT)) {
		return sys_error(errno);
	}
	// Then the file actually opened, in case the name changed in between.
	int fd = ::open(path.c_str(), flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return sys_error(errno);
	int fl;
	if (::fstat(fd, &st) != 0 || (fl = ::fcntl(fd, F_GETFL)) < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		int e = errno;
		::close(fd);
		return sys_error(e);
	}
	if (int r = check()) {
		::close(fd);
		return r;
	}
	return fd;
}

void json::sep()
{
	if (first_.empty())
		return;
	if (!first_.back())
		out_ += ",";
	first_.back() = false;
}

void json::key(std::string_view k)
{
	sep();
	if (!k.empty()) {
		out_ += quote(k);
		out_ += ":";
	}
}

json &json::begin_object(std::string_view k)
{
	key(k);
	out_ += "{";
	first_.push_back(true);
	return *this;
}

json &json::end_object()
{
	out_ += "}";
	first_.pop_back();
	return *this;
}

json &json::begin_array(std::string_view k)
{
	key(k);
	out_ += "[";
	first_.push_back(true);
	return *this;
}

json &json::end_array()
{
	out_ += "]";
	first_.pop_back();
	return *this;
}

json &json::field(std::string_view k, std::string_view v)
{
	key(k);
	out_ += quote(v);
	return *this;
}

json &json::field(std::string_view k, bool v)
{
	key(k);
	out_ += v ? "true" : "false";
	return *this;
}

json &json::field(std::string_view k, double v)
{
	key(k);
	if (!std::isfinite(v)) {
		out_ += "null";
		return *this;
	}
	char b[64];
	std::snprintf(b, sizeof b, "%.6g", v);
	out_ += b;
	return *this;
}

json &json::field(std::string_view k, long long v)
{
	key(k);
	out_ += std::to_string(v);
	return *this;
}

json &json::field(std::string_view k, unsigned long long v)
{
	key(k);
	out_ += std::to_string(v);
	return *this;
}

json &json::null_field(std::string_view k)
{
	key(k);
	out_ += "null";
	return *this;
}

std::string_view args::value(std::string_view opt, std::string_view arg)
{
	auto eq = arg.find('=');
	if (eq != std::string_view::npos)
		return arg.substr(eq + 1);
	if (done())
		throw usage_error{std::string(opt) + " needs a value"};
	return next();
}

int fail(std::string_view cmd, bool as_json, std::string_view message, int code)
{
	std::fprintf(stderr, "pmem2 %.*s: %.*s\n", int(cmd.size()), cmd.data(),
		int(message.size()), message.data());
	if (as_json) {
		json j;
		j.begin_object().field("status", "error").field("error", message).field("code", code).end_object();
		std::printf("%s\n", j.str().c_str());
	}
	return exit_failure;
}

} // namespace pmem2::tool
