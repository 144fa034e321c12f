/*
 * Shared by the seeded programs that `pmem2 check` runs in the tests
 * (tests/tool/tool_test.sh, check_* cases): open FILE and map it whole from
 * `offset`, or exit 3 with a message. A program that defines SEEDED_ASYNC
 * may map with a mover (seeded_open_vdm); the others use libpmem2.h alone,
 * so they build against PMDK's headers too.
 */
#ifndef SEEDED_H
#define SEEDED_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libpmem2.h>
#ifdef SEEDED_ASYNC
#include <libpmem2/async.h>
/* The async part of libpmem2 carries the original's deprecation mark. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

struct vdm;

struct seeded {
	int fd;
	struct pmem2_source *src;
	struct pmem2_map *map;
	char *addr;
};

static inline void seeded_die(const char *what)
{
	pmem2_perror("%s", what);
	exit(3);
}

static inline void seeded_open_vdm(struct seeded *s, const char *path, size_t offset,
	struct vdm *vdm)
{
	struct pmem2_config *cfg;
	s->fd = open(path, O_RDWR);
	if (s->fd < 0) {
		perror(path);
		exit(3);
	}
	if (pmem2_source_from_fd(&s->src, s->fd))
		seeded_die("pmem2_source_from_fd");
	if (pmem2_config_new(&cfg))
		seeded_die("pmem2_config_new");
	if (pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE))
		seeded_die("pmem2_config_set_required_store_granularity");
	if (offset != 0 && pmem2_config_set_offset(cfg, offset))
		seeded_die("pmem2_config_set_offset");
#ifdef SEEDED_ASYNC
	if (vdm != NULL && pmem2_config_set_vdm(cfg, vdm))
		seeded_die("pmem2_config_set_vdm");
#else
	(void)vdm;
#endif
	if (pmem2_map_new(&s->map, cfg, s->src))
		seeded_die("pmem2_map_new");
	pmem2_config_delete(&cfg);
	s->addr = pmem2_map_get_address(s->map);
}

static inline void seeded_open(struct seeded *s, const char *path, size_t offset)
{
	seeded_open_vdm(s, path, offset, NULL);
}

static inline void seeded_close(struct seeded *s)
{
	if (pmem2_map_delete(&s->map))
		seeded_die("pmem2_map_delete");
	pmem2_source_delete(&s->src);
	close(s->fd);
}

#endif
