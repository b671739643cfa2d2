// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "tls_discover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "tls_util.h"

#define PROC_MAX_FILES 6 /* libssl, libcrypto, the executable, and a second OpenSSL */
#define MAX_FILES 1024 /* OpenSSL files probed, host-wide */
#define MAX_OTHER_FILES 1024 /* libssl-named files that are not OpenSSL, remembered */
/* Of each of the two, per mount namespace other than the agent's: one container
 * cannot use up the probing of the host. */
#define MNTNS_MAX_FILES 32
#define DIR_MAX_CANDIDATES 4096 /* libssl-named entries looked at per directory */
#define MAX_MNTNS 8192
#define MAX_EXES 8192

#if defined(__x86_64__)
#define TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define TRIPLET "aarch64-linux-gnu"
#else
#define TRIPLET "unknown"
#endif

/* Where dynamic loaders find OpenSSL without being told (glibc's trusted directories,
 * Debian multiarch, Alpine and RHEL layouts). A directory that is a symlink is skipped:
 * an absolute link would resolve against the agent's root, not the namespace's, and
 * its target is in the list anyway. */
static const char *const lib_dirs[] = {
	"/lib",		  "/lib64",	   "/usr/lib",		"/usr/lib64",
	"/usr/local/lib", "/lib/" TRIPLET, "/usr/lib/" TRIPLET, "/usr/local/lib/" TRIPLET,
};
#define NDIRS (sizeof(lib_dirs) / sizeof(lib_dirs[0]))

struct tls_proc {
	uint32_t pid;
	uint32_t mntns; /* 0 until scanned, or when it cannot be read */
	bool scanned;
	uint8_t rescans; /* scans still due after an exec: its loader may be mid-way */
	uint8_t nfiles;
	struct tls_file *files[PROC_MAX_FILES];
};

struct tls_dirent {
	struct tls_file *file; /* NULL: looked at, not usable */
	uint32_t sdev; /* what lstat() said, to notice a replaced file */
	uint64_t sino;
	int64_t mtime_ns;
	uint8_t dir;
	char name[64];
};

struct tls_mntns {
	uint32_t inode;
	uint32_t rep; /* a process in it, for /proc/REP/root */
	unsigned int procs; /* processes of the last listing in it */
	bool dir_ok[NDIRS];
	int64_t dir_mtime_ns[NDIRS];
	struct tls_dirent *ents;
	size_t nents, capents;
	bool quota_warned;
};

struct tls_exe {
	struct tls_file_key key; /* as stat() of /proc/PID/exe shows */
	bool tls;
	struct tls_file_key mkey; /* the file, as mapped */
};

static int read_mntns(uint32_t pid, uint32_t *inode);

void tls_disc_init(struct tls_disc *d, const struct tls_disc_ops *ops, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->ctx = ctx;
	if (read_mntns((uint32_t)getpid(), &d->self_mntns))
		d->self_mntns = 0;
}

static bool grow(void **v, size_t *cap, size_t n, size_t esize)
{
	size_t c;
	void *nv;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	nv = realloc(*v, c * esize);
	if (!nv)
		return false;
	*v = nv;
	*cap = c;
	return true;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static struct tls_file_key stat_key(const struct stat *st)
{
	return (struct tls_file_key){ .ino = st->st_ino,
				      .dev = tls_kdev(major(st->st_dev), minor(st->st_dev)) };
}

static bool key_eq(const struct tls_file_key *a, const struct tls_file_key *b)
{
	return a->ino == b->ino && a->dev == b->dev;
}

static struct tls_file *file_find(struct tls_disc *d, const struct tls_file_key *k)
{
	for (size_t i = 0; i < d->nfiles; i++)
		if (key_eq(&d->files[i]->key, k))
			return d->files[i];
	return NULL;
}

/* The file behind a mapping of ours, as the kernel's mappings name it: for a file on
 * overlayfs that is the underlying file, which is what a uprobe attaches to. */
static int self_mapping_key(const void *addr, struct tls_file_key *k)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512 + 64];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct tls_maps_entry e;

		if (tls_maps_parse(line, &e) || e.start != (uint64_t)(uintptr_t)addr)
			continue;
		*k = (struct tls_file_key){ .ino = e.ino, .dev = e.dev };
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int read_mntns(uint32_t pid, uint32_t *inode);

