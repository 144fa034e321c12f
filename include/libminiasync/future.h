/*
 * libminiasync futures: the task/poll abstraction, notifiers and chains.
 *
 * Everything here is inline and compiled into the user's program, so the
 * structure layouts and macro expansions are ABI; they match miniasync 0.2.1
 * and are pinned by static assertions below. Valid C99, C11 and C++20.
 *
 * Layout rules for user futures (hold them or chains break):
 *  - a chain's data type is chain entries back to back from offset 0; data
 *    after the entries is allowed only behind a FUTURE_CHAIN_ENTRY_LAST one;
 *  - data and output types of futures used in chains must have alignment
 *    <= 8 (no alignas(16), SSE types or long double);
 *  - sizeof(data) must be a multiple of alignof(output), because
 *    future_context_get_output() is data + data_size with no adjustment.
 */
#ifndef FUTURE_H
#define FUTURE_H 1

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__amd64__) || defined(_M_X64) || defined(_M_AMD64)
#include <emmintrin.h>
#define __FUTURE_WAIT() _mm_pause()
#elif defined(__aarch64__)
#define __FUTURE_WAIT() __asm__ __volatile__("yield" ::: "memory")
#elif defined(__powerpc64__)
#define __FUTURE_WAIT() __asm__ __volatile__("or 27, 27, 27" ::: "memory")
#elif defined(__riscv) && __riscv_xlen == 64
/* Zihintpause PAUSE by its encoding: a no-op FENCE on CPUs without it. */
#define __FUTURE_WAIT() __asm__ __volatile__(".4byte 0x0100000f" ::: "memory")
#else
#include <sched.h>
#define __FUTURE_WAIT() sched_yield()
#endif

/* Compile-time layout checks usable at file scope in C99, C11 and C++. */
#if defined(__cplusplus)
#define MINIASYNC_LAYOUT_CHECK_(cond, tag) static_assert(cond, #cond)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define MINIASYNC_LAYOUT_CHECK_(cond, tag) _Static_assert(cond, #cond)
#else
#define MINIASYNC_LAYOUT_CHECK_(cond, tag) \
	typedef char miniasync_layout_check_##tag[(cond) ? 1 : -1]
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum future_state {
	FUTURE_STATE_IDLE,
	FUTURE_STATE_COMPLETE,
	FUTURE_STATE_RUNNING,
};

/* The bookkeeping every future carries; data and output follow it. */
struct future_context {
	size_t data_size;
	size_t output_size;
	enum future_state state;
	uint32_t padding;
};

/* Byte right after the context: the FUTURE() `data` member. */
static inline void *
future_context_get_data(struct future_context *context)
{
	return (char *)context + sizeof(struct future_context);
}

/* data + data_size: the FUTURE() `output` member (see layout rules). */
static inline void *
future_context_get_output(struct future_context *context)
{
	return (char *)future_context_get_data(context) + context->data_size;
}

static inline size_t
future_context_get_size(struct future_context *context)
{
	return context->data_size + context->output_size;
}

typedef void (*future_waker_wake_fn)(void *data);

struct future_waker {
	void *data;
	future_waker_wake_fn wake;
};

struct future_poller {
	uint64_t *ptr_to_monitor;
};

enum future_notifier_type {
	FUTURE_NOTIFIER_NONE,
	FUTURE_NOTIFIER_WAKER,
	FUTURE_NOTIFIER_POLLER,
};

/* Handed to a task by its poller; the task says in notifier_used how it will signal progress. */
struct future_notifier {
	struct future_waker waker;
	struct future_poller poller;
	enum future_notifier_type notifier_used;
	uint32_t padding;
};

enum future_property {
	FUTURE_PROPERTY_ASYNC,
};

typedef enum future_state (*future_task_fn)(struct future_context *context,
	struct future_notifier *notifier);

typedef int (*future_has_property_fn)(void *future,
	enum future_property property);

struct future {
	future_task_fn task;
	future_has_property_fn has_property;
	struct future_context context;
};

#define FUTURE(_name, _data_type, _output_type)\
struct _name {\
	struct future base;\
	_data_type data;\
	_output_type output;\
}

