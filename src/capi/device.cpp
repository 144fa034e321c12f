// Deep flush and what a source's device says about itself:
// pmem2_deep_flush, pmem2_source_numa_node, _device_usc, _device_id, and
// machine-check-safe I/O (pmem2_source_pread_mcsafe, _pwrite_mcsafe).
#include <cstring>

#include <libpmem2/base.h>

#include "capi/shim.hpp"
#include "common/export.hpp"
#include "map/deep_flush.hpp"
#include "map/map.hpp"
#include "map/mcsafe.hpp"
#include "map/region.hpp"
#include "map/source.hpp"

using pmem2::capi::guarded;
using pmem2::capi::null_arg;

namespace {

// The source's type is checked before the output pointers (as in PMDK): an
// anonymous source is "not supported" whatever else the caller passed.
int anonymous(const pmem2::source_info &src, const char *what) noexcept
{
	if (src.kind == pmem2::source_kind::fd)
		return 0;
	pmem2::set_errormsg("%s: an anonymous source has no device", what);
	return PMEM2_E_NOSUPP;
}

// The region behind a file source (callers have ruled out anonymous ones);
// `none` is returned when there is none.
int find_region(const pmem2::source_info &src, pmem2::region::location &loc, int none,
	const char *what)
{
	if (int r = pmem2::region::lookup(src, loc))
		return r;
	if (!loc.found) {
		pmem2::set_errormsg("%s: the source is not on an NVDIMM region", what);
		return none;
	}
	return 0;
}

} // namespace

PMEM2_EXPORT int pmem2_deep_flush(struct pmem2_map *map, void *ptr, size_t size)
{
	if (map == nullptr)
		return null_arg(__func__, "map");
	return guarded([&] { return pmem2::deep_flush(*map, ptr, size); });
}

// *numa_node is written only on success.
PMEM2_EXPORT int pmem2_source_numa_node(const struct pmem2_source *src, int *numa_node)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (int r = anonymous(src->info, __func__))
		return r;
	if (numa_node == nullptr)
		return null_arg(__func__, "numa_node");
	return guarded([&] {
		pmem2::region::location loc;
		if (int r = find_region(src->info, loc, PMEM2_E_DAX_REGION_NOT_FOUND, __func__))
			return r;
		auto n = pmem2::region::numa_node(loc);
		if (!n)
			return n.code();
		*numa_node = *n;
		return 0;
	});
}

// *usc is written only on success (DIFFERENCES.md A25).
PMEM2_EXPORT int pmem2_source_device_usc(const struct pmem2_source *src, uint64_t *usc)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (int r = anonymous(src->info, __func__))
		return r;
	if (usc == nullptr)
		return null_arg(__func__, "usc");
	return guarded([&] {
		pmem2::region::location loc;
		if (int r = find_region(src->info, loc, PMEM2_E_NOSUPP, __func__))
			return r;
		auto n = pmem2::region::unsafe_shutdown_count(loc);
		if (!n)
			return n.code();
		*usc = *n;
		return 0;
	});
}

// The id is written from offset 0 and only on success (DIFFERENCES.md A24).
PMEM2_EXPORT int pmem2_source_device_id(const struct pmem2_source *src, char *id, size_t *len)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (int r = anonymous(src->info, __func__))
		return r;
	if (len == nullptr)
		return null_arg(__func__, "len");
	return guarded([&] {
		pmem2::region::location loc;
		if (int r = find_region(src->info, loc, PMEM2_E_NOSUPP, __func__))
			return r;
		auto s = pmem2::region::device_id(loc);
		if (!s)
			return s.code();
		const size_t need = s->size() + 1;
		if (id == nullptr) {
			*len = need;
			return 0;
		}
		if (*len < need) {
			pmem2::set_errormsg("%s: the id needs %zu bytes, the buffer has %zu",
				__func__, need, *len);
			return PMEM2_E_BUFFER_TOO_SMALL;
		}
		std::memcpy(id, s->c_str(), need);
		return 0;
	});
}

PMEM2_EXPORT int pmem2_source_pread_mcsafe(struct pmem2_source *src, void *buf, size_t size,
	size_t offset)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (buf == nullptr && size != 0)
		return null_arg(__func__, "buf");
	return guarded([&] { return pmem2::mcsafe::pread(src->info, buf, size, offset); });
}

PMEM2_EXPORT int pmem2_source_pwrite_mcsafe(struct pmem2_source *src, void *buf, size_t size,
	size_t offset)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (buf == nullptr && size != 0)
		return null_arg(__func__, "buf");
	return guarded([&] { return pmem2::mcsafe::pwrite(src->info, buf, size, offset); });
}
