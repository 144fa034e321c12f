/*
 * Virtual data mover: one future type for memcpy/memmove/memset/flush,
 * executed by whichever mover (struct vdm) the future was created with.
 * Layouts and inline code match miniasync 0.2.1 (ABI).
 *
 * Movers shipped with this library (sync and threads) rely on the
 * `operation` pointer they receive being the `operation` member of a
 * struct vdm_operation_data (the future's data): a mover may replace the
 * private `data` pointer of that structure from inside op_start, and
 * vdm_operation_impl re-reads it before calling op_check and op_delete.
 * While such a future is IDLE the threads mover may also keep a value in
 * `operation.padding`; it is 0 again once the operation has started.
 * Once a pmem2 durable operation completes, our movers store its status in
 * `padding` (the threads mover for an operation whose flags carry
 * libpmem2's request, bit 63 set; libpmem2's default mover likewise): 0,
 * 1 (the map was gone, nothing written) or the -errno of a failed persist
 * (the bytes were written).
 */
#ifndef VDM_H
#define VDM_H 1

#include "future.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vdm;

enum vdm_operation_type {
	VDM_OPERATION_MEMCPY,
	VDM_OPERATION_MEMMOVE,
	VDM_OPERATION_MEMSET,
	VDM_OPERATION_FLUSH,
};

enum vdm_operation_result {
	VDM_SUCCESS,
	VDM_ERROR_OUT_OF_MEMORY,
	VDM_ERROR_JOB_CORRUPTED,
};

struct vdm_operation_data_memcpy {
	void *dest;
	void *src;
	size_t n;
	uint64_t flags;
};

struct vdm_operation_data_memmove {
	void *dest;
	void *src;
	size_t n;
	uint64_t flags;
};

struct vdm_operation_data_memset {
	void *str;
	int c;
	size_t n;
	uint64_t flags;
};

struct vdm_operation_data_flush {
	void *dest;
	size_t n;
	uint64_t flags;
};

#define VDM_OPERATION_DATA_MAX_SIZE (40)

struct vdm_operation {
	union {
		struct vdm_operation_data_memcpy memcpy;
		struct vdm_operation_data_memmove memmove;
		struct vdm_operation_data_memset memset;
		struct vdm_operation_data_flush flush;
		uint8_t data[VDM_OPERATION_DATA_MAX_SIZE];
	} data;
	enum vdm_operation_type type;
	uint32_t padding;
};

/* The data of a vdm future: mover-private state, the mover, the operation. */
struct vdm_operation_data {
	void *data;
	struct vdm *vdm;
	struct vdm_operation operation;
};

struct vdm_operation_output_memcpy {
	void *dest;
};

struct vdm_operation_output_memmove {
	void *dest;
};

struct vdm_operation_output_memset {
	void *str;
};

struct vdm_operation_output_flush {
	uint64_t unused;
};

struct vdm_operation_output {
	enum vdm_operation_type type;
	enum vdm_operation_result result;
	union {
		struct vdm_operation_output_memcpy memcpy;
		struct vdm_operation_output_memmove memmove;
		struct vdm_operation_output_memset memset;
		struct vdm_operation_output_flush flush;
	} output;
};

FUTURE(vdm_operation_future,
	struct vdm_operation_data, struct vdm_operation_output);

/* Returns per-operation state, or NULL (the future completes with OUT_OF_MEMORY). */
typedef void *(*vdm_operation_new)
	(struct vdm *vdm, const enum vdm_operation_type type);
/* Begins the operation; non-zero keeps the future IDLE and is retried next poll. */
typedef int (*vdm_operation_start)(void *data,
	const struct vdm_operation *operation,
	struct future_notifier *n);
/* IDLE, RUNNING or COMPLETE. */
typedef enum future_state (*vdm_operation_check)(void *data,
	const struct vdm_operation *operation);
/* Fills the output and releases the state; called once, on completion. */
typedef void (*vdm_operation_delete)(void *data,
	const struct vdm_operation *operation,
	struct vdm_operation_output *output);

#define VDM_F_MEM_DURABLE (1U << 0)
#define VDM_F_NO_CACHE_HINT (1U << 1)
#define VDM_F_VALID_FLAGS (VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT)

struct vdm {
	vdm_operation_new op_new;
	vdm_operation_delete op_delete;
	vdm_operation_start op_start;
	vdm_operation_check op_check;
	unsigned capabilities;
	future_has_property_fn has_property;
};

/* Declared by miniasync 0.2.1; here defined over the synchronous mover. */
struct vdm *vdm_synchronous_new(void);
void vdm_synchronous_delete(struct vdm *vdm);

/* Non-zero iff every bit of `capability` is honoured by the mover. */
static inline int
vdm_is_supported(struct vdm *vdm, unsigned capability)
{
	return (vdm->capabilities & capability) == capability;
}

/* The task of every vdm future. */
static inline enum future_state
vdm_operation_impl(struct future_context *context, struct future_notifier *n)
{
	struct vdm_operation_data *data =
		(struct vdm_operation_data *)future_context_get_data(context);
	struct vdm_operation_output *output =
		(struct vdm_operation_output *)future_context_get_output(context);
	struct vdm *vdm = data->vdm;

	if (context->state == FUTURE_STATE_IDLE) {
		if (vdm->op_start(data->data, &data->operation, n) != 0)
			return FUTURE_STATE_IDLE;
	}

	/* op_start may have replaced data->data: read it again. */
	void *op_state = data->data;
	enum future_state state = vdm->op_check(op_state, &data->operation);

	if (state == FUTURE_STATE_COMPLETE)
		vdm->op_delete(op_state, &data->operation, output);

	return state;
}