#define FUTURE_INIT_EXT(_futurep, _taskfn, _propertyfn)\
do {\
	(_futurep)->base.task = (_taskfn);\
	(_futurep)->base.has_property = (_propertyfn);\
	(_futurep)->base.context.state = (FUTURE_STATE_IDLE);\
	(_futurep)->base.context.data_size = sizeof((_futurep)->data);\
	(_futurep)->base.context.output_size = sizeof((_futurep)->output);\
	(_futurep)->base.context.padding = 0;\
} while (0)

#define FUTURE_INIT(_futurep, _taskfn)\
	FUTURE_INIT_EXT((_futurep), (_taskfn), future_has_property_default)

/* A future that is complete from the start: no task, no property function. */
#define FUTURE_INIT_COMPLETE(_futurep)\
do {\
	(_futurep)->base.task = NULL;\
	(_futurep)->base.has_property = NULL;\
	(_futurep)->base.context.state = (FUTURE_STATE_COMPLETE);\
	(_futurep)->base.context.data_size = sizeof((_futurep)->data);\
	(_futurep)->base.context.output_size = sizeof((_futurep)->output);\
	(_futurep)->base.context.padding = 0;\
} while (0)

#define FUTURE_AS_RUNNABLE(futurep) (&(futurep)->base)
#define FUTURE_OUTPUT(futurep) (&(futurep)->output)
#define FUTURE_DATA(futurep) (&(futurep)->data)
#define FUTURE_STATE(futurep) ((futurep)->base.context.state)

/* Runs the task unless already complete; polling a complete future is a no-op. */
static inline enum future_state
future_poll(struct future *fut, struct future_notifier *notifier)
{
	if (fut->context.state != FUTURE_STATE_COMPLETE)
		fut->context.state = fut->task(&fut->context, notifier);

	return fut->context.state;
}

/* Non-zero if the future has the property; a NULL property function means none. */
static inline int
future_has_property(struct future *fut, enum future_property property)
{
	if (fut->has_property == NULL)
		return 0;
	return fut->has_property(fut, property);
}

static inline int
future_has_property_default(void *future, enum future_property property)
{
	(void)future;
	(void)property;
	return 0;
}

#define FUTURE_BUSY_POLL(_futurep)\
while (future_poll(FUTURE_AS_RUNNABLE((_futurep)), NULL) !=\
	FUTURE_STATE_COMPLETE) { __FUTURE_WAIT(); }

#define FUTURE_WAKER_WAKE(_wakerp)\
((_wakerp)->wake((_wakerp)->data))

typedef void (*future_map_fn)(struct future_context *lhs,
	struct future_context *rhs, void *arg);

typedef void (*future_init_fn)(void *future,
	struct future_context *chain_fut, void *arg);

enum future_chain_entry_type {
	FUTURE_CHAIN_ENTRY_REGULAR = 1,
	FUTURE_CHAIN_ENTRY_LAST = 2,
};

/* The array size encodes the entry type in sizeof(*flags). */
typedef uint8_t _future_entry_type_regular[FUTURE_CHAIN_ENTRY_REGULAR];
typedef uint8_t _future_entry_type_last[FUTURE_CHAIN_ENTRY_LAST];

#ifdef __cplusplus
/* Same values and type; no old-style casts in C++ user code. */
#define FUTURE_CHAIN_FLAG_ENTRY_LAST (UINT64_C(1) << 0)
#define FUTURE_CHAIN_FLAG_ENTRY_PROCESSED (UINT64_C(1) << 1)
#else
#define FUTURE_CHAIN_FLAG_ENTRY_LAST ((uint64_t)1 << 0)
#define FUTURE_CHAIN_FLAG_ENTRY_PROCESSED ((uint64_t)1 << 1)
#endif
#define FUTURE_CHAIN_VALID_FLAGS\
	(FUTURE_CHAIN_FLAG_ENTRY_LAST | FUTURE_CHAIN_FLAG_ENTRY_PROCESSED)

/*
 * Allows the generic view below to alias the typed entries user code
 * declares with FUTURE_CHAIN_ENTRY (no effect on layout).
 */
#if defined(__GNUC__)
#define MINIASYNC_MAY_ALIAS_ __attribute__((__may_alias__))
#else
#define MINIASYNC_MAY_ALIAS_
#endif

/* Generic view of a chain entry; the concrete future's data and output follow `future`. */
struct MINIASYNC_MAY_ALIAS_ future_chain_entry {
	future_map_fn map;
	void *map_arg;
	future_init_fn init;
	void *init_arg;
	uint64_t flags;
	struct future future;
};

