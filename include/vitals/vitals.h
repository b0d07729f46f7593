/*
 * vitals: a system and process monitor for Linux.
 *
 * This is the umbrella header: include it to get the whole public API.
 * Every public function returns a status (VITALS_OK on success) or a value
 * documented in its header; the library never exits or aborts on a
 * recoverable failure, and keeps a message the caller can print.
 */
#ifndef VITALS_VITALS_H
#define VITALS_VITALS_H

#include <vitals/common.h>
#include <vitals/collector.h>
#include <vitals/proctree.h>
#include <vitals/table.h>
#include <vitals/store.h>
#include <vitals/record.h>
#include <vitals/logger.h>

#endif
