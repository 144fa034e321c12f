#include "map/granularity.hpp"

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "memops/memops.hpp"
#include "os/os.hpp"

namespace pmem2 {

int parse_forced_granularity(const char *value) noexcept
{
	if (value == nullptr)
		return -1;
	// The original copies into an 11-byte buffer: 11+ characters never match.
	char buf[11];
	std::size_t n = strnlen(value, sizeof(buf));
	if (n >= sizeof(buf))
		return -1;
	for (std::size_t i = 0; i < n; ++i)
		buf[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(value[i])));
	buf[n] = '\0';
	if (std::strcmp(buf, "BYTE") == 0)
		return PMEM2_GRANULARITY_BYTE;
	if (std::strcmp(buf, "CACHE_LINE") == 0 || std::strcmp(buf, "CACHELINE") == 0)
		return PMEM2_GRANULARITY_CACHE_LINE;
	if (std::strcmp(buf, "PAGE") == 0)
		return PMEM2_GRANULARITY_PAGE;
	return -1;	// ignored, like the original (DIFFERENCES.md A30)
}

int forced_granularity() noexcept
{
	return parse_forced_granularity(os::getenv("PMEM2_FORCE_GRANULARITY"));
}

namespace {

// One region directory: 1 cpu_cache, 0 anything else or no file, -1 error.
int region_persistence(const std::string &dir)
{
	std::vector<std::string> names;
	if (os::list_dir(dir, names) != 0)
		return 0;
	for (const std::string &n : names) {
		if (n != "persistence_domain")
			continue;
		std::string path = dir + "/" + n;
		struct stat st;
		if (os::lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		std::string text;
		bool open_failed = false;
		int r = os::read_file(path, 32, text, &open_failed);
		if (open_failed)
			return 0;	// cannot open: this region does not claim eADR
		if (r != 0 || text.empty() || text.back() != '\n')
			return -1;
		text.pop_back();
		return text == "cpu_cache" ? 1 : 0;
	}
	return 0;
}

} // namespace

int eadr_scan()
{
	const std::string root = os::sys_path("/sys/bus/nd/devices");
	struct stat st;
	if (os::stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	std::vector<std::string> names;
	if (os::list_dir(root, names) != 0)
		return 0;
	bool any = false;
	for (const std::string &n : names) {
		if (n.find("region") == std::string::npos)
			continue;
		std::string path = root + "/" + n;
		if (os::lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
			continue;
		any = true;
		int r = region_persistence(path);
		if (r != 1)
			return r;	// one region without eADR disables it system-wide (DIFFERENCES.md A31)
	}
	return any ? 1 : 0;
}

granularity_choice choose_granularity(const source_info &src, pmem2_sharing_type sharing,
	bool map_sync)
{
	if (src.kind == source_kind::anon || sharing == PMEM2_PRIVATE)
		return {PMEM2_GRANULARITY_BYTE, nullptr};
	const int forced = forced_granularity();
	granularity_choice c;
	if (forced >= 0) {
		c = {static_cast<pmem2_granularity>(forced),
			"PMEM2_FORCE_GRANULARITY forces a coarser granularity"};
	} else if (!map_sync) {
		return {PMEM2_GRANULARITY_PAGE,
			"the file is not on a DAX-enabled file system or the kernel lacks MAP_SYNC"};
	} else if (eadr_scan() == 1) {
		return {PMEM2_GRANULARITY_BYTE, nullptr};
	} else {
		c = {PMEM2_GRANULARITY_CACHE_LINE,
			"the platform does not flush CPU caches on power failure (no eADR)"};
	}
	if (c.granularity != PMEM2_GRANULARITY_CACHE_LINE || memops::can_write_back_lines())
		return c;
	// CACHE_LINE would be a false promise: no instruction writes a line
	// back (riscv64 without Zicbom). msync is what is left, and device DAX
	// has none (its mappings have no page cache and no fsync)
	// (DIFFERENCES.md A45).
	if (src.kind == source_kind::fd && src.ftype == file_kind::devdax)
		return {PMEM2_GRANULARITY_PAGE,
			"device DAX without eADR needs CPU cache-line write-back, which this CPU "
			"does not let user space do (and device DAX has no msync)", false};
	return {PMEM2_GRANULARITY_PAGE, forced >= 0
		? "PMEM2_FORCE_GRANULARITY asks for CACHE_LINE, but this CPU cannot write back "
		  "cache lines from user space (msync only)"
		: "the platform does not flush CPU caches on power failure (no eADR) and this "
		  "CPU cannot write back cache lines from user space (msync only)"};
}

pmem2_granularity available_granularity(const source_info &src, pmem2_sharing_type sharing,
	bool map_sync)
{
	return choose_granularity(src, sharing, map_sync).granularity;
}

const char *granularity_name(int g) noexcept
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE: return "CACHE_LINE";
	case PMEM2_GRANULARITY_PAGE: return "PAGE";
	default: return "INVALID";
	}
}

} // namespace pmem2
