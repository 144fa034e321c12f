#include "dsa/work_queue.hpp"

#include "dsa/accel_config.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <cpuid.h>

namespace pmem2::dsa {
namespace {

std::string under(std::string_view root, std::string_view abs_path)
{
	return std::string(root) + std::string(abs_path);
}

// The first line of a sysfs attribute, without its newline; "" if absent.
std::string attr(const std::string &dir, const char *name)
{
	std::ifstream in(dir + "/" + name);
	std::string line;
	if (!in || !std::getline(in, line))
		return {};
	return line;
}

std::uint64_t number(const std::string &text, std::uint64_t fallback)
{
	if (text.empty())
		return fallback;
	errno = 0;
	char *end = nullptr;
	unsigned long long v = std::strtoull(text.c_str(), &end, 0);
	if (errno != 0 || end == text.c_str() || *end != '\0')
		return fallback;
	return v;
}

wq_mode mode_of(const std::string &text)
{
	if (text == "dedicated")
		return wq_mode::dedicated;
	if (text == "shared")
		return wq_mode::shared;
	return wq_mode::unknown;
}

// "wq<D>.<Q>" -> D, or -1.
long device_number(const std::string &name)
{
	if (name.rfind("wq", 0) != 0)
		return -1;
	char *end = nullptr;
	long d = std::strtol(name.c_str() + 2, &end, 10);
	if (end == name.c_str() + 2 || *end != '.' || d < 0)
		return -1;
	char *qend = nullptr;
	std::strtol(end + 1, &qend, 10);
	return qend == end + 1 || *qend != '\0' ? -1 : d;
}

} // namespace

cpu_features this_cpu() noexcept
{
	cpu_features f;
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		f.movdir64b = (c >> 28) & 1;
		f.enqcmd = (c >> 29) & 1;
		f.waitpkg = (c >> 5) & 1;
	}
	return f;
}

std::vector<work_queue> scan(std::string_view root)
{
	std::vector<work_queue> out;
	const std::string bus = under(root, "/sys/bus/dsa/devices");
	DIR *dir = opendir(bus.c_str());
	if (dir == nullptr)
		return out;
	while (dirent *e = readdir(dir)) {
		const std::string name = e->d_name;
		const long d = device_number(name);
		if (d < 0)
			continue;
		work_queue q;
		q.name = name;
		q.device = "dsa" + std::to_string(d);
		// A queue of another device on the bus (iaxN) is not DSA's.
		if (access((bus + "/" + q.device).c_str(), F_OK) != 0)
			continue;
		const std::string wq = bus + "/" + name;
		q.dev_path = under(root, "/dev/dsa/" + name);
		q.mode = mode_of(attr(wq, "mode"));
		q.type = attr(wq, "type");
		q.state = attr(wq, "state");
		q.size = static_cast<unsigned>(number(attr(wq, "size"), 0));
		q.max_transfer_size = number(attr(wq, "max_transfer_size"), 0);
		q.max_batch_size = static_cast<unsigned>(number(attr(wq, "max_batch_size"), 0));
		const std::string node = attr(bus + "/" + q.device, "numa_node");
		q.numa_node = node.empty() ? -1 : std::atoi(node.c_str());
		out.push_back(std::move(q));
	}
	closedir(dir);
	std::sort(out.begin(), out.end(),
		[](const work_queue &a, const work_queue &b) { return a.name < b.name; });
	return out;
}

std::vector<work_queue> discover(std::string_view root, std::string *source)
{
	if (root.empty()) {
		std::string why;
		if (auto qs = accel_config_scan(why)) {
			if (source != nullptr)
				*source = "libaccel-config";
			return std::move(*qs);
		}
	}
	if (source != nullptr)
		*source = "sysfs";
	return scan(root);
}

std::string unusable_reason(const work_queue &q, const cpu_features &cpu)
{
	if (q.state != "enabled")
		return q.name + " is not enabled (state \"" + q.state + "\")";
	if (q.type != "user")
		return q.name + " is not a user queue (type \"" + q.type + "\")";
	if (q.size == 0)
		return q.name + " has no entries";
	if (q.mode == wq_mode::unknown)
		return q.name + " has an unknown mode";
	if (q.mode == wq_mode::dedicated && !cpu.movdir64b)
		return q.name + " is dedicated and this CPU has no MOVDIR64B";
	if (q.mode == wq_mode::shared && !cpu.enqcmd)
		return q.name + " is shared and this CPU has no ENQCMD";
	if (access(q.dev_path.c_str(), W_OK) != 0)
		return q.name + ": " + q.dev_path + ": " + std::strerror(errno);
	return {};
}

std::vector<const work_queue *> take_usable(const std::vector<work_queue> &queues,
	const cpu_features &cpu, std::string &why, const take_fn &take, std::size_t most)
{
	std::vector<const work_queue *> taken;
	why.clear();
	if (queues.empty()) {
		why = "no DSA work queue (/sys/bus/dsa/devices lists none)";
		return taken;
	}
	for (const work_queue &q : queues) {
		if (taken.size() == most)
			break;
		std::string r = unusable_reason(q, cpu);
		if (r.empty()) {
			if (!take || take(q, r)) {
				taken.push_back(&q);
				continue;
			}
			r = q.name + ": " + r;
		}
		why += (why.empty() ? "" : "; ") + r;
	}
	return taken;
}

} // namespace pmem2::dsa
