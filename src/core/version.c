/* version.c - the version of the linked library. */
#include "clvsim/clvsim.h"

const char *clv_version(void) { return CLV_VERSION; }
