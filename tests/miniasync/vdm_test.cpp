// vdm.h inline code and the synchronous mover.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "support/futures.hpp"
#include "support/wait.hpp"

TEST(VdmLayout, StructSizesAndOffsets)
{
	EXPECT_EQ(sizeof(vdm_operation), 48u);
	EXPECT_EQ(offsetof(vdm_operation, type), 40u);
	EXPECT_EQ(sizeof(vdm_operation_data), 64u);
	EXPECT_EQ(offsetof(vdm_operation_data, operation), 16u);
	EXPECT_EQ(sizeof(vdm_operation_output), 16u);
	EXPECT_EQ(offsetof(vdm_operation_output, output), 8u);
	EXPECT_EQ(sizeof(vdm_operation_future), 120u);
	EXPECT_EQ(offsetof(vdm_operation_future, data), 40u);
	EXPECT_EQ(offsetof(vdm_operation_future, output), 104u);
	EXPECT_EQ(sizeof(vdm), 48u);
	EXPECT_EQ(offsetof(vdm, capabilities), 32u);
	EXPECT_EQ(offsetof(vdm, has_property), 40u);
	EXPECT_EQ(offsetof(vdm_operation_data_memset, c), 8u);
	EXPECT_EQ(offsetof(vdm_operation_data_memset, n), 16u);
	EXPECT_EQ(sizeof(vdm_operation_data_flush), 24u);
	EXPECT_EQ(VDM_OPERATION_DATA_MAX_SIZE, 40);
	EXPECT_EQ(VDM_F_MEM_DURABLE, 1u);
	EXPECT_EQ(VDM_F_NO_CACHE_HINT, 2u);
	EXPECT_EQ(VDM_F_VALID_FLAGS, 3u);
	EXPECT_EQ(VDM_OPERATION_FLUSH, 3);
	EXPECT_EQ(VDM_ERROR_JOB_CORRUPTED, 2);
}

TEST(VdmIsSupported, Bitwise)
{
	vdm v{};
	v.capabilities = 0;
	EXPECT_TRUE(vdm_is_supported(&v, 0));
	EXPECT_FALSE(vdm_is_supported(&v, VDM_F_MEM_DURABLE));
	v.capabilities = VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT;
	EXPECT_TRUE(vdm_is_supported(&v, VDM_F_MEM_DURABLE));
	EXPECT_TRUE(vdm_is_supported(&v, VDM_F_NO_CACHE_HINT));
	EXPECT_TRUE(vdm_is_supported(&v, VDM_F_VALID_FLAGS));
	v.capabilities = VDM_F_NO_CACHE_HINT;
	EXPECT_FALSE(vdm_is_supported(&v, VDM_F_MEM_DURABLE));
	EXPECT_FALSE(vdm_is_supported(&v, VDM_F_VALID_FLAGS));
}

namespace {

// A scripted mover recording the callbacks it receives.
struct script_mover {
	vdm base;
	void *new_result;
	int start_results[4];
	int starts;
	future_state check_result;
	int checks;
	int deletes;
	std::vector<void *> seen_data;
	int replacement;
};

script_mover *self(const vdm_operation *op)
{
	auto *fd = reinterpret_cast<const vdm_operation_data *>(
		reinterpret_cast<const char *>(op) - offsetof(vdm_operation_data, operation));
	return reinterpret_cast<script_mover *>(fd->vdm);
}

void *s_new(vdm *v, const vdm_operation_type) { return reinterpret_cast<script_mover *>(v)->new_result; }

int s_start(void *data, const vdm_operation *op, future_notifier *n)
{
	script_mover *m = self(op);
	m->seen_data.push_back(data);
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	int r = m->start_results[m->starts++];
	if (r == 0) {
		// Replace the private pointer, as our threads mover does.
		auto *fd = reinterpret_cast<vdm_operation_data *>(
			reinterpret_cast<char *>(const_cast<vdm_operation *>(op)) -
			offsetof(vdm_operation_data, operation));
		fd->data = &m->replacement;
	}
	return r;
}

future_state s_check(void *data, const vdm_operation *op)
{
	script_mover *m = self(op);
	m->seen_data.push_back(data);
	m->checks++;
	return m->check_result;
}

void s_delete(void *data, const vdm_operation *op, vdm_operation_output *out)
{
	script_mover *m = self(op);
	m->seen_data.push_back(data);
	m->deletes++;
	out->result = VDM_SUCCESS;
	out->output.memcpy.dest = op->data.memcpy.dest;
}

script_mover make_script()
{
	script_mover m{};
	m.base = vdm{s_new, s_delete, s_start, s_check, 0, nullptr};
	m.new_result = &m;
	return m;
}

} // namespace

