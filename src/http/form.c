/*
 * form.c - a multipart upload: the checks of its head, its parts through
 * libmicrohttpd's post processor, the file into its temp file (upload.h)
 * and the view fields into r->form (see req.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "http/req.h"
#include "banned.h"

/*
 * A multipart body is the file plus framing and the small fields, so the
 * body may pass max_upload_bytes by this much; the file itself is capped
 * exactly by upload.c.
 */
#define BODY_SLACK_BYTES ((uint64_t)MAX_FORM_BYTES + 8 * (uint64_t)MAX_FIELD_BYTES)

/*
 * The client's file name as the chart shows it, into dst
 * (MAX_FILENAME_BYTES + 1 bytes): after the last '/' or '\', cut to
 * MAX_FILENAME_BYTES without splitting a UTF-8 sequence; "upload" when
 * nothing is left. Only ever shown escaped.
 */
static void form_file_name(char *dst, const char *name) {
    const char *s = name != NULL ? name : "", *p;
    size_t len, i;

    for (p = s; *p != '\0'; p++) {
        if (*p == '/' || *p == '\\')
            s = p + 1;
    }
    len = strlen(s);
    if (len > MAX_FILENAME_BYTES) {
        len = MAX_FILENAME_BYTES;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len == 0) {
        s = "upload";
        len = strlen(s);
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    /* control characters would make the name unusable in a view URL */
    for (i = 0; i < len; i++)
        if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
            dst[i] = '_';
}

static enum MHD_Result on_file(struct req *r, const char *filename, const char *data,
                               uint64_t off, size_t size) {
    const struct options *o = r->h->opts;

    if (!r->file_seen) {
        r->file_seen = 1;
        form_file_name(r->filename, filename);
        if (upload_open(&r->up, o->tmpdir, o->max_upload_bytes, &r->err) == -1) {
            log_warn("req %u: cannot create temp file in '%s'", r->id, o->tmpdir);
            return MHD_NO;
        }
        /* a disk full of kept captures makes way for the upload */
        r->up.room = pipeline_free_disk;
        r->up.room_ctx = &r->h->pl;
        r->file_part = r->parts;
    } else if (r->parts != r->file_part || off != r->up.bytes ||
               (off == 0 && r->up.bytes > 0)) {
        /*
         * Another part named "file", whatever its size or the first's. A
         * part's calls come while its own part number is current (see
         * feed()); the offsets catch it too when the boundary was not ours
         * to find (a continuation goes on at off == bytes).
         */
        err_set(&r->err, 400, "more than one field 'file' in the upload");
        return MHD_NO;
    }
    if (size > 0 && upload_write(&r->up, data, size, &r->err) == -1) {
        if (r->err.status != 413)
            log_warn("req %u: cannot write temp file '%s'", r->id, r->up.path);
        return MHD_NO;
    }
    if (r->early)
        growfile_add(&r->grow, r->up.bytes);
    else if (!r->early_tried && r->up.bytes >= EARLY_MIN_BYTES)
        early_start(r);
    return MHD_YES;
}

/* One chunk of a view field: a new field at off 0, else the last one goes on. */
static enum MHD_Result on_view_field(struct req *r, const char *key, const char *data,
                                     uint64_t off, size_t size) {
    struct form_field *f;

    if (off == 0) {
        if (r->nfields >= MAX_FORM_FIELDS) {
            err_set(&r->err, 400, "more than %d chart fields in the form",
                    MAX_FORM_FIELDS);
            return MHD_NO;
        }
        f = &r->fields[r->nfields++];
        snprintf(f->key, sizeof(f->key), "%s", key);
        f->off = r->form.len;
        f->len = 0;
    } else {
        f = r->nfields > 0 ? &r->fields[r->nfields - 1] : NULL;
        if (f == NULL || strcmp(f->key, key) != 0 || f->len != off) {
            err_set(&r->err, 400, "malformed multipart/form-data body");
            return MHD_NO;
        }
    }
    if (size > MAX_FIELD_BYTES - f->len) {
        err_set(&r->err, 400, "form field '%s' longer than %d bytes", key,
                MAX_FIELD_BYTES);
        return MHD_NO;
    }
    if (size > 0 && buf_append(&r->form, data, size) == -1) {
        err_set(&r->err, 400, "chart fields of the form larger than %d bytes in all",
                MAX_FORM_BYTES);
        return MHD_NO;
    }
    f->len += size;
    return MHD_YES;
}

/* MHD_PostDataIterator: one chunk of one form field. */
static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data,
                                uint64_t off, size_t size) {
    struct req *r = cls;

    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (r->err.status != 0)
        return MHD_NO;
    if (key == NULL)
        return MHD_YES;
    if (strcmp(key, "file") == 0)
        return on_file(r, filename, data, off, size);
    if (!view_known_key(key))
        return MHD_YES; /* a field we do not use */
    return on_view_field(r, key, data, off, size);
}

/*
 * The multipart delimiter of Content-Type ctype ("\r\n--" and the boundary)
 * into r->delim; none (delim_len 0) when there is no boundary of at most
 * MULTIPART_BOUNDARY_MAX_BYTES without CR or LF (MHD still judges the body).
 */
