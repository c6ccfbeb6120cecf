/*
 * fd.h - small helpers for the file descriptors we own.
 *
 * Every descriptor of ours is CLOEXEC from birth (STYLE: MHD threads start
 * children concurrently), and is -1 when closed, so a fail: tail may close
 * whatever is set.
 */
#ifndef FD_H
#define FD_H

/*
 * Close *fd when it is open (>= 0) and set it to -1; errno is left as it
 * was, so a fail: tail can close before reporting. Safe on -1 and twice.
 */
void fd_close(int *fd);

/*
 * Move *fd (CLOEXEC) to a number above 2 when it is 0..2, so the dup2()s of
 * a child's stdio cannot clobber it. 0, or -1 with errno (*fd unchanged).
 */
int fd_above_stdio(int *fd);

#endif
