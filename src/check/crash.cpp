// Crash images of the check mode (crash.hpp).
#include "check/crash.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "check/checker.hpp"
#include "check/report.hpp"
#include "os/os.hpp"

namespace pmem2::check::crash {

namespace {

bool number(std::string_view t, std::uint64_t &v)
{
	if (t.empty())
		return false;
	auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
	return ec == std::errc() && ptr == t.data() + t.size();
}

std::vector<std::string_view> fields(std::string_view s)
{
	std::vector<std::string_view> out;
	while (!s.empty()) {
		std::size_t sp = s.find(' ');
		out.push_back(s.substr(0, sp));
		if (sp == std::string_view::npos)
			break;
		s.remove_prefix(sp + 1);
	}
	return out;
}

bool write_file(const std::string &path, const std::vector<unsigned char> &bytes)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	const unsigned char *p = bytes.data();
	std::size_t left = bytes.size();
	while (left > 0) {
		ssize_t w = ::write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			::close(fd);
			return false;
		}
		p += w;
		left -= static_cast<std::size_t>(w);
	}
	return ::close(fd) == 0;
}

// The file's bytes on disk: empty when it cannot be read, or when `path`
// no longer names the file of identity (dev, ino) (deleted, or replaced by
// another; ino 0: any file).
std::vector<unsigned char> read_file(const std::string &path, std::uint64_t dev, std::uint64_t ino)
{
	std::vector<unsigned char> out;
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return out;
	struct stat st {};
	bool same = ::fstat(fd, &st) == 0 &&
		(ino == 0 || (static_cast<std::uint64_t>(st.st_dev) == dev && static_cast<std::uint64_t>(st.st_ino) == ino));
	if (same && st.st_size > 0) {
		out.resize(static_cast<std::size_t>(st.st_size));
		std::size_t got = 0;
		while (got < out.size()) {
			ssize_t r = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += static_cast<std::size_t>(r);
		}
		out.resize(got);
	}
	::close(fd);
	return out;
}

// A unit written but not durable: its offset in the file, its length, and
// where its bytes are in memory.
struct unit {
	std::uint64_t file_off;
	std::size_t len;
	const unsigned char *live;
};

} // namespace

bool from_env(settings &out, std::string &err)
{
	const char *dir = os::getenv("PMEM2_CHECK_CRASH_DIR");
	if (dir == nullptr || *dir == '\0')
		return false;
	out.dir = dir;
	if (const char *p = os::getenv("PMEM2_CHECK_CRASH_POINTS")) {
		std::uint64_t n = 0;
		if (number(p, n) && n >= 1 && n <= max_points)
			out.points = static_cast<unsigned>(n);
		else
			err = "PMEM2_CHECK_CRASH_POINTS: not 1.." + std::to_string(max_points);
	}
	if (const char *p = os::getenv("PMEM2_CHECK_CRASH_SEED")) {
		if (!number(p, out.seed))
			err = "PMEM2_CHECK_CRASH_SEED: not a number";
	}
	if (const char *p = os::getenv("PMEM2_CHECK_CRASH_REORDER"))
		out.reorder = std::strcmp(p, "1") == 0;
	return true;
}

