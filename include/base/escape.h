/*
 * escape.h - append text to a buf escaped for XML/HTML, JSON strings or CSV.
 *
 * Every piece of text that reaches SVG, HTML, JSON or CSV output goes through
 * one of these. Input is borrowed. Bytes that are not valid UTF-8, and control
 * characters, are replaced by U+FFFD, so output is always valid UTF-8.
 * Each returns 0, or -1 when the buf's cap is reached.
 */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>

#include "base/buf.h"

/* & < > " ' become entities; safe in element text and quoted attributes. */
int esc_xml(struct buf *b, const char *s);
/* A JSON string literal, quotes included. */
int esc_json(struct buf *b, const char *s);
/* A CSV field: quoted (with "" doubled) when it holds , " CR or LF. */
int esc_csv(struct buf *b, const char *s);

/* The value of the hex digit c (0-9, a-f, A-F), or -1 (for URL and id decoding). */
int hex_value(int c);

#endif
