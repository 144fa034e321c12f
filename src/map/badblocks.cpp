#include "map/badblocks.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>

#include <fcntl.h>
#include <sys/stat.h>

#ifdef PMEM2_USE_NDCTL
#include <ndctl/libndctl.h>
#endif

#include "common/errormsg.hpp"
#include "map/region.hpp"
#include "os/os.hpp"

namespace pmem2::badblocks {

namespace {

constexpr std::uint64_t sector = 512;

std::string parent(const std::string &path)
{
	std::size_t s = path.rfind('/');
	return s == std::string::npos ? std::string() : path.substr(0, s);
}

// A number attribute (base auto-detected, e.g. "0x..." resources).
int read_number(const std::string &path, std::uint64_t &out, bool &malformed)
{
	malformed = false;
	std::string text;
	if (int r = os::read_file(path, 64, text))
		return r;
	errno = 0;
	char *end = nullptr;
	unsigned long long v = std::strtoull(text.c_str(), &end, 0);
	if (end == text.c_str() || *end != '\n' || errno == ERANGE) {
		malformed = true;
		return PMEM2_E_INVALID_REGION_FORMAT;
	}
	out = v;
	return 0;
}

int read_list(const std::string &path, std::vector<pmem2_badblock> &out, bool absent_ok)
{
	std::string text;
	bool open_failed = false;
	int r = os::read_file(path, 64 * 1024, text, &open_failed);	// sysfs: one page at most
	if (r == -ENOENT && open_failed && absent_ok) {
		out.clear();
		return 0;
	}
	if (r) {
		set_errormsg_errno(-r, "cannot read %s", path.c_str());
		return r;
	}
	if (parse_list(text, out)) {
		set_errormsg("%s: malformed bad-block list", path.c_str());
		return PMEM2_E_INVALID_REGION_FORMAT;
	}
	return 0;
}

// Files: the block device's list, made relative to a partition if the
// file system sits on one.
int file_context(pmem2_badblock_context &ctx, const source_info &src, const region::location &loc)
{
	std::string disk = loc.device;
	std::uint64_t part_start = 0;
	struct stat st;
	if (os::stat(loc.device + "/partition", &st) == 0) {
		bool malformed;
		if (read_number(loc.device + "/start", part_start, malformed)) {
			set_errormsg("cannot read the start of partition %s", loc.device.c_str());
			return PMEM2_E_CANNOT_READ_BOUNDS;
		}
		part_start *= sector;
		disk = parent(loc.device);
	}
	std::vector<pmem2_badblock> all;
	if (int r = read_list(disk + "/badblocks", all, true))
		return r;
	for (const pmem2_badblock &b : all) {
		if (b.offset + b.length <= part_start)
			continue;
		std::uint64_t off = b.offset < part_start ? part_start : b.offset;
		ctx.device.push_back({off - part_start, b.offset + b.length - off});
	}
	if (int r = os::fstat(src.fd, &st)) {
		set_errormsg_errno(-r, "fstat(%d)", src.fd);
		return r;
	}
	ctx.block_size = st.st_blksize > 0 ? std::size_t(st.st_blksize) : 4096;
	if (int r = os::fiemap(src.fd, ctx.extents)) {
		set_errormsg_errno(-r, "FS_IOC_FIEMAP of file descriptor %d", src.fd);
		return r;
	}
	return 0;
}

// Device DAX: the region's list clipped to the namespace's data range.
int devdax_context(pmem2_badblock_context &ctx, const region::location &loc)
{
	const std::string nd = parent(loc.device);	// e.g. .../region0/dax0.0
	std::uint64_t res = 0, size = 0, region_res = 0;
	bool malformed;
	if (read_number(nd + "/resource", res, malformed) || read_number(nd + "/size", size, malformed)) {
		set_errormsg("cannot read the bounds of the namespace at %s", nd.c_str());
		return PMEM2_E_CANNOT_READ_BOUNDS;
	}
	if (int r = read_number(loc.dir + "/resource", region_res, malformed)) {
		if (malformed) {
			set_errormsg("%s/resource: malformed", loc.dir.c_str());
			return PMEM2_E_CANNOT_READ_BOUNDS;
		}
		set_errormsg_errno(-r, "cannot read %s/resource", loc.dir.c_str());
		return r;
	}
	if (res < region_res) {
		set_errormsg("namespace at %s starts before its region", nd.c_str());
		return PMEM2_E_CANNOT_READ_BOUNDS;
	}
	std::vector<pmem2_badblock> all;
	if (int r = read_list(loc.dir + "/badblocks", all, true))
		return r;
	const std::uint64_t lo = res - region_res, hi = lo + size;
	for (const pmem2_badblock &b : all) {
		std::uint64_t s = b.offset, e = b.offset + b.length;
		if (e <= lo || s >= hi)
			continue;
		s = s < lo ? lo : s;
		e = e > hi ? hi : e;
		ctx.device.push_back({s - lo, e - s});
	}
	ctx.ns_resource = res;
	return 0;
}

} // namespace

int parse_list(const std::string &text, std::vector<pmem2_badblock> &out) noexcept
{
	out.clear();
	const char *p = text.c_str();
	while (*p) {
		unsigned long long s, n;
		int used = 0;
		if (std::sscanf(p, "%llu %llu%n", &s, &n, &used) != 2 || p[used] != '\n')
			return -1;
		if (s > UINT64_MAX / sector || n > UINT64_MAX / sector)
			return -1;
		try {
			out.push_back({std::size_t(s * sector), std::size_t(n * sector)});
		} catch (...) {
			return -1;
		}
		p += used + 1;
	}
	return 0;
}

bool through_extent(const pmem2_badblock &bb, const os::extent &e, std::size_t block_size,
	pmem2_badblock &out) noexcept
{
	const std::uint64_t s = bb.offset, end = bb.offset + bb.length;
	const std::uint64_t es = e.physical, ee = e.physical + e.length;
	if (end <= es || s >= ee)
		return false;
	const std::uint64_t cs = s < es ? es : s, ce = end > ee ? ee : end;
	const std::uint64_t logical = cs - es + e.logical;
	const std::uint64_t bs = block_size;
	const std::uint64_t lo = logical / bs * bs;
	const std::uint64_t hi = (logical + (ce - cs) + bs - 1) / bs * bs;
	out.offset = std::size_t(lo);
	out.length = std::size_t(hi - lo);
	return true;
}

int context_new(pmem2_badblock_context *&out, const source_info &src)
{
	out = nullptr;
	if (src.kind != source_kind::fd) {
		set_errormsg("an anonymous source has no bad blocks");
		return PMEM2_E_NOSUPP;
	}
	region::location loc;
	if (int r = region::lookup(src, loc))
		return r;
	auto *ctx = new pmem2_badblock_context;
	ctx->fd = src.fd;
	ctx->ftype = src.ftype;
	if (loc.found) {
		ctx->empty = false;
		ctx->region_id = loc.id;
		ctx->cxl = loc.cxl;
		int r = src.ftype == file_kind::devdax ? devdax_context(*ctx, loc)
			: file_context(*ctx, src, loc);
		if (r) {
			delete ctx;
			return r;
		}
	}
	out = ctx;
	return 0;
}

int next(pmem2_badblock_context &ctx, pmem2_badblock &bb) noexcept
{
	if (!ctx.empty && ctx.ftype == file_kind::devdax && ctx.next_bb < ctx.device.size()) {
		bb = ctx.device[ctx.next_bb++];
		return 0;
	}
	if (!ctx.empty && ctx.ftype == file_kind::reg) {
		// Every (bad block, extent) pair that meets, bad blocks in order.
		while (ctx.next_bb < ctx.device.size()) {
			const pmem2_badblock &d = ctx.device[ctx.next_bb];
			while (ctx.next_extent < ctx.extents.size()) {
				pmem2_badblock r;
				if (through_extent(d, ctx.extents[ctx.next_extent++], ctx.block_size, r)) {
					bb = r;
					return 0;
				}
			}
			++ctx.next_bb;
			ctx.next_extent = 0;
		}
	}
	set_errormsg("no more bad blocks");
	return PMEM2_E_NO_BAD_BLOCK_FOUND;
}

namespace {

#ifdef PMEM2_USE_NDCTL
// Address Range Scrub capability, then clear-error, for [addr, addr+len).
int ndctl_clear(unsigned region_id, std::uint64_t addr, std::uint64_t len)
{
	struct ndctl_ctx *nctx = nullptr;
	if (int r = ndctl_new(&nctx); r < 0) {
		set_errormsg_errno(-r, "ndctl_new");
		return r;
	}
	struct ndctl_bus *bus = nullptr;
	struct ndctl_bus *b;
	ndctl_bus_foreach(nctx, b) {
		struct ndctl_region *rg;
		ndctl_region_foreach(b, rg) {
			if (ndctl_region_get_id(rg) == region_id)
				bus = b;
		}
	}
	int ret = 0;
	struct ndctl_cmd *cap = nullptr, *clr = nullptr;
	struct ndctl_range range = {};
	if (bus == nullptr) {
		set_errormsg("region%u is not known to libndctl", region_id);
		ret = PMEM2_E_DAX_REGION_NOT_FOUND;
	} else if ((cap = ndctl_bus_cmd_new_ars_cap(bus, addr, len)) == nullptr) {
		set_errormsg_errno(ENOMEM, "creating the ARS capability command");
		ret = -ENOMEM;
	} else if ((ret = ndctl_cmd_submit(cap)) < 0 ||
		(ret = ndctl_cmd_ars_cap_get_range(cap, &range)) < 0) {
		set_errormsg_errno(-ret, "ARS capability command");
	} else if ((clr = ndctl_bus_cmd_new_clear_error(range.address, range.length, cap)) == nullptr) {
		set_errormsg_errno(ENOMEM, "creating the clear-error command");
		ret = -ENOMEM;
	} else if ((ret = ndctl_cmd_submit(clr)) < 0) {
		set_errormsg_errno(-ret, "clear-error command");
	} else if (ndctl_cmd_clear_error_get_cleared(clr) < len) {
		set_errormsg("only %llu of %llu bytes were cleared",
			(unsigned long long)ndctl_cmd_clear_error_get_cleared(clr), (unsigned long long)len);
		ret = -ENXIO;
	} else {
		ret = 0;
	}
	if (clr)
		ndctl_cmd_unref(clr);
	if (cap)
		ndctl_cmd_unref(cap);
	ndctl_unref(nctx);
	return ret;
}
#endif

} // namespace

int clear(pmem2_badblock_context &ctx, const pmem2_badblock &bb)
{
	if (ctx.ftype == file_kind::devdax) {
		if (ctx.empty) {	// the original dereferences a NULL bus here (DIFFERENCES.md A28)
			set_errormsg("the device DAX is not on a known NVDIMM region");
			return PMEM2_E_NOSUPP;
		}
		if (ctx.cxl) {	// DIFFERENCES.md A44
			set_errormsg("region%u is CXL memory: its poison is cleared through the memory "
				"devices (cxl clear-poison), not the NVDIMM address range scrub",
				ctx.region_id);
			return PMEM2_E_NOSUPP;
		}
#ifdef PMEM2_USE_NDCTL
		return ndctl_clear(ctx.region_id, ctx.ns_resource + bb.offset, bb.length);
#else
		set_errormsg("clearing device DAX bad blocks needs libndctl, absent from this build");
		return PMEM2_E_NOSUPP;
#endif
	}
	if (bb.offset > std::size_t(INT64_MAX)) {
		set_errormsg("offset %zu is greater than INT64_MAX", bb.offset);
		return PMEM2_E_OFFSET_OUT_OF_RANGE;
	}
	if (bb.length > std::size_t(INT64_MAX)) {
		set_errormsg("length %zu is greater than INT64_MAX", bb.length);
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	// A new (zeroed) allocation replaces the poisoned blocks.
	const off_t off = off_t(bb.offset), len = off_t(bb.length);
	if (int r = os::fallocate(ctx.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len)) {
		set_errormsg_errno(-r, "punching a hole at %zu (%zu bytes)", bb.offset, bb.length);
		return r;
	}
	if (int r = os::fallocate(ctx.fd, FALLOC_FL_KEEP_SIZE, off, len)) {
		set_errormsg_errno(-r, "allocating %zu bytes at %zu", bb.length, bb.offset);
		return r;
	}
	return 0;
}

} // namespace pmem2::badblocks
