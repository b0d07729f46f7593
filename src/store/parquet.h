/*
 * What the Parquet reader (parquet_read.c) offers store.c beyond its ops
 * table and store_parquet_describe() (declared in internal.h).
 */
#ifndef VITALS_STORE_PARQUET_H
#define VITALS_STORE_PARQUET_H

#include <vitals/store.h>

/*
 * Free INFO, made by store_parquet_describe(): the structure, its schema
 * and every string and array it points to. Safe on NULL.
 */
void store_parquet_file_info_free(struct vitals_file_info *info);

#endif