/* O_PATH descriptor of what path names in the mount namespace of pid, resolved inside
 * that namespace's root (tls_open_in_root). -errno. */
static int open_in_proc_root(uint32_t pid, const char *path, int flags)
{
	char root[32];
	int rootfd, fd;

	snprintf(root, sizeof(root), "/proc/%u/root", pid);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	fd = tls_open_in_root(rootfd, path, flags, false);
	close(rootfd);
	return fd;
}

/* What stat() of path in the mount namespace of pid says, no symlink followed. */
static int stat_in_proc_root(uint32_t pid, const char *path, struct stat *st)
{
	int fd = open_in_proc_root(pid, path, O_PATH | O_NOFOLLOW), err = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, st))
		err = -errno;
	close(fd);
	return err;
}

/* f is at f->path in the mount namespace of pid: remember what stat() says there. */
static void set_source(struct tls_file *f, uint32_t pid)
{
	struct stat st;

	if (strstr(f->path, " (deleted)") || read_mntns(pid, &f->src_mntns))
		return;
	if (stat_in_proc_root(pid, f->path, &st) || !S_ISREG(st.st_mode))
		return;
	f->src_stat = stat_key(&st);
	f->has_src = true;
}

/* Whether f is still where a process had it. */
static bool at_source(struct tls_disc *d, const struct tls_file *f);

/*
 * Opens a candidate, finds which file it really is, and if that file is new looks at
 * its symbols and probes it. exe: only a program with SSL_do_handshake of its own is
 * kept. Returns the file, or NULL (not OpenSSL, or gone: logged at debug).
 */
/*
 * A file mapped for reading can shrink under us (any container may truncate what is in
 * its own /usr/lib), and touching a page past its new end raises SIGBUS. Reading the
 * image is guarded: the fault of this thread while it reads one jumps back and the file
 * is passed over; any other SIGBUS takes the process down as it would have.
 */
static __thread sigjmp_buf *bus_jmp;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

static void sigbus_guard_install(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		pr_warn("tls: SIGBUS handler: %s (a file truncated while it is read would end "
			"the agent)",
			strerror(errno));
}

int tls_read_guarded(void (*fn)(void *ctx), void *ctx)
{
	static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
	sigjmp_buf jb;

	pthread_once(&guard_once, sigbus_guard_install);
	if (sigsetjmp(jb, 1)) {
		bus_jmp = NULL;
		return -EFAULT;
	}
	bus_jmp = &jb;
	fn(ctx);
	bus_jmp = NULL;
	return 0;
}

struct image_read {
	struct tls_disc *d;
	const void *img;
	const struct stat *st;
	struct tls_file_key *key;
	struct tls_file **found;
	struct tls_sym *syms;
};

/* The file's key and, for a file not known yet, its OpenSSL symbols. */
static void read_image(void *ctx)
{
	struct image_read *r = ctx;

	if (self_mapping_key(r->img, r->key))
		*r->key = stat_key(r->st);
	*r->found = file_find(r->d, r->key);
	if (!*r->found)
		tls_elf_lookup(r->img, (size_t)r->st->st_size, r->syms);
}

static struct tls_mntns *ns_find(struct tls_disc *d, uint32_t inode);

/* Whether mntns may have one more file remembered, OpenSSL or not: host-wide limits,
 * and a quota per mount namespace but the agent's own. */
static bool quota_ok(const struct tls_disc *d, uint32_t mntns, bool openssl)
{
	unsigned int n = 0;

	if (openssl ? d->nssl >= MAX_FILES : d->nother >= MAX_OTHER_FILES)
		return false;
	if (mntns && mntns == d->self_mntns)
		return true;
	for (size_t i = 0; i < d->nfiles; i++)
		n += d->files[i]->mntns == mntns && !d->files[i]->kind == !openssl;
	return n < MNTNS_MAX_FILES;
}

