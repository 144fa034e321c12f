#include "tool.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

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

std::string json::quote(std::string_view s)
{
	std::string o = "\"";
	for (char c : s) {
		switch (c) {
		case '"': o += "\\\""; break;
		case '\\': o += "\\\\"; break;
		case '\n': o += "\\n"; break;
		case '\t': o += "\\t"; break;
		case '\r': o += "\\r"; break;
		default:
			if (static_cast<unsigned char>(c) < 0x20) {
				char b[8];
				std::snprintf(b, sizeof b, "\\u%04x", c);
				o += b;
			} else {
				o += c;
			}
		}
	}
	return o + "\"";
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
