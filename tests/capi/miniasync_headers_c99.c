/* The headers under -std=c99 -pedantic-errors, with the macros expanded. */
#include <libminiasync.h>

struct tiny_data {
	uint64_t v;
};
struct tiny_output {
	uint64_t v;
};
FUTURE(tiny_future, struct tiny_data, struct tiny_output);

struct tiny_chain_data {
	FUTURE_CHAIN_ENTRY(struct tiny_future, first);
	FUTURE_CHAIN_ENTRY_LAST(struct vdm_operation_future, second);
};
struct tiny_chain_output {
	uint64_t v;
};
FUTURE(tiny_chain_future, struct tiny_chain_data, struct tiny_chain_output);

static enum future_state
tiny_task(struct future_context *ctx, struct future_notifier *n)
{
	(void)ctx;
	(void)n;
	return FUTURE_STATE_COMPLETE;
}

int
main(void)
{
	struct data_mover_sync *dms = data_mover_sync_new();
	struct tiny_future t;
	struct tiny_chain_future c;
	char a[4] = "abc", b[4] = {0};
	if (dms == NULL)
		return 1;
	FUTURE_INIT(&t, tiny_task);
	FUTURE_CHAIN_ENTRY_INIT(&c.data.first, t, NULL, NULL);
	FUTURE_CHAIN_ENTRY_INIT(&c.data.second,
		vdm_memcpy(data_mover_sync_get_vdm(dms), b, a, 4, 0), NULL, NULL);
	FUTURE_CHAIN_INIT(&c);
	FUTURE_BUSY_POLL(&c)
	data_mover_sync_delete(dms);
	return b[2] == 'c' ? 0 : 1;
}