TEST(VdmOperation, LifecycleRetriesStartAndRereadsPrivatePointer)
{
	script_mover m = make_script();
	int token;
	m.new_result = &token;
	m.start_results[0] = 1;	// no room: stays IDLE, no check
	m.start_results[1] = 0;
	m.check_result = FUTURE_STATE_RUNNING;
	char a[8] = "abc", b[8] = {};
	auto f = vdm_memcpy(&m.base, b, a, 4, 0);
	EXPECT_EQ(f.data.data, &token);
	EXPECT_EQ(f.base.task, &vdm_operation_impl);
	EXPECT_EQ(f.base.has_property, &future_has_property_default);

	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_IDLE);
	EXPECT_EQ(m.checks, 0);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_RUNNING);
	EXPECT_EQ(m.starts, 2);
	EXPECT_EQ(m.checks, 1);
	m.check_result = FUTURE_STATE_COMPLETE;
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(m.starts, 2);	// started once
	EXPECT_EQ(m.deletes, 1);
	// start saw the token; check and delete saw what start stored.
	ASSERT_EQ(m.seen_data.size(), 5u);
	EXPECT_EQ(m.seen_data[0], &token);
	EXPECT_EQ(m.seen_data[1], &token);
	EXPECT_EQ(m.seen_data[2], &m.replacement);
	EXPECT_EQ(m.seen_data[3], &m.replacement);
	EXPECT_EQ(m.seen_data[4], &m.replacement);
	EXPECT_EQ(f.output.output.memcpy.dest, b);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(m.deletes, 1);
}

TEST(VdmOperation, OutOfMemoryFutureIsComplete)
{
	script_mover m = make_script();
	m.new_result = nullptr;
	char a[4], b[4];
	auto f = vdm_memmove(&m.base, b, a, 4, 0);
	EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(f.base.task, nullptr);
	EXPECT_EQ(f.base.has_property, nullptr);
	EXPECT_EQ(f.output.result, VDM_ERROR_OUT_OF_MEMORY);
	EXPECT_EQ(f.output.type, VDM_OPERATION_MEMMOVE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_has_property(FUTURE_AS_RUNNABLE(&f), FUTURE_PROPERTY_ASYNC), 0);
	EXPECT_EQ(m.starts, 0);
}