static void quota_warn(struct tls_disc *d, uint32_t mntns, const char *label, bool openssl)
{
	struct tls_mntns *ns = ns_find(d, mntns);

	if (openssl ? d->nssl >= MAX_FILES : d->nother >= MAX_OTHER_FILES) {
		if (!d->full_warned)
			pr_warn("tls: more than %d %s files, %s and later ones are not probed",
				openssl ? MAX_FILES : MAX_OTHER_FILES,
				openssl ? "OpenSSL" : "libssl-named", label);
		d->full_warned = true;
	} else if (ns && !ns->quota_warned) {
		pr_warn("tls: mount namespace %u has more than %d %s files, %s and later ones "
			"are not probed",
			mntns, MNTNS_MAX_FILES, openssl ? "OpenSSL" : "libssl-named", label);
		ns->quota_warned = true;
	}
}

/* Both quotas of a mount namespace full: a file there is not even opened, so what it is
 * stays unknown; said once like the others (nothing else would tell files were left). */
static void quota_warn_unopened(struct tls_disc *d, uint32_t mntns, const char *label)
{
	struct tls_mntns *ns = ns_find(d, mntns);

	if (d->nssl >= MAX_FILES || d->nother >= MAX_OTHER_FILES) {
		quota_warn(d, mntns, label, d->nssl >= MAX_FILES);
	} else if (ns && !ns->quota_warned) {
		pr_warn("tls: mount namespace %u has its quotas of %d OpenSSL and %d other "
			"libssl-named files full, %s and later ones are not opened",
			mntns, MNTNS_MAX_FILES, MNTNS_MAX_FILES, label);
		ns->quota_warned = true;
	}
}

/*
 * pathfd: an O_PATH descriptor of the candidate (closed here). Only a regular file is
 * opened for reading, and with O_NONBLOCK: a FIFO or device swapped in is never
 * opened, let alone waited on. expect: what lstat() said before, which it must still
 * be. mntns: where it was found, for the quota.
 */
static struct tls_file *examine(struct tls_disc *d, int pathfd, const struct stat *expect,
				const char *label, bool exe, uint32_t src_pid, uint32_t mntns)
{
	struct tls_sym syms[TLS_SYM_COUNT];
	struct tls_file *f = NULL;
	struct tls_file_key key;
	unsigned int kind = 0;
	void *img = MAP_FAILED;
	struct stat st, pst;
	char fdpath[32];
	int fd = -1;

	if (pathfd < 0) {
		pr_debug("tls: open %s: %s", label, strerror(-pathfd));
		return NULL;
	}
	if (fstat(pathfd, &pst) || !S_ISREG(pst.st_mode) ||
	    (expect && (pst.st_ino != expect->st_ino || pst.st_dev != expect->st_dev))) {
		pr_debug("tls: %s is not a regular file, or not the one listed", label);
		goto out;
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pathfd);
	fd = open(fdpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pr_debug("tls: open %s: %s", label, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_ino != pst.st_ino ||
	    st.st_dev != pst.st_dev || st.st_size < 64 ||
	    (unsigned long long)st.st_size > TLS_ELF_MAX_SIZE)
		goto out;
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img == MAP_FAILED) {
		pr_debug("tls: map %s: %s", label, strerror(errno));
		goto out;
	}
	struct image_read r = { d, img, &st, &key, &f, syms };

	if (tls_read_guarded(read_image, &r)) {
		pr_debug("tls: %s changed size while it was read: passed over", label);
		f = NULL;
		goto out;
	}
	if (f)
		goto out;
	if (syms[TLS_SYM_DO_HANDSHAKE].found)
		kind |= TLS_KIND_SSL;
	if (syms[TLS_SYM_ERR_VSET_ERROR].found || syms[TLS_SYM_ERR_PUT_ERROR].found)
		kind |= TLS_KIND_CRYPTO;
	if (exe) {
		if (!(kind & TLS_KIND_SSL))
			goto out;
		kind |= TLS_KIND_EXE;
	}
	if (!quota_ok(d, mntns, kind != 0)) {
		quota_warn(d, mntns, label, kind != 0);
		goto out;
	}
	if (!grow((void **)&d->files, &d->capfiles, d->nfiles, sizeof(*d->files)))
		goto out;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto out;
	f->key = key;
	f->kind = kind;
	f->mntns = mntns;
	if (kind)
		d->nssl++;
	else
		d->nother++;
	snprintf(f->path, sizeof(f->path), "%s", label);
	if (src_pid)
		set_source(f, src_pid);
	d->files[d->nfiles++] = f;
	if (kind) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		d->ops->attach(d->ctx, f, fdpath, syms);
	}
	pr_debug("tls: %s (device %u:%u inode %" PRIu64 "): %s, %u probes", label, key.dev >> 20,
		 key.dev & 0xfffff, (uint64_t)key.ino,
		 kind & TLS_KIND_EXE   ? "OpenSSL linked in"
		 : kind & TLS_KIND_SSL ? "libssl"
		 : kind		       ? "libcrypto"
				       : "not OpenSSL",
		 f->nprobes);
