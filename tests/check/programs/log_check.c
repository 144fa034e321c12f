/*
 * The recovery check of the log program on a crash image: exits 1 when an
 * entry's flag is set but its record is not the one the flag promises (or
 * the flag is neither 0 nor 1), 0 when the log is consistent, 3 when IMAGE
 * cannot be read.
 *   log_check IMAGE
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned char buf[8192];
	FILE *f;
	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL)
		return 3;
	if (fread(buf, 1, sizeof(buf), f) != sizeof(buf)) {
		fclose(f);
		return 3;
	}
	fclose(f);
	for (int i = 0; i < 8; ++i) {
		uint64_t flag;
		memcpy(&flag, buf + 4096 + 64 * i, sizeof(flag));
		if (flag == 0)
			continue;
		if (flag != 1) {
			fprintf(stderr, "log_check: entry %d: bad flag %llu\n", i, (unsigned long long)flag);
			return 1;
		}
		for (int b = 0; b < 64; ++b) {
			if (buf[64 * i + b] != 0x41 + i) {
				fprintf(stderr, "log_check: entry %d: flag set, record not written\n", i);
				return 1;
			}
		}
	}
	return 0;
}
