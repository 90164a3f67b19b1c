// Includes FFmpeg's public headers and re-exports the macros Swift cannot import.
#ifndef KEYFACE_CFFMPEG_SHIM_H
#define KEYFACE_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/dict.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libavutil/mathematics.h>

static inline int swift_AVERROR(int e) { return AVERROR(e); }
static inline int swift_AVERROR_EOF(void) { return AVERROR_EOF; }
static inline int swift_AVERROR_EAGAIN(void) { return AVERROR(EAGAIN); }
static inline int swift_AVERROR_INVALIDDATA(void) { return AVERROR_INVALIDDATA; }
static inline int64_t swift_AV_NOPTS_VALUE(void) { return AV_NOPTS_VALUE; }
static inline int swift_AVERROR_EXIT(void) { return AVERROR_EXIT; }
static inline int swift_AVERROR_STREAM_NOT_FOUND(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int swift_AVERROR_DECODER_NOT_FOUND(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline AVRational swift_AV_TIME_BASE_Q(void) { return AV_TIME_BASE_Q; }

#endif
