/*
 * libminiasync used from plain C11: a user-defined future, a chain with a
 * lazily built vdm entry, both movers and the runtime.
 */
#include <libminiasync.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		exit(1); \
	} \
} while (0)

_Static_assert(sizeof(struct vdm_operation_future) == 120, "vdm future layout");

/* Completes after `max` polls and reports the poll count. */
struct countup_data {
	uint64_t counter;
	uint64_t max;
};
struct countup_output {
	uint64_t result;
};
FUTURE(countup_future, struct countup_data, struct countup_output);

static enum future_state
countup_task(struct future_context *ctx, struct future_notifier *n)
{
	struct countup_data *d = future_context_get_data(ctx);
	struct countup_output *o = future_context_get_output(ctx);
	if (n != NULL)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	if (++d->counter < d->max)
		return FUTURE_STATE_RUNNING;
	o->result = d->counter;
	return FUTURE_STATE_COMPLETE;
}

static struct countup_future
countup(uint64_t max)
{
	struct countup_future f;
	f.data.counter = 0;
	f.data.max = max;
	f.output.result = 0;
	FUTURE_INIT(&f, countup_task);
	return f;
}

/* countup -> memcpy of `n` bytes, where n comes from the countup -> result. */
struct copy_args {
	struct vdm *vdm;
	char *dst;
	char *src;
};
struct chain_data {
	FUTURE_CHAIN_ENTRY(struct countup_future, count);
	FUTURE_CHAIN_ENTRY_LAST(struct vdm_operation_future, copy);
};
struct chain_output {
	void *dest;
	uint64_t copied;
};
FUTURE(chain_future, struct chain_data, struct chain_output);

static void
init_copy(void *future, struct future_context *chain_ctx, void *arg)
{
	struct copy_args *a = arg;
	struct chain_data *d = future_context_get_data(chain_ctx);
	struct vdm_operation_future *f = future;
	*f = vdm_memcpy(a->vdm, a->dst, a->src, (size_t)d->count.fut.output.result, 0);
}

static void
map_count(struct future_context *lhs, struct future_context *rhs, void *arg)
{
	struct countup_output *o = future_context_get_output(lhs);
	struct vdm_operation_data *next = future_context_get_data(rhs);
	(void)arg;
	CHECK(next->operation.data.memcpy.n == o->result);
}

static void
map_copy(struct future_context *lhs, struct future_context *rhs, void *arg)
{
	struct vdm_operation_output *o = future_context_get_output(lhs);
	struct vdm_operation_data *d = future_context_get_data(lhs);
	struct chain_output *out = future_context_get_output(rhs);
	(void)arg;
	out->dest = o->output.memcpy.dest;
	out->copied = d->operation.data.memcpy.n;
}

static struct chain_future
copy_chain(struct copy_args *args, uint64_t n)
{
	struct chain_future f;
	FUTURE_CHAIN_ENTRY_INIT(&f.data.count, countup(n), map_count, NULL);
	FUTURE_CHAIN_ENTRY_LAZY_INIT(&f.data.copy, init_copy, args, map_copy, NULL);
	FUTURE_CHAIN_INIT(&f);
	return f;
}

static void
exercise(struct vdm *vdm, struct runtime *r)
{
	char src[64], dst1[64], dst2[64];
	memset(src, 'a', sizeof(src));
	memset(dst1, 0, sizeof(dst1));
	memset(dst2, 0, sizeof(dst2));

	struct copy_args a1 = {vdm, dst1, src}, a2 = {vdm, dst2, src};
	struct chain_future c1 = copy_chain(&a1, 10);
	struct chain_future c2 = copy_chain(&a2, 20);
	struct countup_future plain = countup(5);
	struct future *futs[] = {
		FUTURE_AS_RUNNABLE(&c1), FUTURE_AS_RUNNABLE(&plain), FUTURE_AS_RUNNABLE(&c2),
	};
	runtime_wait_multiple(r, futs, 3);
	CHECK(futs[0] == FUTURE_AS_RUNNABLE(&c1));
	CHECK(FUTURE_STATE(&c1) == FUTURE_STATE_COMPLETE);
	CHECK(FUTURE_OUTPUT(&c1)->dest == dst1 && FUTURE_OUTPUT(&c1)->copied == 10);
	CHECK(FUTURE_OUTPUT(&c2)->copied == 20);
	CHECK(dst1[9] == 'a' && dst1[10] == 0);
	CHECK(dst2[19] == 'a' && dst2[20] == 0);
	CHECK(FUTURE_OUTPUT(&plain)->result == 5);

	struct vdm_operation_future s = vdm_memset(vdm, dst1, 'z', 64, 0);
	FUTURE_BUSY_POLL(&s)
	CHECK(dst1[63] == 'z');
	CHECK(s.output.output.memset.str == dst1);

	struct vdm_operation_future fl = vdm_flush(vdm, dst1, 64, 0);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&fl));
	CHECK(fl.output.result == VDM_SUCCESS);
	CHECK(!vdm_is_supported(vdm, VDM_F_MEM_DURABLE));
}

static void *
my_memcpy(void *dst, const void *src, size_t n, unsigned flags)
{
	(void)flags;
	memcpy(dst, src, n);
	((char *)dst)[0] = '!';
	return dst;
}

int
main(void)
{
	struct runtime *r = runtime_new();
	CHECK(r != NULL);

	struct data_mover_sync *dms = data_mover_sync_new();
	CHECK(dms != NULL);
	exercise(data_mover_sync_get_vdm(dms), r);
	data_mover_sync_delete(dms);

	struct data_mover_threads *dmt = data_mover_threads_default();
	CHECK(dmt != NULL);
	exercise(data_mover_threads_get_vdm(dmt), r);

	data_mover_threads_set_memcpy_fn(dmt, my_memcpy);
	char a[8] = "abcdefg", b[8] = {0};
	struct vdm_operation_future f =
		vdm_memcpy(data_mover_threads_get_vdm(dmt), b, a, 8, 0);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	CHECK(strcmp(b, "!bcdefg") == 0);
	data_mover_threads_delete(dmt);

	struct data_mover_threads *poller =
		data_mover_threads_new(2, 4, FUTURE_NOTIFIER_POLLER);
	CHECK(poller != NULL);
	exercise(data_mover_threads_get_vdm(poller), r);
	data_mover_threads_delete(poller);
	CHECK(data_mover_threads_new(2, 0, FUTURE_NOTIFIER_WAKER) == NULL);

	struct vdm *sync = vdm_synchronous_new();
	exercise(sync, r);
	vdm_synchronous_delete(sync);

	runtime_delete(r);
	printf("c_miniasync: ok\n");
	return 0;
}