#define FUTURE_CHAIN_ENTRY(_future_type, _name)\
struct {\
	future_map_fn map;\
	void *map_arg;\
	future_init_fn init;\
	void *init_arg;\
	_future_entry_type_regular *flags;\
	_future_type fut;\
} _name

#define FUTURE_CHAIN_ENTRY_LAST(_future_type, _name)\
struct {\
	future_map_fn map;\
	void *map_arg;\
	future_init_fn init;\
	void *init_arg;\
	_future_entry_type_last *flags;\
	_future_type fut;\
} _name

/*
 * The `flags` member is a pointer only so that sizeof(*flags) tells REGULAR
 * from LAST; its 8 bytes hold the uint64_t flags of the generic view.
 * FUTURE_CHAIN_ENTRY_LAST below is the enumerator (the macro is function-like).
 */
#define FUTURE_CHAIN_ENTRY_FLAGS_VALUE_(_entry)\
	(sizeof(*(_entry)->flags) == FUTURE_CHAIN_ENTRY_LAST ?\
		FUTURE_CHAIN_FLAG_ENTRY_LAST : 0)

#ifdef __cplusplus
#define FUTURE_CHAIN_ENTRY_SET_FLAGS_(_entry)\
	((_entry)->flags = reinterpret_cast<decltype((_entry)->flags)>(\
		FUTURE_CHAIN_ENTRY_FLAGS_VALUE_(_entry)))
#else
#define FUTURE_CHAIN_ENTRY_SET_FLAGS_(_entry)\
	((_entry)->flags = (void *)(uintptr_t)FUTURE_CHAIN_ENTRY_FLAGS_VALUE_(_entry))
#endif

#define FUTURE_CHAIN_ENTRY_INIT(_entry, _fut, _map, _map_arg)\
do {\
	(_entry)->fut = (_fut);\
	(_entry)->map = (_map);\
	(_entry)->map_arg = (_map_arg);\
	(_entry)->init = NULL;\
	(_entry)->init_arg = NULL;\
	FUTURE_CHAIN_ENTRY_SET_FLAGS_(_entry);\
} while (0)

/* Like FUTURE_CHAIN_ENTRY_INIT, but the future is built by _init when the chain reaches it. */
#define FUTURE_CHAIN_ENTRY_LAZY_INIT(_entry, _init, _init_arg, _map, _map_arg)\
do {\
	(_entry)->map = (_map);\
	(_entry)->map_arg = (_map_arg);\
	(_entry)->init = (_init);\
	(_entry)->init_arg = (_init_arg);\
	FUTURE_CHAIN_ENTRY_SET_FLAGS_(_entry);\
} while (0)

#define FUTURE_CHAIN_ENTRY_HAS_FLAG(_entry, _flag)\
	(((_entry)->flags & (_flag)) == (_flag))
#define FUTURE_CHAIN_ENTRY_IS_LAST(_entry)\
	FUTURE_CHAIN_ENTRY_HAS_FLAG((_entry), FUTURE_CHAIN_FLAG_ENTRY_LAST)
#define FUTURE_CHAIN_ENTRY_IS_PROCESSED(_entry)\
	FUTURE_CHAIN_ENTRY_HAS_FLAG((_entry), FUTURE_CHAIN_FLAG_ENTRY_PROCESSED)
#define FUTURE_CHAIN_ENTRY_IS_INITIALIZED(_entry) ((_entry)->init == NULL)

/*
 * Runs a pending lazy init of `entry`, accounts its size in *used and
 * returns the entry after it, or NULL at the end of the chain.
 */
static inline struct future_chain_entry *
get_next_future_chain_entry(struct future_context *ctx,
	struct future_chain_entry *entry, uint8_t *data, size_t *used)
{
	if (!FUTURE_CHAIN_ENTRY_IS_INITIALIZED(entry)) {
		entry->init(&entry->future, ctx, entry->init_arg);
		entry->init = NULL;
	}

	size_t size = sizeof(struct future_chain_entry) +
		entry->future.context.data_size +
		entry->future.context.output_size;
	size_t align = sizeof(void *);
	*used += (size + align - 1) & ~(align - 1);

	if (FUTURE_CHAIN_ENTRY_IS_LAST(entry) || *used == ctx->data_size)
		return NULL;
	return (struct future_chain_entry *)(data + *used);
}

