/*
 * tmpfile.h - create a private file under a random name in a directory.
 *
 * For every file of ours that must not exist before us and no other user
 * may read: uploads being spooled (http/upload) and the store's copies.
 * Thread-safe.
 */
#ifndef TMPFILE_H
#define TMPFILE_H

#include <stddef.h>

/*
 * Create <dir>/<prefix>XXXXXX (dir and prefix borrowed; the X's become 6
 * random characters) exclusively, with O_CLOEXEC from birth and mode 0600,
 * and write its path into path (n bytes). Returns the fd (owned: the caller
 * closes it, and unlinks path when done), or -1 with errno (ENAMETOOLONG
 * when the path does not fit in n) with path "" and nothing left behind.
 */
int tmpfile_create(const char *dir, const char *prefix, char *path, size_t n);

#endif
