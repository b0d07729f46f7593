/*
 * Deep comparison of decoded Parquet footers and page headers, for the
 * round-trip checks of test_pqmeta and fuzz_parquet_footer. Each function
 * returns NULL when A and B hold the same values, else the name of the
 * first member that differs.
 *
 * A is the first decoding and B the decoding of A's encoding, so what the
 * encoder cannot write back is allowed to differ in that one way: a
 * LogicalType member unknown to the decoder (PQ_LT_OTHER) comes back as
 * none.
 */
#ifndef VITALS_TEST_PQMETA_EQUAL_H
#define VITALS_TEST_PQMETA_EQUAL_H

#include <string.h>

#include "store/pqmeta.h"

static inline int pqe_str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

static inline int pqe_bin_differs(int has_a, const uint8_t *a, uint32_t la, int has_b,
                                  const uint8_t *b, uint32_t lb)
{
	if (has_a != has_b)
		return 1;
	if (!has_a)
		return 0;
	return la != lb || (la && memcmp(a, b, la) != 0);
}

static inline const char *pqe_logical(const struct pq_logical *a, const struct pq_logical *b)
{
	if (a->kind == PQ_LT_OTHER)
		return b->kind == PQ_LT_NONE ? NULL : "logical.kind (other)";
	if (a->kind != b->kind)
		return "logical.kind";
	if (a->unit != b->unit)
		return "logical.unit";
	if (a->utc != b->utc)
		return "logical.utc";
	if (a->bit_width != b->bit_width)
		return "logical.bit_width";
	if (a->is_signed != b->is_signed)
		return "logical.is_signed";
	if (a->scale != b->scale || a->precision != b->precision)
		return "logical.scale/precision";
	return NULL;
}

static inline const char *pqe_schema(const struct pq_schema_element *a,
                                     const struct pq_schema_element *b)
{
	if (pqe_str_differs(a->name, b->name))
		return "schema.name";
	if (a->has_type != b->has_type || (a->has_type && a->type != b->type))
		return "schema.type";
	if (a->type_length != b->type_length)
		return "schema.type_length";
	if (a->has_repetition != b->has_repetition ||
	    (a->has_repetition && a->repetition != b->repetition))
		return "schema.repetition";
	if (a->num_children != b->num_children)
		return "schema.num_children";
	if (a->has_converted != b->has_converted ||
	    (a->has_converted && a->converted != b->converted))
		return "schema.converted";
	if (a->scale != b->scale || a->precision != b->precision)
		return "schema.scale/precision";
	return pqe_logical(&a->logical, &b->logical);
}

static inline const char *pqe_stats(const struct pq_statistics *a, const struct pq_statistics *b)
{
	if (pqe_bin_differs(a->has_min_value, a->min_value, a->min_value_len, b->has_min_value,
	                    b->min_value, b->min_value_len))
		return "stats.min_value";
	if (pqe_bin_differs(a->has_max_value, a->max_value, a->max_value_len, b->has_max_value,
	                    b->max_value, b->max_value_len))
		return "stats.max_value";
	if (pqe_bin_differs(a->has_min, a->min, a->min_len, b->has_min, b->min, b->min_len))
		return "stats.min";
	if (pqe_bin_differs(a->has_max, a->max, a->max_len, b->has_max, b->max, b->max_len))
		return "stats.max";
	if (a->has_null_count != b->has_null_count ||
	    (a->has_null_count && a->null_count != b->null_count))
		return "stats.null_count";
	if (a->has_distinct_count != b->has_distinct_count ||
	    (a->has_distinct_count && a->distinct_count != b->distinct_count))
		return "stats.distinct_count";
	return NULL;
}

static inline const char *pqe_column_meta(const struct pq_column_meta *a,
                                          const struct pq_column_meta *b)
{
	if (a->type != b->type)
		return "meta.type";
	if (a->encoding_count != b->encoding_count ||
	    (a->encoding_count &&
	     memcmp(a->encodings, b->encodings, a->encoding_count * sizeof(*a->encodings)) != 0))
		return "meta.encodings";
	if (a->path_count != b->path_count)
		return "meta.path_count";
	for (uint32_t i = 0; i < a->path_count; i++)
		if (pqe_str_differs(a->path[i], b->path[i]))
			return "meta.path";
	if (a->codec != b->codec)
		return "meta.codec";
	if (a->num_values != b->num_values)
		return "meta.num_values";
	if (a->total_uncompressed_size != b->total_uncompressed_size)
		return "meta.total_uncompressed_size";
	if (a->total_compressed_size != b->total_compressed_size)
		return "meta.total_compressed_size";
	if (a->data_page_offset != b->data_page_offset)
		return "meta.data_page_offset";
	if (a->has_index_page_offset != b->has_index_page_offset ||
	    (a->has_index_page_offset && a->index_page_offset != b->index_page_offset))
		return "meta.index_page_offset";
	if (a->has_dictionary_page_offset != b->has_dictionary_page_offset ||
	    (a->has_dictionary_page_offset &&
	     a->dictionary_page_offset != b->dictionary_page_offset))
		return "meta.dictionary_page_offset";
	if (a->has_statistics != b->has_statistics)
		return "meta.has_statistics";
	return a->has_statistics ? pqe_stats(&a->stats, &b->stats) : NULL;
}