/* The task of every chain future: polls entries in order, mapping results forward. */
static inline enum future_state
async_chain_impl(struct future_context *ctx, struct future_notifier *notifier)
{
	uint8_t *data = (uint8_t *)future_context_get_data(ctx);
	struct future_chain_entry *entry = (struct future_chain_entry *)data;
	size_t used = 0;

	while (entry != NULL) {
		struct future_chain_entry *next =
			get_next_future_chain_entry(ctx, entry, data, &used);

		if (!FUTURE_CHAIN_ENTRY_IS_PROCESSED(entry)) {
			if (future_poll(&entry->future, notifier) !=
					FUTURE_STATE_COMPLETE)
				return FUTURE_STATE_RUNNING;

			if (entry->map != NULL) {
				/* map may write into the next future: build it first. */
				if (next != NULL &&
					!FUTURE_CHAIN_ENTRY_IS_INITIALIZED(next)) {
					next->init(&next->future, ctx,
						next->init_arg);
					next->init = NULL;
				}
				entry->map(&entry->future.context,
					next != NULL ? &next->future.context : ctx,
					entry->map_arg);
			}
			entry->flags |= FUTURE_CHAIN_FLAG_ENTRY_PROCESSED;
		}
		entry = next;
	}

	return FUTURE_STATE_COMPLETE;
}

/*
 * The property of the first unprocessed entry (0 when every entry is done).
 * May run lazy init callbacks, as the chain walk does.
 */
static inline int
future_chain_has_property(void *future, enum future_property property)
{
	struct future *fut = (struct future *)future;
	uint8_t *data = (uint8_t *)future_context_get_data(&fut->context);
	struct future_chain_entry *entry = (struct future_chain_entry *)data;
	size_t used = 0;

	while (entry != NULL) {
		struct future_chain_entry *next = get_next_future_chain_entry(
			&fut->context, entry, data, &used);
		if (!FUTURE_CHAIN_ENTRY_IS_PROCESSED(entry))
			return future_has_property(&entry->future, property) ?
				1 : 0;
		entry = next;
	}

	return 0;
}

#define FUTURE_CHAIN_INIT(_futurep)\
	FUTURE_INIT_EXT((_futurep), async_chain_impl, future_chain_has_property)

/* Layouts the inline code and macros rely on (LP64). */
MINIASYNC_LAYOUT_CHECK_(sizeof(enum future_state) == 4, fut_state);
MINIASYNC_LAYOUT_CHECK_(sizeof(enum future_notifier_type) == 4, fut_ntype);
MINIASYNC_LAYOUT_CHECK_(sizeof(enum future_property) == 4, fut_prop);
MINIASYNC_LAYOUT_CHECK_(sizeof(enum future_chain_entry_type) == 4, fut_etype);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct future_context) == 24, fut_ctx);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_context, data_size) == 0, fut_ctx_ds);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_context, output_size) == 8, fut_ctx_os);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_context, state) == 16, fut_ctx_st);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_context, padding) == 20, fut_ctx_pad);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct future_waker) == 16, fut_waker);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_waker, data) == 0, fut_waker_data);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_waker, wake) == 8, fut_waker_wake);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct future_poller) == 8, fut_poller);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct future_notifier) == 32, fut_notifier);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_notifier, waker) == 0, fut_n_waker);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_notifier, poller) == 16, fut_n_poller);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_notifier, notifier_used) == 24, fut_n_used);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_notifier, padding) == 28, fut_n_pad);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct future) == 40, fut_future);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future, task) == 0, fut_task);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future, has_property) == 8, fut_hasprop);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future, context) == 16, fut_context);
MINIASYNC_LAYOUT_CHECK_(sizeof(struct future_chain_entry) == 80, fut_entry);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_chain_entry, map) == 0, fut_e_map);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_chain_entry, map_arg) == 8, fut_e_marg);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_chain_entry, init) == 16, fut_e_init);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_chain_entry, init_arg) == 24, fut_e_iarg);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_chain_entry, flags) == 32, fut_e_flags);
MINIASYNC_LAYOUT_CHECK_(offsetof(struct future_chain_entry, future) == 40, fut_e_future);
MINIASYNC_LAYOUT_CHECK_(sizeof(void *) == sizeof(uint64_t), fut_ptr64);

#ifdef __cplusplus
}
#endif

#endif /* FUTURE_H */
