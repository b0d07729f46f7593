/*
 * Fuzz the CSV reader: the input (after an options byte, see textfuzz.h)
 * is a .csv file read whole; what reads without error must survive being
 * written back and read again unchanged.
 */
#include "textfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tf_run(".csv", 0, data, size);
}