static void find_delim(struct req *r, const char *ctype) {
    const char *b = NULL, *e, *p;
    size_t n;

    r->delim_len = 0;
    for (p = ctype; *p != '\0' && b == NULL; p++)
        if (strncasecmp(p, "boundary=", 9) == 0)
            b = p + 9;
    if (b == NULL)
        return;
    if (*b == '"')
        e = strchr(++b, '"');
    else
        e = b + strcspn(b, "; \t");
    n = e != NULL ? (size_t)(e - b) : 0;
    if (n == 0 || n > MULTIPART_BOUNDARY_MAX_BYTES || strcspn(b, "\r\n") < n)
        return;
    memcpy(r->delim, "\r\n--", 4);
    memcpy(r->delim + 4, b, n);
    r->delim_len = n + 4;
    r->delim_match = 2; /* the body's first delimiter has no CRLF before it */
}

/*
 * RFC 2045 5.1: parameter names are case-insensitive, but libmicrohttpd
 * 0.9.75's post processor looks for "boundary=" with strstr. So the name
 * of the boundary parameter is lower-cased where the Content-Type value
 * lies: in the connection's own buffer (writable memory, alive as long as
 * the request; the const of MHD's lookup is a promise we break only here).
 * The value itself, the boundary, is left exactly as it was.
 */
static void normalise_boundary(const char *ctype) {
    char *p;
    size_t i;

    for (p = (char *)(uintptr_t)ctype; *p != '\0'; p++) {
        if (strncasecmp(p, "boundary=", 9) == 0) {
            for (i = 0; i < 8; i++)
                p[i] = "boundary"[i];
            return;
        }
    }
}

/* 1 when a Content-Length header says the body is past the cap. */
static int too_long(struct MHD_Connection *conn, uint64_t max) {
    const char *clen;
    unsigned long long n;
    char *end;

    clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen == NULL)
        return 0;
    errno = 0;
    n = strtoull(clen, &end, 10);
    /* MHD already refused a malformed Content-Length; be strict anyway */
    return errno == 0 && end != clen && *end == '\0' && (uint64_t)n > max &&
           (uint64_t)n - max > BODY_SLACK_BYTES;
}

void form_begin(struct req *r, struct MHD_Connection *conn) {
    const struct options *o = r->h->opts;
    const char *ctype;

    ctype =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ctype == NULL || strncasecmp(ctype, "multipart/form-data", 19) != 0 ||
        (ctype[19] != '\0' && ctype[19] != ';' && ctype[19] != ' ')) {
        err_set(&r->err, 415,
                "expected a multipart/form-data upload with the capture in field 'file'");
        return;
    }
    if (too_long(conn, o->max_upload_bytes)) {
        err_set(&r->err, 413, "upload larger than %" PRIu64 " bytes",
                o->max_upload_bytes);
        return;
    }
    /* the query's parameters can be judged now; the form's come with the body */
    if (req_build_view(r, conn, (enum view_format)r->route->format, 0, &r->err) == -1)
        return;
    if (slots_full(&r->h->slots)) {
        err_set(&r->err, 503,
                "busy: all %d analysis slots and %d queue places are taken, try again "
                "in %d s",
                o->jobs, o->queue, RETRY_AFTER_S);
        return;
    }
    normalise_boundary(ctype);
    r->pp = MHD_create_post_processor(conn, HTTP_POST_BUFFER_BYTES, on_field, r);
    if (r->pp == NULL)
        err_set(&r->err, 400, "multipart/form-data upload without a boundary");
    else
        find_delim(r, ctype);
}

/*
 * Feed body bytes to the post processor in pieces that end where a part
 * delimiter ends, counting the delimiters in r->parts after each piece.
 * MHD finds a delimiter that ends its input at once, and a part's header
 * comes after it, so every iterator call runs while r->parts numbers its
 * own part -- which the call's arguments cannot say: an empty part is one
 * call at offset 0 of size 0, and so is a part whose bytes are late, whose
 * data then comes at offset 0 again. 0, or -1 when MHD refused the body.
 * The boundary holds no CR or LF, so a mismatch restarts at '\r' or at 0.
 */
static int feed(struct req *r, const char *data, size_t size) {
    size_t i, start = 0;

    for (i = 0; i < size && r->delim_len > 0; i++) {
        if (data[i] == r->delim[r->delim_match])
            r->delim_match++;
        else
            r->delim_match = data[i] == '\r';
        if (r->delim_match == r->delim_len) {
            if (MHD_post_process(r->pp, data + start, i + 1 - start) != MHD_YES)
                return -1;
            r->parts++;
            r->delim_match = 0;
            start = i + 1;
        }
    }
    if (start < size && MHD_post_process(r->pp, data + start, size - start) != MHD_YES)
        return -1;
    return 0;
}

void form_body(struct req *r, const char *data, size_t size) {
    uint64_t max = r->h->opts->max_upload_bytes;

    r->body_bytes += size;
    if (r->err.status != 0 || r->pp == NULL)
        return; /* draining, or a body nobody asked for */
    if (r->body_bytes > max && r->body_bytes - max > BODY_SLACK_BYTES) {
        err_set(&r->err, 413, "upload larger than %" PRIu64 " bytes", max);
    } else if (feed(r, data, size) == -1 && r->err.status == 0) {
        err_set(&r->err, 400, "malformed multipart/form-data body");
    }
    if (r->err.status != 0) {
        if (r->early)
            growfile_end(&r->grow, 0); /* its tshark stops now; req_free joins */
        upload_release(&r->up);        /* nothing more goes into it: free the disk now */
    }
}

int form_end(struct req *r) {
    int rc;

    if (r->pp != NULL) {
        /* also checks the body ended where multipart says it should */
        rc = MHD_destroy_post_processor(r->pp) == MHD_YES ? 0 : -1;
        r->pp = NULL;
        if (rc == -1 && r->err.status == 0)
            err_set(&r->err, 400, "incomplete multipart/form-data body");
    }
    return r->err.status != 0 ? -1 : 0;
}