std::uint64_t mix(std::uint64_t seed, std::uint64_t a, std::uint64_t b) noexcept
{
	// splitmix64 over the three
	std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (a + 1) + 0xbf58476d1ce4e5b9ULL * (b + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int reservoir::offer(std::uint64_t index) const noexcept
{
	if (index < slots_)
		return static_cast<int>(index);
	std::uint64_t j = mix(seed_, index, 0) % (index + 1);
	return j < slots_ ? static_cast<int>(j) : -1;
}

std::vector<std::vector<std::size_t>> subsets(std::size_t units, std::uint64_t seed, std::uint64_t point)
{
	std::vector<std::vector<std::size_t>> out;
	if (units == 0)
		return out;
	if (units <= all_subsets_units) {
		for (unsigned mask = 1; mask < (1u << units); ++mask) {
			std::vector<std::size_t> s;
			for (std::size_t i = 0; i < units; ++i)
				if (mask & (1u << i))
					s.push_back(i);
			out.push_back(std::move(s));
		}
		return out;
	}
	for (unsigned k = 0; k < random_subsets; ++k) {
		std::vector<std::size_t> s;
		for (std::size_t i = 0; i < units; ++i)
			if (mix(seed, point, (std::uint64_t(k) << 32) | i) & 1)
				s.push_back(i);
		if (s.empty())
			s.push_back(mix(seed, point, k) % units);
		out.push_back(std::move(s));
	}
	return out;
}

std::string format(const state &s)
{
	return "crash-point " + std::to_string(s.index) + " " + s.call + " " + std::to_string(s.thread) + " " +
		s.choice + " " + encode_path(s.image) + " " + encode_path(s.file);
}

bool parse(std::string_view line, state &out)
{
	auto f = fields(line);
	if (f.size() != 7 || f[0] != "crash-point")
		return false;
	state s;
	if (!number(f[1], s.index) || !number(f[3], s.thread) || f[2].empty() || f[4].empty())
		return false;
	s.call = f[2];
	s.choice = f[4];
	if (!decode_path(f[5], s.image) || !decode_path(f[6], s.file))
		return false;
	out = std::move(s);
	return true;
}

bool parse_drop(std::string_view line, std::uint64_t &index)
{
	auto f = fields(line);
	return f.size() == 2 && f[0] == "crash-drop" && number(f[1], index);
}

bool parse_points(std::string_view line, std::uint64_t &total)
{
	auto f = fields(line);
	return f.size() == 2 && f[0] == "points" && number(f[1], total);
}

struct recorder::impl {
	settings cfg;
	std::string report;
	std::mutex m;
	std::uint64_t count = 0;
	reservoir pick;
	pid_t owner;
	// Per slot: the point kept there and its images.
	struct kept {
		std::uint64_t index;
		std::vector<std::string> images;
	};
	std::vector<kept> slots;

	impl(settings s, std::string r)
		: cfg(std::move(s)), report(std::move(r)), pick(cfg.points, cfg.seed), owner(::getpid())
	{
	}

	void image(const std::string &name, const std::vector<unsigned char> &bytes, state &st, kept &k)
	{
		st.image = cfg.dir + "/" + name;
		if (!write_file(st.image, bytes)) {
			std::fprintf(stderr, "pmem2 check: cannot write the crash image %s: %s\n", st.image.c_str(),
				std::strerror(errno));
			::unlink(st.image.c_str());
			return;
		}
		k.images.push_back(st.image);
		write_line(report, format(st));
	}

	void dump(const checker &c, const std::vector<mapped> &maps, const char *call, std::uint64_t idx, kept &k)
	{
		std::map<std::string, std::vector<const mapped *>> files;
		for (const mapped &m : maps)
			files[m.path].push_back(&m);
		std::size_t j = 0;
		for (const auto &[path, ms] : files) {
			std::vector<unsigned char> durable = read_file(path, ms.front()->dev, ms.front()->ino);
			std::vector<unit> units;
			for (const mapped *m : ms) {
				std::vector<unsigned char> img = c.image(m->base);
				if (img.size() != m->len)
					continue;
				if (durable.size() < m->file_offset + m->len)
					durable.resize(m->file_offset + m->len);
				std::memcpy(durable.data() + m->file_offset, img.data(), m->len);
				std::size_t u = m->g == memops::granularity::cache_line ? 64
					: m->g == memops::granularity::page	 ? os::page_size()
										 : 0;
				if (!cfg.reorder || u == 0)
					continue;
				const auto *live = static_cast<const unsigned char *>(m->base);
				for (auto [off, len] : c.differences(m->base, m->len)) {
					for (std::size_t o = off / u * u; o < off + len; o += u) {
						if (!units.empty() && units.back().file_off == m->file_offset + o)
							continue;
						units.push_back({m->file_offset + o, std::min(u, m->len - o), live + o});
					}
				}
			}
			state st;
			st.index = idx;
			st.call = call;
			st.thread = static_cast<std::uint64_t>(::syscall(SYS_gettid));
			st.file = path;
			st.choice = "durable";
			std::string stem = "p" + std::to_string(idx) + "-f" + std::to_string(j);
			image(stem + ".img", durable, st, k);
			std::size_t r = 0;
			for (const auto &sub : subsets(units.size(), cfg.seed, idx)) {
				std::vector<unsigned char> early = durable;
				st.choice = "early=";
				for (std::size_t i : sub) {
					const unit &un = units[i];
					std::memcpy(early.data() + un.file_off, un.live, un.len);
					st.choice += (st.choice.size() > 6 ? "," : "") + std::to_string(un.file_off) + "+" +
						std::to_string(un.len);
				}
				image(stem + "-r" + std::to_string(++r) + ".img", early, st, k);
			}
			++j;
		}
	}
};

recorder::recorder(settings s, std::string report_path) : p_(std::make_unique<impl>(std::move(s), std::move(report_path)))
{
	p_->slots.resize(p_->cfg.points, impl::kept{~std::uint64_t(0), {}});
}

recorder::~recorder() = default;

void recorder::at_point(const checker &c, const std::vector<mapped> &maps, const char *call) noexcept
{
	try {
		std::lock_guard lk(p_->m);
		if (::getpid() != p_->owner)
			return;	// a forked child: its parent's images only
		std::uint64_t idx = p_->count++;
		int slot = p_->pick.offer(idx);
		if (slot < 0)
			return;
		impl::kept &k = p_->slots[static_cast<std::size_t>(slot)];
		if (!k.images.empty() || k.index != ~std::uint64_t(0)) {
			for (const std::string &img : k.images)
				::unlink(img.c_str());
			write_line(p_->report, "crash-drop " + std::to_string(k.index));
		}
		k = impl::kept{idx, {}};
		p_->dump(c, maps, call, idx, k);
	} catch (...) {
		std::fputs("pmem2 check: out of memory writing a crash image\n", stderr);
	}
}

void recorder::finish() noexcept
{
	try {
		std::lock_guard lk(p_->m);
		if (::getpid() == p_->owner)
			write_line(p_->report, "points " + std::to_string(p_->count));
	} catch (...) {
	}
}

std::uint64_t recorder::points() const noexcept
{
	std::lock_guard lk(p_->m);
	return p_->count;
}

} // namespace pmem2::check::crash
