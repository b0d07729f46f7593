/*
 * Fuzz the JSON lines reader: the input (after an options byte, see
 * textfuzz.h) is a .jsonl file read whole; what reads without error must
 * survive being written back and read again unchanged, except for bytes
 * that are not UTF-8, which the writer turns into U+FFFD.
 */
#include "textfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return tf_run(".jsonl", 1, data, size);
}
