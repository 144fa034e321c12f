// Sources: pmem2_source_*.
#include <libpmem2/base.h>

#include "capi/shim.hpp"
#include "common/export.hpp"
#include "map/source.hpp"

using pmem2::capi::guarded;
using pmem2::capi::null_arg;

PMEM2_EXPORT int pmem2_source_from_fd(struct pmem2_source **src, int fd)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	*src = nullptr;
	return guarded([&] {
		pmem2::source_info info;
		if (int r = pmem2::source_from_fd(fd, info))
			return r;
		*src = new pmem2_source{info};
		return 0;
	});
}

// *src is nulled on failure too (DIFFERENCES.md A42).
PMEM2_EXPORT int pmem2_source_from_anon(struct pmem2_source **src, size_t size)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	*src = nullptr;
	return guarded([&] {
		*src = new pmem2_source{pmem2::source_from_anon(size)};
		return 0;
	});
}

PMEM2_EXPORT int pmem2_source_delete(struct pmem2_source **src)
{
	if (src == nullptr)
		return 0;
	delete *src;
	*src = nullptr;
	return 0;
}

PMEM2_EXPORT int pmem2_source_get_fd(const struct pmem2_source *src, int *fd)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (fd == nullptr)
		return null_arg(__func__, "fd");
	if (src->info.kind != pmem2::source_kind::fd) {
		pmem2::set_errormsg("the source is not backed by a file descriptor");
		return PMEM2_E_FILE_DESCRIPTOR_NOT_SET;
	}
	*fd = src->info.fd;
	return 0;
}

PMEM2_EXPORT int pmem2_source_size(const struct pmem2_source *src, size_t *size)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (size == nullptr)
		return null_arg(__func__, "size");
	return guarded([&] {
		auto r = pmem2::source_size(src->info);
		if (!r)
			return r.code();
		*size = *r;
		return 0;
	});
}

// *alignment is written only on success (DIFFERENCES.md A6).
PMEM2_EXPORT int pmem2_source_alignment(const struct pmem2_source *src, size_t *alignment)
{
	if (src == nullptr)
		return null_arg(__func__, "src");
	if (alignment == nullptr)
		return null_arg(__func__, "alignment");
	return guarded([&] {
		auto r = pmem2::source_alignment(src->info);
		if (!r)
			return r.code();
		*alignment = *r;
		return 0;
	});
}