out:
	if (img != MAP_FAILED)
		munmap(img, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	close(pathfd);
	return f;
}

static void file_drop(struct tls_disc *d, size_t i)
{
	struct tls_file *f = d->files[i];

	pr_debug("tls: %s (inode %" PRIu64 ") is mapped and installed nowhere: %u probes released",
		 f->path, (uint64_t)f->key.ino, f->nprobes);
	if (f->attach)
		d->ops->detach(d->ctx, f);
	/* a program with OpenSSL in it: its next exec is to be reported again */
	for (size_t x = 0; (f->kind & TLS_KIND_EXE) && x < d->nexes; x++)
		if (d->exes[x].tls && key_eq(&d->exes[x].mkey, &f->key))
			d->ops->exec_forget(d->ctx, 0, &d->exes[x].key);
	if (f->kind)
		d->nssl--;
	else
		d->nother--;
	free(f);
	d->files[i] = d->files[--d->nfiles];
}

/* --- mount namespaces --- */

static struct tls_mntns *ns_find(struct tls_disc *d, uint32_t inode)
{
	for (size_t i = 0; i < d->nns; i++)
		if (d->ns[i]->inode == inode)
			return d->ns[i];
	return NULL;
}

static void ns_unref_entries(struct tls_mntns *ns, int dir)
{
	size_t k = 0;

	for (size_t i = 0; i < ns->nents; i++) {
		if (dir >= 0 && ns->ents[i].dir != dir) {
			ns->ents[k++] = ns->ents[i];
			continue;
		}
		if (ns->ents[i].file)
			ns->ents[i].file->ondisk--;
	}
	ns->nents = k;
}

static struct tls_dirent *ns_entry(struct tls_mntns *ns, uint8_t dir, const char *name)
{
	for (size_t i = 0; i < ns->nents; i++)
		if (ns->ents[i].dir == dir && !strcmp(ns->ents[i].name, name))
			return &ns->ents[i];
	return NULL;
}

/* Rereads the library directories of a namespace whose mtime changed. Each is opened
 * inside the namespace's root with no symlink on the way (an absolute link would
 * otherwise resolve against the agent's root; Debian's /lib -> usr/lib is in the list
 * anyway), and its entries relative to it, with O_NOFOLLOW. */