static inline const char *pqe_row_group(const struct pq_row_group *a, const struct pq_row_group *b)
{
	const char *d;

	if (a->column_count != b->column_count)
		return "row_group.column_count";
	for (uint32_t i = 0; i < a->column_count; i++) {
		const struct pq_column_chunk *ca = &a->columns[i], *cb = &b->columns[i];

		if (pqe_str_differs(ca->file_path, cb->file_path))
			return "column.file_path";
		if (ca->file_offset != cb->file_offset)
			return "column.file_offset";
		if (ca->has_meta != cb->has_meta)
			return "column.has_meta";
		if (ca->has_meta && (d = pqe_column_meta(&ca->meta, &cb->meta)))
			return d;
	}
	if (a->total_byte_size != b->total_byte_size)
		return "row_group.total_byte_size";
	if (a->num_rows != b->num_rows)
		return "row_group.num_rows";
	if (a->has_file_offset != b->has_file_offset ||
	    (a->has_file_offset && a->file_offset != b->file_offset))
		return "row_group.file_offset";
	if (a->has_total_compressed_size != b->has_total_compressed_size ||
	    (a->has_total_compressed_size && a->total_compressed_size != b->total_compressed_size))
		return "row_group.total_compressed_size";
	if (a->has_ordinal != b->has_ordinal || (a->has_ordinal && a->ordinal != b->ordinal))
		return "row_group.ordinal";
	return NULL;
}

static inline const char *pq_meta_differs(const struct pq_file_meta *a,
                                          const struct pq_file_meta *b)
{
	const char *d;

	if (a->version != b->version)
		return "version";
	if (a->schema_count != b->schema_count)
		return "schema_count";
	for (uint32_t i = 0; i < a->schema_count; i++)
		if ((d = pqe_schema(&a->schema[i], &b->schema[i])))
			return d;
	if (a->num_rows != b->num_rows)
		return "num_rows";
	if (a->row_group_count != b->row_group_count)
		return "row_group_count";
	for (uint32_t i = 0; i < a->row_group_count; i++)
		if ((d = pqe_row_group(&a->row_groups[i], &b->row_groups[i])))
			return d;
	if (a->kv_count != b->kv_count)
		return "kv_count";
	for (uint32_t i = 0; i < a->kv_count; i++)
		if (pqe_str_differs(a->kv[i].key, b->kv[i].key) ||
		    pqe_str_differs(a->kv[i].value, b->kv[i].value))
			return "kv";
	if (pqe_str_differs(a->created_by, b->created_by))
		return "created_by";
	if (a->column_order_count != b->column_order_count)
		return "column_order_count";
	for (uint32_t i = 0; i < a->column_order_count; i++)
		if (a->column_orders[i] != b->column_orders[i])
			return "column_orders";
	return NULL;
}

/* Only the members A's page type uses. */
static inline const char *pq_page_header_differs(const struct pq_page_header *a,
                                                 const struct pq_page_header *b)
{
	if (a->type != b->type)
		return "type";
	if (a->uncompressed_size != b->uncompressed_size)
		return "uncompressed_size";
	if (a->compressed_size != b->compressed_size)
		return "compressed_size";
	if (a->has_crc != b->has_crc || (a->has_crc && a->crc != b->crc))
		return "crc";
	switch (a->type) {
	case PQ_PAGE_DATA:
		if (a->num_values != b->num_values || a->encoding != b->encoding ||
		    a->def_level_encoding != b->def_level_encoding ||
		    a->rep_level_encoding != b->rep_level_encoding)
			return "data_page_header";
		break;
	case PQ_PAGE_DATA_V2:
		if (a->num_values != b->num_values || a->encoding != b->encoding ||
		    a->num_nulls != b->num_nulls || a->num_rows != b->num_rows ||
		    a->def_levels_byte_length != b->def_levels_byte_length ||
		    a->rep_levels_byte_length != b->rep_levels_byte_length ||
		    a->is_compressed != b->is_compressed)
			return "data_page_header_v2";
		break;
	case PQ_PAGE_DICTIONARY:
		if (a->dict_num_values != b->dict_num_values ||
		    a->dict_encoding != b->dict_encoding || a->dict_is_sorted != b->dict_is_sorted)
			return "dictionary_page_header";
		break;
	default:
		break;
	}
	return NULL;
}

#endif
