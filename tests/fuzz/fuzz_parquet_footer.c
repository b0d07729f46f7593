/*
 * Fuzz the Parquet footer and page header decoders with the same bytes.
 * Whatever decodes must encode, decode again to the same values, and (for
 * a page header) ask for more bytes when any of its tail is cut off;
 * whatever fails must say why with a known status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/common.h>

#include "pqmeta_equal.h"
#include "store/pqmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure leaves a terminated, non-empty message. */
static void check_message(const char *err, size_t errlen)
{
	if (!memchr(err, 0, errlen) || err[0] == 0)
		abort();
}

static void fuzz_footer(const uint8_t *data, size_t size)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct pq_file_meta m, again;
	char err[256];
	int rc;

	err[0] = 0;
	rc = pq_meta_decode(&m, data, size, err, sizeof(err));
	if (rc != 0) {
		if (rc != VITALS_E_PARSE && rc != VITALS_E_NOMEM)
			abort();
		check_message(err, sizeof(err));
		if (m.schema || m.row_groups || m.kv || m.created_by || m.column_orders)
			abort();
		return;
	}
	if (pq_meta_encode(&m, &b) != 0)
		abort();
	if (pq_meta_decode(&again, b.p, b.len, err, sizeof(err)) != 0)
		abort();
	if (pq_meta_differs(&m, &again))
		abort();
	pq_meta_release(&again);
	pq_meta_release(&m);
	bytebuf_release(&b);
}

static void fuzz_page_header(const uint8_t *data, size_t size)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct pq_page_header h, again;
	char err[256];
	size_t used = 0, used2 = 0;
	int rc;

	err[0] = 0;
	rc = pq_page_header_decode(&h, data, size, &used, err, sizeof(err));
	if (rc != 0) {
		if (rc != VITALS_E_PARSE && rc != VITALS_E_MISSING)
			abort();
		check_message(err, sizeof(err));
		return;
	}
	if (used == 0 || used > size || h.uncompressed_size < 0 || h.compressed_size < 0 ||
	    h.num_values < 0)
		abort();
	/* The header cut short anywhere asks for more bytes. */
	if (pq_page_header_decode(&again, data, used - 1, &used2, err, sizeof(err)) !=
	    VITALS_E_MISSING)
		abort();
	if (used > 2 && pq_page_header_decode(&again, data, used / 2, &used2, err, sizeof(err)) !=
	                    VITALS_E_MISSING)
		abort();
	if (pq_page_header_encode(&h, &b) != 0)
		abort();
	if (pq_page_header_decode(&again, b.p, b.len, &used2, err, sizeof(err)) != 0)
		abort();
	if (used2 != b.len || pq_page_header_differs(&h, &again))
		abort();
	bytebuf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	fuzz_footer(data, size);
	fuzz_page_header(data, size);
	return 0;
}
