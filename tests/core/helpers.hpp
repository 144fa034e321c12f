// Shared helpers for the core tests: fake sysfs trees, environment
// overrides, map counting.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <libpmem2.h>

#include "common/errormsg.hpp"
#include "common/tmpfile.hpp"
#include "os/os.hpp"

namespace pmem2::test {

// A directory tree under /tmp used as the sysfs/dev root; restored on exit.
class fake_root {
public:
	fake_root()
	{
		std::string t = "/tmp/pmem2-sysfs-XXXXXX";
		if (::mkdtemp(t.data()) == nullptr)
			std::abort();
		root_ = t;
		os::set_sysfs_root(root_);
	}
	~fake_root()
	{
		os::set_sysfs_root("");
		std::string cmd = "rm -rf '" + root_ + "'";
		if (std::system(cmd.c_str()) != 0)
			std::abort();
	}
	const std::string &root() const { return root_; }
	std::string path(const std::string &rel) const { return root_ + rel; }

	void mkdirs(const std::string &rel) const
	{
		std::string p = root_;
		std::size_t i = 1;
		while (i <= rel.size()) {
			std::size_t j = rel.find('/', i);
			if (j == std::string::npos)
				j = rel.size();
			p = root_ + rel.substr(0, j);
			::mkdir(p.c_str(), 0755);
			i = j + 1;
		}
	}
	void write(const std::string &rel, const std::string &content) const
	{
		mkdirs(rel.substr(0, rel.rfind('/')));
		std::ofstream(path(rel), std::ios::binary) << content;
	}
	// Relative-to-root link: `rel` -> `target` (target as given).
	void symlink(const std::string &target, const std::string &rel) const
	{
		mkdirs(rel.substr(0, rel.rfind('/')));
		if (::symlink(target.c_str(), path(rel).c_str()) != 0)
			std::abort();
	}

private:
	std::string root_;
};

// Set (or unset with nullptr) an environment variable for a scope.
class scoped_env {
public:
	scoped_env(const char *name, const char *value) : name_(name)
	{
		const char *old = std::getenv(name);
		had_ = old != nullptr;
		if (had_)
			old_ = old;
		if (value)
			::setenv(name, value, 1);
		else
			::unsetenv(name);
	}
	~scoped_env()
	{
		if (had_)
			::setenv(name_.c_str(), old_.c_str(), 1);
		else
			::unsetenv(name_.c_str());
	}

private:
	std::string name_, old_;
	bool had_ = false;
};

// Address-space entries of the kinds pmem2_map_new creates: shared
// mappings, and the anonymous read-only placeholder it reserves address
// space with. (Counting every entry is unreliable: allocators, sanitizers
// included, map memory of their own at any time.)
inline std::size_t vma_count()
{
	std::ifstream f("/proc/self/maps");
	std::size_t n = 0;
	for (std::string l; std::getline(f, l);) {
		char perms[5] = {0};
		unsigned long inode = 0;
		char path[2] = {0};
		int fields = std::sscanf(l.c_str(), "%*s %4s %*s %*s %lu %1s", perms, &inode, path);
		bool anon = fields < 3 && inode == 0;
		if (perms[3] == 's' || (anon && std::string(perms) == "r--p"))
			++n;
	}
	return n;
}

// True when some mapping of this process is backed by `path`.
inline bool is_mapped(const std::string &path)
{
	std::ifstream f("/proc/self/maps");
	for (std::string l; std::getline(f, l);)
		if (l.find(path) != std::string::npos)
			return true;
	return false;
}

inline std::size_t page() { return os::page_size(); }

// Unambiguous with ::tmpfile from <cstdio>.
using scratch = pmem2::test::tmpfile;

// A config with a required granularity (PAGE unless told otherwise).
struct config {
	pmem2_config *cfg = nullptr;
	explicit config(pmem2_granularity g = PMEM2_GRANULARITY_PAGE)
	{
		if (pmem2_config_new(&cfg) != 0 ||
			pmem2_config_set_required_store_granularity(cfg, g) != 0)
			std::abort();
	}
	~config() { pmem2_config_delete(&cfg); }
	operator pmem2_config *() const { return cfg; }
};

struct source {
	pmem2_source *src = nullptr;
	explicit source(int fd)
	{
		if (pmem2_source_from_fd(&src, fd) != 0)
			std::abort();
	}
	explicit source(std::size_t anon_size, int)
	{
		if (pmem2_source_from_anon(&src, anon_size) != 0)
			std::abort();
	}
	~source() { pmem2_source_delete(&src); }
	operator pmem2_source *() const { return src; }
};

// Entry points as a C caller sees them: there the enums are plain ints, so
// out-of-range values are legal input (and not undefined in this C++ code).
inline int c_set_granularity(pmem2_config *cfg, int g)
{
	using fn = int (*)(pmem2_config *, int);
	return reinterpret_cast<fn>(&pmem2_config_set_required_store_granularity)(cfg, g);
}
inline int c_set_sharing(pmem2_config *cfg, int sh)
{
	using fn = int (*)(pmem2_config *, int);
	return reinterpret_cast<fn>(&pmem2_config_set_sharing)(cfg, sh);
}
inline int c_map_from_existing(pmem2_map **m, const pmem2_source *src, void *addr, std::size_t len, int g)
{
	using fn = int (*)(pmem2_map **, const pmem2_source *, void *, std::size_t, int);
	return reinterpret_cast<fn>(&pmem2_map_from_existing)(m, src, addr, len, g);
}

// Expect `call` to fail with `code` and leave a non-empty message.
#define EXPECT_PMEM2_ERR(call, code) \
	do { \
		pmem2::clear_errormsg(); \
		int r_ = (call); \
		EXPECT_EQ(r_, (code)) << #call << ": " << pmem2_errormsg(); \
		EXPECT_STRNE(pmem2_errormsg(), "") << #call; \
	} while (0)

} // namespace pmem2::test
