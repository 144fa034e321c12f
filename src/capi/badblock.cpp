// Bad blocks: pmem2_badblock_*.
#include <cstddef>

#include <libpmem2/base.h>

#include "capi/shim.hpp"
#include "common/export.hpp"
#include "map/badblocks.hpp"

using pmem2::capi::guarded;
using pmem2::capi::null_arg;

static_assert(sizeof(pmem2_badblock) == 16 && offsetof(pmem2_badblock, offset) == 0 &&
	offsetof(pmem2_badblock, length) == 8, "struct pmem2_badblock is part of the ABI");

PMEM2_EXPORT int pmem2_badblock_context_new(struct pmem2_badblock_context **bbctx,
	const struct pmem2_source *src)
{
	if (bbctx == nullptr)
		return null_arg(__func__, "bbctx");
	*bbctx = nullptr;
	if (src == nullptr)
		return null_arg(__func__, "src");
	return guarded([&] { return pmem2::badblocks::context_new(*bbctx, src->info); });
}

// *bb is written only when a bad block is returned (DIFFERENCES.md A28).
PMEM2_EXPORT int pmem2_badblock_next(struct pmem2_badblock_context *bbctx, struct pmem2_badblock *bb)
{
	if (bbctx == nullptr)
		return null_arg(__func__, "bbctx");
	if (bb == nullptr)
		return null_arg(__func__, "bb");
	return pmem2::badblocks::next(*bbctx, *bb);
}

PMEM2_EXPORT void pmem2_badblock_context_delete(struct pmem2_badblock_context **bbctx)
{
	if (bbctx == nullptr)
		return;
	delete *bbctx;
	*bbctx = nullptr;
}

PMEM2_EXPORT int pmem2_badblock_clear(struct pmem2_badblock_context *bbctx,
	const struct pmem2_badblock *bb)
{
	if (bbctx == nullptr)
		return null_arg(__func__, "bbctx");
	if (bb == nullptr)
		return null_arg(__func__, "bb");
	return guarded([&] { return pmem2::badblocks::clear(*bbctx, *bb); });
}
