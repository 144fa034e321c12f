/*
 * c_vdm_dml.c -- libminiasync-vdm-dml used from plain C: every function of
 * the API, each type, each flag, as a program written for miniasync's DML
 * mover uses them.
 */
#include <libminiasync-vdm-dml.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                              \
		}                                                              \
	} while (0)

static int
run(struct vdm *v, unsigned long long flags)
{
	char src[300], dst[300];
	struct runtime *r = runtime_new();
	CHECK(r != NULL);
	memset(src, (int)(flags + 1), sizeof(src));
	memset(dst, 0, sizeof(dst));
	struct vdm_operation_future c = vdm_memcpy(v, dst, src, sizeof(src), flags);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&c));
	CHECK(FUTURE_OUTPUT(&c)->result == VDM_SUCCESS);
	CHECK(data_mover_dml_status(&c) == 0);
	CHECK(memcmp(dst, src, sizeof(src)) == 0);
	struct vdm_operation_future m = vdm_memmove(v, dst + 1, dst, 100, flags);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&m));
	CHECK(FUTURE_OUTPUT(&m)->output.memmove.dest == dst + 1);
	struct vdm_operation_future s = vdm_memset(v, dst, 7, 50, flags);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&s));
	CHECK(dst[0] == 7 && dst[49] == 7);
	struct vdm_operation_future f = vdm_flush(v, dst, sizeof(dst), flags);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	CHECK(FUTURE_OUTPUT(&f)->type == VDM_OPERATION_FLUSH);
	runtime_delete(r);
	return 0;
}

int
main(void)
{
	enum data_mover_dml_type types[] = {DATA_MOVER_DML_SOFTWARE, DATA_MOVER_DML_AUTO};
	unsigned long long flag_sets[] = {0, VDM_F_MEM_DURABLE, VDM_F_NO_CACHE_HINT,
		VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT};
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
		struct data_mover_dml *d = data_mover_dml_new(types[t]);
		CHECK(d != NULL);
		struct vdm *v = data_mover_dml_get_vdm(d);
		CHECK(v != NULL);
		CHECK(vdm_is_supported(v, VDM_F_MEM_DURABLE));
		for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); ++i)
			if (run(v, flag_sets[i]) != 0)
				return 1;
		data_mover_dml_delete(d);
	}
	/* HARDWARE works or says why not; no machine this runs on in CI has DSA. */
	struct data_mover_dml *h = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	if (h == NULL) {
		CHECK(errno == ENODEV);
		CHECK(strlen(data_mover_dml_errormsg()) > 0);
		printf("HARDWARE: %s\n", data_mover_dml_errormsg());
	} else {
		CHECK(data_mover_dml_get_path(h) == DATA_MOVER_DML_HARDWARE);
		data_mover_dml_delete(h);
	}
	data_mover_dml_delete(NULL);
	CHECK(data_mover_dml_get_vdm(NULL) == NULL);

	/* The native config, from C: every setter, then a mover from it. */
	struct data_mover_dml_config *cfg = NULL;
	CHECK(data_mover_dml_config_new(&cfg) == 0);
	CHECK(data_mover_dml_config_set_type(cfg, DATA_MOVER_DML_AUTO) == 0);
	CHECK(data_mover_dml_config_set_queues(cfg, "") == 0);
	CHECK(data_mover_dml_config_set_queues(cfg, "wq0.0,x") == -EINVAL);
	CHECK(data_mover_dml_config_set_numa(cfg, DATA_MOVER_DML_NUMA_DESTINATION) == 0);
	CHECK(data_mover_dml_config_set_threshold(cfg, DATA_MOVER_DML_THRESHOLD_AUTO) == 0);
	CHECK(data_mover_dml_config_set_wait(cfg, DATA_MOVER_DML_WAIT_PAUSE) == 0);
	struct data_mover_dml *n = data_mover_dml_new_config(cfg);
	CHECK(n != NULL);
	if (data_mover_dml_get_path(n) == DATA_MOVER_DML_SOFTWARE) {
		CHECK(data_mover_dml_get_threshold(n) == (size_t)-1);
		CHECK(strcmp(data_mover_dml_get_queues(n), "") == 0);
	}
	if (run(data_mover_dml_get_vdm(n), VDM_F_MEM_DURABLE) != 0)
		return 1;
	data_mover_dml_delete(n);
	data_mover_dml_config_delete(&cfg);
	CHECK(cfg == NULL);
	puts("c_vdm_dml: every function, type and flag");
	return 0;
}