static void ns_scan_dirs(struct tls_disc *d, struct tls_mntns *ns)
{
	for (uint8_t k = 0; k < NDIRS; k++) {
		struct tls_dirent *fresh = NULL;
		size_t nfresh = 0, capfresh = 0, candidates = 0;
		struct dirent *de;
		struct stat st;
		DIR *dir = NULL;
		int dfd;

		dfd = open_in_proc_root(ns->rep, lib_dirs[k], O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (dfd < 0 || fstat(dfd, &st) || !S_ISDIR(st.st_mode)) {
			if (dfd >= 0)
				close(dfd);
			if (ns->dir_ok[k])
				ns_unref_entries(ns, k);
			ns->dir_ok[k] = false;
			continue;
		}
		if (ns->dir_ok[k] && ns->dir_mtime_ns[k] == mtime_ns(&st)) {
			close(dfd);
			continue;
		}
		dir = fdopendir(dfd);
		if (!dir) {
			close(dfd);
			continue;
		}
		while ((de = readdir(dir))) {
			char label[PATH_MAX];
			struct tls_dirent e = { .dir = k }, *prev;
			struct stat fst;

			if (!tls_lib_kind(de->d_name) || strlen(de->d_name) >= sizeof(e.name))
				continue;
			if (++candidates > DIR_MAX_CANDIDATES) {
				pr_debug("tls: mount namespace %u: more than %d libssl-named files "
					 "in "
					 "%s, the rest are passed over",
					 ns->inode, DIR_MAX_CANDIDATES, lib_dirs[k]);
				break;
			}
			/* a symlink (libssl.so -> libssl.so.3) names a file listed anyway */
			if (fstatat(dfd, de->d_name, &fst, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISREG(fst.st_mode))
				continue;
			snprintf(e.name, sizeof(e.name), "%s", de->d_name);
			e.sdev = tls_kdev(major(fst.st_dev), minor(fst.st_dev));
			e.sino = fst.st_ino;
			e.mtime_ns = mtime_ns(&fst);
			prev = ns_entry(ns, k, e.name);
			if (prev && prev->sdev == e.sdev && prev->sino == e.sino &&
			    prev->mtime_ns == e.mtime_ns) {
				e.file = prev->file;
				if (e.file)
					e.file->ondisk++;
			} else if (quota_ok(d, ns->inode, true) || quota_ok(d, ns->inode, false)) {
				int pfd = openat(dfd, e.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

				snprintf(label, sizeof(label), "%s/%s", lib_dirs[k], e.name);
				e.file = examine(d, pfd < 0 ? -errno : pfd, &fst, label, false, 0,
						 ns->inode);
				if (e.file)
					e.file->ondisk++;
			} else { /* over its quotas: not even opened */
				snprintf(label, sizeof(label), "%s/%s", lib_dirs[k], e.name);
				quota_warn_unopened(d, ns->inode, label);
				continue;
			}
			if (!grow((void **)&fresh, &capfresh, nfresh, sizeof(*fresh))) {
				if (e.file)
					e.file->ondisk--;
				continue;
			}
			fresh[nfresh++] = e;
		}
		closedir(dir);
		/* the directory's previous entries go, the fresh ones take their place */
		ns_unref_entries(ns, k);
		for (size_t i = 0; i < nfresh; i++) {
			if (!grow((void **)&ns->ents, &ns->capents, ns->nents, sizeof(*ns->ents))) {
				if (fresh[i].file)
					fresh[i].file->ondisk--;
				continue;
			}
			ns->ents[ns->nents++] = fresh[i];
		}
		free(fresh);
		ns->dir_ok[k] = true;
		ns->dir_mtime_ns[k] = mtime_ns(&st);
	}
}

static struct tls_mntns *ns_add(struct tls_disc *d, uint32_t inode, uint32_t rep)
{
	struct tls_mntns *ns;

	if (d->nns >= MAX_MNTNS || !grow((void **)&d->ns, &d->capns, d->nns, sizeof(*d->ns)))
		return NULL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->inode = inode;
	ns->rep = rep;
	d->ns[d->nns++] = ns;
	ns_scan_dirs(d, ns);
	d->ops->ns_scanned(d->ctx, inode, true);
	pr_debug("tls: mount namespace %u (via pid %u): %zu OpenSSL files in its library "
		 "directories",
		 inode, rep, ns->nents);
	return ns;
}

static void ns_drop(struct tls_disc *d, size_t i)
{
	struct tls_mntns *ns = d->ns[i];

	ns_unref_entries(ns, -1);
	d->ops->exec_forget(d->ctx, ns->inode, NULL);
	d->ops->ns_scanned(d->ctx, ns->inode, false);
	free(ns->ents);
	free(ns);
	d->ns[i] = d->ns[--d->nns];
}

static int read_mntns(uint32_t pid, uint32_t *inode)
{
	char path[64], link[64];
	unsigned long v;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/ns/mnt", pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	if (sscanf(link, "mnt:[%lu]", &v) != 1 || !v || v > UINT32_MAX)
		return -EINVAL;
	*inode = (uint32_t)v;
	return 0;
}

/* --- processes --- */

static void proc_add_file(struct tls_proc *p, struct tls_file *f)
{
	if (!f)
		return;
	for (unsigned int i = 0; i < p->nfiles; i++)
		if (p->files[i] == f)
			return;
	if (p->nfiles >= PROC_MAX_FILES)
		return;
	p->files[p->nfiles++] = f;
	f->mappers++;
}

static void proc_release(struct tls_disc *d, struct tls_proc *p)
{
	struct tls_mntns *ns = p->mntns ? ns_find(d, p->mntns) : NULL;

	for (unsigned int i = 0; i < p->nfiles; i++)
		p->files[i]->mappers--;
	p->nfiles = 0;
	if (ns && ns->procs)
		ns->procs--;
	p->mntns = 0;
	p->scanned = false;
}

static int key_cmp(const struct tls_file_key *a, const struct tls_file_key *b)
{
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino;
}

/* Executables are many (every program that ran): sorted, searched by halves. *at is
 * where k belongs when it is not there. */
static struct tls_exe *exe_find(struct tls_disc *d, const struct tls_file_key *k, size_t *at)
{
	size_t lo = 0, hi = d->nexes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&d->exes[mid].key, k);

		if (!c)
			return &d->exes[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return NULL;
}

/* The process's executable, if OpenSSL is linked into it. *key: what stat() of it
 * says, left alone when the process is gone. */
static struct tls_file *scan_exe(struct tls_disc *d, uint32_t pid, struct tls_file_key *key)
{
	char path[64], label[PATH_MAX];
	struct tls_file_key k;
	struct tls_file *f;
	struct tls_exe *x;
	struct stat st;
	size_t at = 0;
	uint32_t mntns;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (stat(path, &st))
		return NULL; /* a kernel thread, or gone */
	k = stat_key(&st);
	if (key)
		*key = k;
	x = exe_find(d, &k, &at);
	if (x && !x->tls)
		return NULL;
	if (x && (f = file_find(d, &x->mkey)))
		return f;
	n = readlink(path, label, sizeof(label) - 1);
	if (n < 0)
		return NULL;
	label[n] = '\0';
	/* /proc/PID/exe is the kernel's link to the very file: no path walked in the
	 * container (and O_NOFOLLOW would refuse it) */
	fd = open(path, O_PATH | O_CLOEXEC);
	if (read_mntns(pid, &mntns))
		mntns = 0;
	f = examine(d, fd < 0 ? -errno : fd, &st, label, true, pid, mntns);
	if (!x) {
		if (d->nexes >= MAX_EXES)
			d->nexes = at = 0; /* forget them all: each costs one more look */
		if (!grow((void **)&d->exes, &d->capexes, d->nexes, sizeof(*d->exes)))
			return f;
		memmove(&d->exes[at + 1], &d->exes[at], (d->nexes - at) * sizeof(*d->exes));
		d->nexes++;
		x = &d->exes[at];
		x->key = k;
	}
	x->tls = f != NULL;
	if (f)
		x->mkey = f->key;
	return f;
}

struct cand {
	struct tls_file_key key;
	uint64_t start, end;
	int kind;
	char path[256];
};

/* libssl/libcrypto files the process maps, opened through /proc/PID/map_files. */
static void scan_maps(struct tls_disc *d, struct tls_proc *p)
{
	struct cand c[PROC_MAX_FILES];
	char path[96], line[PATH_MAX + 128];
	unsigned int nc = 0;
	bool ssl = false;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct tls_maps_entry e;
		unsigned int i;
		int kind;

		if (tls_maps_parse(line, &e) || !e.ino || e.path[0] != '/')
			continue;
		kind = tls_lib_kind(e.path);
		if (!kind)
			continue;
		for (i = 0; i < nc; i++)
			if (c[i].key.ino == e.ino && c[i].key.dev == e.dev)
				break;
		if (i < nc || nc >= PROC_MAX_FILES)
			continue;
		c[nc] = (struct cand){ .key = { .ino = e.ino, .dev = e.dev },
				       .start = e.start,
				       .end = e.end,
				       .kind = kind };
		snprintf(c[nc].path, sizeof(c[nc].path), "%s", e.path);
		ssl |= kind == TLS_LIB_SSL;
		nc++;
	}
	fclose(f);
	/* libcrypto alone (ssh, ...) never handshakes: only with a libssl beside it */
	for (unsigned int i = 0; ssl && i < nc; i++) {
		struct tls_file *file = file_find(d, &c[i].key);
		char *deleted;

		if (!file) {
			snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64,
				 p->pid, c[i].start, c[i].end);
			deleted = strstr(c[i].path, " (deleted)");
			if (deleted)
				*deleted = '\0';
			fd = open(path, O_PATH | O_CLOEXEC); /* the kernel's link, as exe */
			file = examine(d, fd < 0 ? -errno : fd, NULL, c[i].path, false,
				       deleted ? 0 : p->pid, p->mntns);
			if (!file && !deleted) {
				/* no map_files (no CAP_SYS_ADMIN): through its root, resolved
				 * inside it, and the key check tells if it is the same file */
				fd = open_in_proc_root(p->pid, c[i].path, O_PATH | O_NOFOLLOW);
				file = examine(d, fd, NULL, c[i].path, false, p->pid, p->mntns);
				if (file && !key_eq(&file->key, &c[i].key))
					file = NULL;
			}
		}
		proc_add_file(p, file);
	}
}

static void scan_proc(struct tls_disc *d, struct tls_proc *p)
{
	struct tls_file_key exe = { 0 };
	struct tls_mntns *ns;
	uint32_t inode;

	p->scanned = true;
	if (read_mntns(p->pid, &inode))
		return; /* gone */
	ns = ns_find(d, inode);
	if (!ns)
		ns = ns_add(d, inode, p->pid);
	if (ns) {
		ns->procs++;
		p->mntns = inode;
	}
	proc_add_file(p, scan_exe(d, p->pid, &exe));
	/* its next exec of the same program needs no report (stat's key: on overlayfs the
	 * kernel's may differ, and that pair is reported once) */
	if (ns && exe.ino)
		d->ops->exec_seen(d->ctx, inode, &exe);
	scan_maps(d, p);
}

static struct tls_proc *proc_find(struct tls_disc *d, uint32_t pid)
{
	size_t lo = 0, hi = d->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->procs[mid].pid == pid)
			return &d->procs[mid];
		if (d->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int list_pids(uint32_t **out, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;

	*out = NULL;
	*n = 0;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		unsigned long v;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		v = strtoul(de->d_name, &end, 10);
		if (errno || *end || v > UINT32_MAX)
			continue;
		if (!grow((void **)out, &cap, *n, sizeof(**out)))
			break;
		(*out)[(*n)++] = (uint32_t)v;
	}
	closedir(dir);
	qsort(*out, *n, sizeof(**out), cmp_u32);
	return 0;
}

/* The new listing replaces the old one: processes that left release their files. */
static void merge_listing(struct tls_disc *d, const uint32_t *pids, size_t n)
{
	struct tls_proc *np = calloc(n ? n : 1, sizeof(*np));
	size_t i = 0, j = 0, k = 0;

	if (!np)
		return;
	while (i < d->nprocs || j < n) {
		if (j == n || (i < d->nprocs && d->procs[i].pid < pids[j])) {
			proc_release(d, &d->procs[i++]);
		} else if (i == d->nprocs || d->procs[i].pid > pids[j]) {
			np[k++].pid = pids[j++];
		} else {
			np[k++] = d->procs[i++];
			j++;
		}
	}
	free(d->procs);
	d->procs = np;
	d->nprocs = k;
	d->capprocs = n ? n : 1;
}

static bool at_source(struct tls_disc *d, const struct tls_file *f)
{
	struct tls_mntns *ns = f->has_src ? ns_find(d, f->src_mntns) : NULL;
	struct stat st;
	struct tls_file_key k;

	if (!ns)
		return false;
	if (stat_in_proc_root(ns->rep, f->path, &st) || !S_ISREG(st.st_mode))
		return false;
	k = stat_key(&st);
	return key_eq(&k, &f->src_stat);
}

void tls_disc_scan(struct tls_disc *d, unsigned int budget)
{
	unsigned int scanned = 0;
	uint32_t *pids;
	size_t n;
	int err;

	err = list_pids(&pids, &n);
	if (err) {
		pr_warn("tls: list /proc: %s", strerror(-err));
		return;
	}
	merge_listing(d, pids, n);
	free(pids);

	/* A process that exec'ed is scanned now and once more at the next call: now may be
	 * while its dynamic loader maps its libraries, libssl already and libcrypto not yet
	 * (seconds under emulation), and nothing else would look at it again. */
	for (size_t r = 0; r < d->nrescan; r++) {
		struct tls_proc *p = proc_find(d, d->rescan[r]);

		if (p)
			p->rescans = 2;
	}
	d->nrescan = 0;
	for (size_t i = 0; i < d->nprocs; i++) {
		struct tls_proc *p = &d->procs[i];

		if (p->rescans && p->scanned) {
			p->rescans--;
			proc_release(d, p);
			scan_proc(d, p);
		}
	}
	for (size_t i = 0; i < d->nprocs && (!budget || scanned < budget); i++) {
		struct tls_proc *p = &d->procs[i];

		if (p->scanned)
			continue;
		if (p->rescans)
			p->rescans--;
		scan_proc(d, p);
		scanned++;
	}

	for (size_t i = 0; i < d->nns;) {
		struct tls_mntns *ns = d->ns[i];
		struct tls_proc *rep = proc_find(d, ns->rep);

		if (!ns->procs) {
			ns_drop(d, i);
			continue;
		}
		if (!rep || rep->mntns != ns->inode)
			for (size_t k = 0; k < d->nprocs; k++)
				if (d->procs[k].mntns == ns->inode) {
					ns->rep = d->procs[k].pid;
					break;
				}
		ns_scan_dirs(d, ns);
		i++;
	}
	for (size_t i = 0; i < d->nfiles;) {
		struct tls_file *f = d->files[i];

		if (!f->mappers && !f->ondisk && !at_source(d, f))
			file_drop(d, i);
		else
			i++;
	}
}

void tls_disc_on_exec(struct tls_disc *d, const struct tls_disc_event *e)
{
	struct tls_file_key k = { .ino = e->exe_ino, .dev = e->exe_dev }, exe = { 0 };
	struct tls_mntns *ns = ns_find(d, e->mntns);
	bool looked = false;
	uint32_t inode, rep;

	/* the process may be gone already, or in another namespace (ip netns exec) */
	if (!read_mntns(e->pid, &inode) && inode == e->mntns) {
		if (!ns) {
			ns = ns_add(d, e->mntns, e->pid);
		} else if (read_mntns(ns->rep, &rep) || rep != ns->inode) {
			/* the namespace known by this number may be gone and the number given
			 * to a new one (they are reused at once): its directories again,
			 * through a process surely in it (an unchanged one costs a stat) */
			ns->rep = e->pid;
			ns_scan_dirs(d, ns);
		}
		scan_exe(d, e->pid, &exe);
		looked = exe.ino != 0; /* else gone meanwhile */
		if (grow((void **)&d->rescan, &d->caprescan, d->nrescan, sizeof(*d->rescan)) &&
		    d->nrescan < 4096)
			d->rescan[d->nrescan++] = e->pid;
	}
	/* Seen once the namespace is and the program was looked at, now or by an earlier
	 * run. A program whose process was gone before its file could be looked at is
	 * reported again at its next exec: marked seen, no later run would be (a program
	 * with OpenSSL linked in, or a private libssl, run again and again for less than
	 * the 2 s between scans would never be probed). */
	if (ns && (looked || exe_find(d, &k, NULL)))
		d->ops->exec_seen(d->ctx, e->mntns, &k);
}

size_t tls_disc_mntns_count(const struct tls_disc *d)
{
	return d->nns;
}

void tls_disc_free(struct tls_disc *d)
{
	for (size_t i = 0; i < d->nfiles; i++) {
		if (d->files[i]->attach)
			d->ops->detach(d->ctx, d->files[i]);
		free(d->files[i]);
	}
	for (size_t i = 0; i < d->nns; i++) {
		free(d->ns[i]->ents);
		free(d->ns[i]);
	}
	free(d->files);
	free(d->ns);
	free(d->procs);
	free(d->exes);
	free(d->rescan);
	memset(d, 0, sizeof(*d));
}
