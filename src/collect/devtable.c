#include "collect/devtable.h"

#include <stdlib.h>
#include <string.h>

#include "util/parse.h"

void devtable_init(struct devtable *t, size_t item_size, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->item_size = item_size;
	t->max = max;
}

void devtable_release(struct devtable *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->items[i]);
	free(t->items);
	t->items = NULL;
	t->count = t->cap = 0;
}

void devtable_begin(struct devtable *t)
{
	t->gen++;
	t->hint = 0;
}

static struct devhead *devtable_find(struct devtable *t, const char *name)
{
	for (size_t k = 0; k < t->count; k++) {
		size_t i = (t->hint + k) % t->count;

		if (strcmp(t->items[i]->name, name) == 0) {
			t->hint = i + 1;
			return t->items[i];
		}
	}
	return NULL;
}

/* A slot for a new device: a stale one, or a new allocation. */
static struct devhead *devtable_slot(struct devtable *t)
{
	struct devhead *h;

	for (size_t i = 0; i < t->count; i++)
		if (t->items[i]->seen + 1 < t->gen)
			return t->items[i];
	if (t->count >= t->max)
		return NULL;
	if (t->count == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		struct devhead **p = realloc(t->items, ncap * sizeof(*p));

		if (!p)
			return NULL;
		t->items = p;
		t->cap = ncap;
	}
	h = calloc(1, t->item_size);
	if (!h)
		return NULL;
	t->items[t->count++] = h;
	return h;
}

void *devtable_get(struct devtable *t, const char *name, int *continued)
{
	struct devhead *h = devtable_find(t, name);

	*continued = 0;
	if (h) {
		if (h->seen == t->gen)
			return NULL; /* the same name twice in one reading */
		*continued = h->seen + 1 == t->gen;
		if (!*continued) {
			memset(h, 0, t->item_size);
			copy_bounded(h->name, sizeof(h->name), name, strlen(name));
		}
		h->seen = t->gen;
		return h;
	}
	h = devtable_slot(t);
	if (!h)
		return NULL;
	memset(h, 0, t->item_size);
	copy_bounded(h->name, sizeof(h->name), name, strlen(name));
	h->seen = t->gen;
	return h;
}