TEST(VdmOperation, ConstructorsFillOperationAndOutput)
{
	script_mover m = make_script();
	m.base.has_property = pmem2::test::async_property;
	char buf[16];
	auto s = vdm_memset(&m.base, buf, 'x', 16, VDM_F_NO_CACHE_HINT);
	EXPECT_EQ(s.data.operation.type, VDM_OPERATION_MEMSET);
	EXPECT_EQ(s.data.operation.data.memset.str, buf);
	EXPECT_EQ(s.data.operation.data.memset.c, 'x');
	EXPECT_EQ(s.data.operation.data.memset.n, 16u);
	EXPECT_EQ(s.data.operation.data.memset.flags, VDM_F_NO_CACHE_HINT);
	EXPECT_EQ(s.data.operation.padding, 0u);
	EXPECT_EQ(s.data.vdm, &m.base);
	EXPECT_EQ(s.output.type, VDM_OPERATION_MEMSET);
	EXPECT_EQ(s.output.result, VDM_SUCCESS);
	EXPECT_EQ(s.output.output.memset.str, nullptr);
	EXPECT_EQ(s.base.has_property, pmem2::test::async_property);

	auto fl = vdm_flush(&m.base, buf, 16, 0);
	EXPECT_EQ(fl.data.operation.type, VDM_OPERATION_FLUSH);
	EXPECT_EQ(fl.data.operation.data.flush.dest, buf);
	EXPECT_EQ(fl.data.operation.data.flush.n, 16u);
	EXPECT_EQ(fl.output.output.flush.unused, 0u);	// zeroed here

	auto mv = vdm_memmove(&m.base, buf, buf + 1, 3, 1);
	EXPECT_EQ(mv.data.operation.data.memmove.src, buf + 1);
	EXPECT_EQ(mv.data.operation.data.memmove.flags, 1u);

	vdm_set_has_property_fn(&mv, nullptr);	// NULL keeps the current one
	EXPECT_EQ(mv.base.has_property, pmem2::test::async_property);
	vdm_set_has_property_fn(&mv, future_has_property_default);
	EXPECT_EQ(mv.base.has_property, &future_has_property_default);
}

TEST(SyncMover, AllOperationsCompleteOnFirstPoll)
{
	data_mover_sync *dms = data_mover_sync_new();
	ASSERT_NE(dms, nullptr);
	vdm *v = data_mover_sync_get_vdm(dms);
	EXPECT_EQ(v->capabilities, 0u);
	EXPECT_FALSE(vdm_is_supported(v, VDM_F_MEM_DURABLE));
	EXPECT_EQ(v->has_property, nullptr);

	alignas(64) char src[256], dst[256];
	for (int i = 0; i < 256; ++i)
		src[i] = char(i);
	std::memset(dst, 0, sizeof(dst));

	future_notifier n{};
	n.notifier_used = FUTURE_NOTIFIER_WAKER;
	auto c = vdm_memcpy(v, dst, src, 200, 0);
	EXPECT_NE(c.data.data, nullptr);
	EXPECT_EQ(future_has_property(FUTURE_AS_RUNNABLE(&c), FUTURE_PROPERTY_ASYNC), 0);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&c), &n), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_NONE);
	EXPECT_EQ(std::memcmp(dst, src, 200), 0);
	EXPECT_EQ(dst[200], 0);
	EXPECT_EQ(c.output.type, VDM_OPERATION_MEMCPY);
	EXPECT_EQ(c.output.result, VDM_SUCCESS);
	EXPECT_EQ(c.output.output.memcpy.dest, dst);

	auto mv = vdm_memmove(v, dst + 1, dst, 100, 0);
	FUTURE_BUSY_POLL(&mv)
	EXPECT_EQ(dst[1], 0);
	EXPECT_EQ(dst[100], 99);
	EXPECT_EQ(mv.output.output.memmove.dest, dst + 1);

	auto s = vdm_memset(v, dst, 0x5a, 256, 0);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&s), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(dst[255], 0x5a);
	EXPECT_EQ(s.output.output.memset.str, dst);

	auto fl = vdm_flush(v, dst, 256, 0);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&fl), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(fl.output.type, VDM_OPERATION_FLUSH);
	EXPECT_EQ(fl.output.result, VDM_SUCCESS);

	// Zero-length operations, even on NULL pointers.
	auto z1 = vdm_memcpy(v, nullptr, nullptr, 0, 0);
	auto z2 = vdm_memset(v, nullptr, 1, 0, 0);
	auto z3 = vdm_flush(v, nullptr, 0, 0);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&z1), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&z2), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&z3), nullptr), FUTURE_STATE_COMPLETE);

	data_mover_sync_delete(dms);
	data_mover_sync_delete(nullptr);
}

