// zlib, for reading gzip-compressed Kaggle CSV files.
#ifndef KEYFACE_CZLIB_SHIM_H
#define KEYFACE_CZLIB_SHIM_H
#include <zlib.h>
#endif