/* Replaces the future's property function when `has_property` is not NULL. */
static inline void
vdm_set_has_property_fn(struct vdm_operation_future *future,
	int (*has_property)(void *future, enum future_property property))
{
	if (has_property != NULL)
		future->base.has_property = has_property;
}

/* Attaches the mover's per-operation state; a failure yields a complete OUT_OF_MEMORY future. */
static inline void
vdm_generic_operation(struct vdm *vdm, struct vdm_operation_future *future)
{
	future->data.vdm = vdm;
	future->data.data = vdm->op_new(vdm, future->data.operation.type);
	if (future->data.data == NULL) {
		future->output.result = VDM_ERROR_OUT_OF_MEMORY;
		FUTURE_INIT_COMPLETE(future);
	} else {
		FUTURE_INIT(future, vdm_operation_impl);
	}
	vdm_set_has_property_fn(future, vdm->has_property);
}

static inline struct vdm_operation_future
vdm_memcpy(struct vdm *vdm, void *dest, void *src, size_t n, uint64_t flags)
{
	struct vdm_operation_future future;
	future.data.operation.type = VDM_OPERATION_MEMCPY;
	future.data.operation.data.memcpy.dest = dest;
	future.data.operation.data.memcpy.src = src;
	future.data.operation.data.memcpy.n = n;
	future.data.operation.data.memcpy.flags = flags;
	future.data.operation.padding = 0;
	future.output.type = VDM_OPERATION_MEMCPY;
	future.output.result = VDM_SUCCESS;
	future.output.output.memcpy.dest = NULL;
	vdm_generic_operation(vdm, &future);
	return future;
}

static inline struct vdm_operation_future
vdm_memmove(struct vdm *vdm, void *dest, void *src, size_t n, uint64_t flags)
{
	struct vdm_operation_future future;
	future.data.operation.type = VDM_OPERATION_MEMMOVE;
	future.data.operation.data.memmove.dest = dest;
	future.data.operation.data.memmove.src = src;
	future.data.operation.data.memmove.n = n;
	future.data.operation.data.memmove.flags = flags;
	future.data.operation.padding = 0;
	future.output.type = VDM_OPERATION_MEMMOVE;
	future.output.result = VDM_SUCCESS;
	future.output.output.memmove.dest = NULL;
	vdm_generic_operation(vdm, &future);
	return future;
}

static inline struct vdm_operation_future
vdm_memset(struct vdm *vdm, void *str, int c, size_t n, uint64_t flags)
{
	struct vdm_operation_future future;
	future.data.operation.type = VDM_OPERATION_MEMSET;
	future.data.operation.data.memset.str = str;
	future.data.operation.data.memset.c = c;
	future.data.operation.data.memset.n = n;
	future.data.operation.data.memset.flags = flags;
	future.data.operation.padding = 0;
	future.output.type = VDM_OPERATION_MEMSET;
	future.output.result = VDM_SUCCESS;
	future.output.output.memset.str = NULL;
	vdm_generic_operation(vdm, &future);
	return future;
}

static inline struct vdm_operation_future
vdm_flush(struct vdm *vdm, void *dest, size_t n, uint64_t flags)
{
	struct vdm_operation_future future;
	future.data.operation.type = VDM_OPERATION_FLUSH;
	future.data.operation.data.flush.dest = dest;
	future.data.operation.data.flush.n = n;
	future.data.operation.data.flush.flags = flags;
	future.data.operation.padding = 0;
	future.output.type = VDM_OPERATION_FLUSH;
	future.output.result = VDM_SUCCESS;
	future.output.output.flush.unused = 0;
	vdm_generic_operation(vdm, &future);
	return future;
}

MINIASYNC_LAYOUT_CHECK_(sizeof(enum vdm_operation_type) == 4, vdm_type);
MINIASYNC_LAYOUT_CHECK_(sizeof(enum vdm_operation_result) == 4, vdm_result);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_data_memcpy) == 32, vdm_d_cpy);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memcpy, src) == 8, vdm_d_cpy_src);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memcpy, n) == 16, vdm_d_cpy_n);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memcpy, flags) == 24, vdm_d_cpy_f);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_data_memmove) == 32, vdm_d_mov);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memmove, flags) == 24, vdm_d_mov_f);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_data_memset) == 32, vdm_d_set);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memset, c) == 8, vdm_d_set_c);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memset, n) == 16, vdm_d_set_n);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_memset, flags) == 24, vdm_d_set_f);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_data_flush) == 24, vdm_d_fl);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_flush, n) == 8, vdm_d_fl_n);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data_flush, flags) == 16, vdm_d_fl_f);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation) == 48, vdm_op);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation, type) == 40, vdm_op_type);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation, padding) == 44, vdm_op_pad);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_data) == 64, vdm_data);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data, vdm) == 8, vdm_data_vdm);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_data, operation) == 16, vdm_data_op);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_output) == 16, vdm_out);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_output, result) == 4, vdm_out_res);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_output, output) == 8, vdm_out_out);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm_operation_future) == 120, vdm_future);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_future, data) == 40, vdm_future_data);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm_operation_future, output) == 104, vdm_future_out);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct vdm) == 48, vdm_vdm);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm, op_delete) == 8, vdm_vdm_del);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm, op_start) == 16, vdm_vdm_start);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm, op_check) == 24, vdm_vdm_check);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm, capabilities) == 32, vdm_vdm_caps);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct vdm, has_property) == 40, vdm_vdm_prop);

#ifdef __cplusplus
}
#endif

#endif /* VDM_H */