TEST(SyncMover, DroppedFuturesHoldNothing)
{
	data_mover_sync *dms = data_mover_sync_new();
	char a[8], b[8];
	for (int i = 0; i < 100000; ++i) {
		auto f = vdm_memcpy(data_mover_sync_get_vdm(dms), b, a, 8, 0);
		ASSERT_NE(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);	// never OOM
	}
	data_mover_sync_delete(dms);
}

// No per-operation limit: more outstanding futures than 0.2.1's per-thread
// membuf could hold (about 174 k sync operations) are all created first,
// then polled, and every one succeeds.
TEST(SyncMover, NoLimitOnOutstandingFutures)
{
	constexpr std::size_t count = 200000;
	data_mover_sync *dms = data_mover_sync_new();
	ASSERT_NE(dms, nullptr);
	vdm *v = data_mover_sync_get_vdm(dms);
	std::vector<std::uint64_t> src(count), dst(count, 0);
	for (std::size_t i = 0; i < count; ++i)
		src[i] = i * 0x9e3779b97f4a7c15ull + 1;
	std::vector<vdm_operation_future> futs;
	futs.reserve(count);
	for (std::size_t i = 0; i < count; ++i) {
		futs.push_back(vdm_memcpy(v, &dst[i], &src[i], sizeof(src[i]), 0));
		ASSERT_NE(FUTURE_STATE(&futs.back()), FUTURE_STATE_COMPLETE) << i;
		ASSERT_EQ(futs.back().output.result, VDM_SUCCESS) << i;
	}
	EXPECT_EQ(dst[count - 1], 0u);	// nothing ran before the polls
	for (std::size_t i = 0; i < count; ++i) {
		ASSERT_EQ(future_poll(FUTURE_AS_RUNNABLE(&futs[i]), nullptr),
			FUTURE_STATE_COMPLETE) << i;
		ASSERT_EQ(futs[i].output.result, VDM_SUCCESS) << i;
		ASSERT_EQ(futs[i].output.output.memcpy.dest, &dst[i]) << i;
	}
	EXPECT_EQ(dst, src);
	data_mover_sync_delete(dms);
}

TEST(SyncMover, VdmSynchronousWrappers)
{
	vdm *v = vdm_synchronous_new();
	ASSERT_NE(v, nullptr);
	char a[4] = "xyz", b[4] = {};
	auto f = vdm_memcpy(v, b, a, 4, 0);
	FUTURE_BUSY_POLL(&f)
	EXPECT_STREQ(b, "xyz");
	vdm_synchronous_delete(v);
}

// A chain of two vdm futures (memset then memcpy) on the sync mover.
struct copy_chain_data {
	FUTURE_CHAIN_ENTRY(struct vdm_operation_future, fill);
	FUTURE_CHAIN_ENTRY_LAST(struct vdm_operation_future, copy);
};
struct copy_chain_output {
	void *dest;
};
FUTURE(copy_chain_future, struct copy_chain_data, struct copy_chain_output);

namespace {
void copy_chain_map(struct future_context *lhs, struct future_context *rhs, void *)
{
	auto *out = static_cast<vdm_operation_output *>(future_context_get_output(lhs));
	static_cast<copy_chain_output *>(future_context_get_output(rhs))->dest = out->output.memcpy.dest;
}
} // namespace

TEST(SyncMover, VdmFuturesInAChain)
{
	data_mover_sync *dms = data_mover_sync_new();
	vdm *v = data_mover_sync_get_vdm(dms);
	char tmp[32], dst[32];
	struct copy_chain_future ch;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.fill, vdm_memset(v, tmp, 'q', 32, 0), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.copy, vdm_memcpy(v, dst, tmp, 32, 0), copy_chain_map, nullptr);
	FUTURE_CHAIN_INIT(&ch);
	EXPECT_EQ(future_poll(&ch.base, nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(ch.output.dest, dst);
	EXPECT_EQ(dst[31], 'q');
	data_mover_sync_delete(dms);
}
