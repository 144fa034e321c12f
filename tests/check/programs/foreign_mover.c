/*
 * pmem2_memcpy_async of 4096 bytes to offset 0 of FILE through a mover of
 * the program's own (no VDM_F_MEM_DURABLE: libpmem2 adds its persist step
 * on the polling thread). The mover hands each copy to a thread of its own,
 * which streams it with libpmem2's memcpy (PMEM2_F_MEM_NONTEMPORAL |
 * PMEM2_F_MEM_NODRAIN); then, by MODE:
 *   fenced    that thread drains before it reports the copy done (correct)
 *   unfenced  it does not (broken at CACHE_LINE granularity: the persist
 *             step's flush and fence on the polling thread do not drain
 *             another thread's streaming stores, so the future completes
 *             before its bytes are durable; at BYTE and PAGE libpmem2's
 *             streaming kernels fence themselves)
 *   foreign_mover FILE MODE
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <libminiasync.h>

#define SEEDED_ASYNC 1
#include "seeded.h"

static struct pmem2_map *g_map;
static int g_fenced;

struct job {
	const struct vdm_operation *op;
	pthread_t thread;
	atomic_int done;
};

static void *copy_thread(void *arg)
{
	struct job *j = arg;
	pmem2_memcpy_fn copy = pmem2_get_memcpy_fn(g_map);
	copy(j->op->data.memcpy.dest, j->op->data.memcpy.src, j->op->data.memcpy.n,
		PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_NODRAIN);
	if (g_fenced)
		pmem2_get_drain_fn(g_map)();
	atomic_store(&j->done, 1);
	return NULL;
}

static void *op_new(struct vdm *v, const enum vdm_operation_type t)
{
	(void)v;
	(void)t;
	return calloc(1, sizeof(struct job));
}

static int op_start(void *data, const struct vdm_operation *op, struct future_notifier *n)
{
	struct job *j = data;
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	j->op = op;
	return pthread_create(&j->thread, NULL, copy_thread, j) != 0;
}

static enum future_state op_check(void *data, const struct vdm_operation *op)
{
	struct job *j = data;
	(void)op;
	return atomic_load(&j->done) ? FUTURE_STATE_COMPLETE : FUTURE_STATE_RUNNING;
}

static void op_delete(void *data, const struct vdm_operation *op, struct vdm_operation_output *out)
{
	struct job *j = data;
	pthread_join(j->thread, NULL);
	free(j);
	out->type = op->type;
	out->result = VDM_SUCCESS;
	out->output.memcpy.dest = op->data.memcpy.dest;
}

int main(int argc, char **argv)
{
	struct seeded s;
	static char src[4096];
	struct vdm mover = {op_new, op_delete, op_start, op_check, 0, NULL};
	if (argc != 3 || (strcmp(argv[2], "fenced") != 0 && strcmp(argv[2], "unfenced") != 0))
		return 3;
	g_fenced = strcmp(argv[2], "fenced") == 0;
	memset(src, 0x5a, sizeof(src));
	seeded_open_vdm(&s, argv[1], 0, &mover);
	g_map = s.map;
	struct pmem2_future f = pmem2_memcpy_async(s.map, s.addr, src, sizeof(src), 0);
	struct runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
	if (FUTURE_OUTPUT(&f)->result != 0)
		return 3;
	seeded_close(&s);
	return 0;
}
