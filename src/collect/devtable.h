/*
 * A table of named devices (disks, network interfaces) that persists
 * between samples, so a source keeps each device's previous counters.
 *
 * Items are allocated once and never move, so pointers to their entities
 * stay valid for the whole sample. The table only grows: a slot is reused
 * for a new name only once its device was absent from the previous sample
 * too, so nothing is allocated per sample while the device set is steady.
 */
#ifndef VITALS_COLLECT_DEVTABLE_H
#define VITALS_COLLECT_DEVTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "collect/sysparse.h"

/* The first member of every item. */
struct devhead {
	char name[DEV_NAME_MAX];
	uint64_t seen; /* generation of the sample that last saw the device */
};

struct devtable {
	struct devhead **items;
	size_t count, cap;
	size_t item_size; /* bytes of one item, struct devhead included */
	size_t max;       /* items never exceed this */
	size_t hint;      /* where the next lookup starts: devices come in the same order */
	uint64_t gen;     /* generation of the current sample, from 1 */
};

void devtable_init(struct devtable *t, size_t item_size, size_t max);
void devtable_release(struct devtable *t);
/* Start a sample: every device is unseen until devtable_get() finds it. */
void devtable_begin(struct devtable *t);
/*
 * The item for NAME in this sample, marked seen. *CONTINUED is 1 when the
 * device was also in the previous sample (its saved counters are usable),
 * else 0 and the item is zeroed apart from its name. NULL when out of
 * memory, over the table's max, or NAME was already seen in this sample.
 */
void *devtable_get(struct devtable *t, const char *name, int *continued);

#endif
