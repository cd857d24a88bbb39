/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard of the handed-out sockets (guard.h).
 *
 * Why: a joined member's two sockets are raw AF_PACKET sockets made by
 * pfqd. Their filters are locked, so what they receive is the group's
 * business; but the kernel checks CAP_NET_RAW only when a socket is made,
 * and no socket option makes one receive-only: its holder could send any
 * frame out of any device (sendmsg, write, splice, io_uring all go through
 * security_socket_sendmsg), set a device promiscuous or give the socket a
 * TX ring (setsockopt), or bind it elsewhere. libpfq, once it has imported
 * the sockets, only maps their rings, polls and reads them (getsockopt
 * for their statistics), so for everyone but pfqd the guard refuses all
 * four: socket_sendmsg, socket_setsockopt, socket_bind, socket_connect.
 *
 * How: one small program, hand-emitted (lib/bpf/emit.c), attached to the
 * four LSM hooks (BPF_LSM_MAC). It runs on every call of those hooks on
 * the machine, so it looks first at the socket's family (AF_PACKET or
 * nothing to do), then at its mark: a socket pfqd hands out is marked in a
 * socket-storage map (BPF_MAP_TYPE_SK_STORAGE), whose entry the kernel
 * frees with the socket. pfqd itself keeps working on those sockets (it
 * stays the member of record: maintenance, leaving the group), so pfqd's
 * own process is let through, known by its thread-group id in its pid
 * namespace (bpf_get_ns_current_pid_tgid: right also when pfqd runs in a
 * container's pid namespace). Nobody else is, root included: a uid says
 * nothing about capabilities, and libpfq never needs those four calls on
 * an imported socket.
 *
 * The program, its links and the map are pfqd's descriptors only: they go
 * when pfqd exits, and the sockets its clients still hold are unguarded
 * from then on (docs/pfqd.md).
 */
#include "guard.h"

#include "../../lib/bpf/emit.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the hooks, and the program's name on each (at most 15 characters) */
static const struct {
	const char *func, *name;
} hooks[] = {
	{ "bpf_lsm_socket_sendmsg", "pfqd_guard_send" },
	{ "bpf_lsm_socket_setsockopt", "pfqd_guard_sopt" },
	{ "bpf_lsm_socket_bind", "pfqd_guard_bind" },
	{ "bpf_lsm_socket_connect", "pfqd_guard_conn" },
};
#define NHOOKS (int)(sizeof(hooks) / sizeof(hooks[0]))

static struct {
	bool active;
	int map;
	int prog[NHOOKS], link[NHOOKS];
	char error[256];
} g = { .map = -1, .prog = { -1, -1, -1, -1 }, .link = { -1, -1, -1, -1 },
	.error = "not started" };

/* where the program reads, from the kernel's BTF; and who pfqd is */
struct layout {
	int attach[NHOOKS]; /* BTF ids of the hooks' functions */
	int sk;             /* offsetof(struct socket, sk) */
	int family;         /* offsetof(struct sock, __sk_common.skc_family) */
	uint64_t ns_dev, ns_ino; /* pfqd's pid namespace (/proc/self/ns/pid) */
	uint32_t tgid;      /* pfqd's pid in it */
};

/* the byte offset of member name in composite type id (its anonymous
 * members searched too), or -1 */
static int member_offset(const struct btf *btf, int id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, (unsigned)btf__resolve_type(btf, id));
	const struct btf_member *m;

	if (!t || !btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		int at = (int)(btf_member_bit_offset(t, (unsigned)i) / 8), in;

		if (mn && *mn) {
			if (!strcmp(mn, name))
				return btf_member_bitfield_size(t, (unsigned)i) ? -1 : at;
			continue;
		}
		in = member_offset(btf, (int)m->type, name);
		if (in >= 0)
			return at + in;
	}
	return -1;
}

static int struct_member(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);

	return id > 0 ? member_offset(btf, id, name) : -1;
}

static int find_layout(struct layout *lo, char *why, size_t n)
{
	struct btf *btf = btf__load_vmlinux_btf();
	struct stat st;
	char self[32];
	ssize_t n_self;
	int common, rc = 0;

	if (!btf) {
		snprintf(why, n, "no kernel BTF (/sys/kernel/btf/vmlinux): %s", strerror(errno));
		return -ENOENT;
	}
	for (int i = 0; i < NHOOKS && !rc; i++) {
		lo->attach[i] = btf__find_by_name_kind(btf, hooks[i].func, BTF_KIND_FUNC);
		if (lo->attach[i] <= 0) {
			snprintf(why, n, "the kernel has no %s (no BPF LSM: CONFIG_BPF_LSM)",
				 hooks[i].func);
			rc = -EOPNOTSUPP;
		}
	}
	lo->sk = struct_member(btf, "socket", "sk");
	common = struct_member(btf, "sock", "__sk_common");
	lo->family = struct_member(btf, "sock_common", "skc_family");
	btf__free(btf);
	/* the program's loads take a 16-bit offset */
	if (!rc && (lo->sk < 0 || lo->sk > INT16_MAX || common < 0 || lo->family < 0 ||
		    common + lo->family > INT16_MAX)) {
		snprintf(why, n, "the kernel's struct socket or struct sock is not as expected");
		rc = -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	lo->family += common;
	/* a /proc of another pid namespace would name another process */
	n_self = readlink("/proc/self", self, sizeof(self) - 1);
	if (n_self <= 0 || (self[n_self] = '\0', strtol(self, NULL, 10) != getpid())) {
		snprintf(why, n, "/proc is not of pfqd's pid namespace (/proc/self is not pfqd)");
		return -EOPNOTSUPP;
	}
	if (stat("/proc/self/ns/pid", &st) < 0) {
		rc = -errno;
		snprintf(why, n, "cannot find pfqd's pid namespace (/proc/self/ns/pid): %s",
			 strerror(-rc));
		return rc;
	}
	lo->ns_dev = st.st_dev;
	lo->ns_ino = st.st_ino;
	lo->tgid = (uint32_t)getpid();
	return 0;
}

/*
 * r1: the hook's arguments, the first one struct socket *sock (the same in
 * the four hooks). Refused (-EPERM) when sock->sk is an AF_PACKET socket
 * marked in the map and the caller is not pfqd's process.
 */
static void emit_guard(struct emit *e, const struct layout *lo, int map)
{
	int allow = emit_label(e), deny = emit_label(e);

	emit(e, BI_LDX(BPF_DW, BPF_REG_6, BPF_REG_1, 0));
	emit(e, BI_LDX(BPF_DW, BPF_REG_6, BPF_REG_6, (int16_t)lo->sk));
	emit_jmp_imm(e, BPF_JEQ, BPF_REG_6, 0, allow);
	emit(e, BI_LDX(BPF_H, BPF_REG_2, BPF_REG_6, (int16_t)lo->family));
	emit_jmp_imm(e, BPF_JNE, BPF_REG_2, AF_PACKET, allow);
	emit_ld_map(e, BPF_REG_1, map);
	emit(e, BI_MOV_REG(BPF_REG_2, BPF_REG_6));
	emit(e, BI_MOV_IMM(BPF_REG_3, 0));
	emit(e, BI_MOV_IMM(BPF_REG_4, 0));
	emit(e, BI_CALL(BPF_FUNC_sk_storage_get));
	emit_jmp_imm(e, BPF_JEQ, BPF_REG_0, 0, allow);
	/* struct bpf_pidns_info { u32 pid, tgid; } at r10 - 8: the caller's
	 * ids in pfqd's pid namespace (an error: not in it, so not pfqd) */
	emit_ld64(e, BPF_REG_1, lo->ns_dev);
	emit_ld64(e, BPF_REG_2, lo->ns_ino);
	emit(e, BI_MOV_REG(BPF_REG_3, BPF_REG_10));
	emit(e, BI_ALU_IMM(BPF_ADD, BPF_REG_3, -8));
	emit(e, BI_MOV_IMM(BPF_REG_4, 8));
	emit(e, BI_CALL(BPF_FUNC_get_ns_current_pid_tgid));
	emit_jmp_imm(e, BPF_JNE, BPF_REG_0, 0, deny);
	emit(e, BI_LDX(BPF_W, BPF_REG_1, BPF_REG_10, -4));
	emit_jmp_to(e, bi_make(BPF_JMP32 | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, (int32_t)lo->tgid),
		    allow);
	emit_bind(e, deny);
	emit(e, BI_MOV_IMM(BPF_REG_0, -EPERM));
	emit(e, BI_EXIT());
	emit_bind(e, allow);
	emit(e, BI_MOV_IMM(BPF_REG_0, 0));
	emit(e, BI_EXIT());
}

/* the marks: socket storage needs BTF for its key and value (an int each) */
static int make_map(char *why, size_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	struct btf *btf = btf__new_empty();
	int id = btf ? btf__add_int(btf, "int", 4, BTF_INT_SIGNED) : -ENOMEM, fd;

	fd = id > 0 ? btf__load_into_kernel(btf) : id;
	if (fd == 0) {
		o.btf_fd = (unsigned)btf__fd(btf);
		o.btf_key_type_id = o.btf_value_type_id = (unsigned)id;
		fd = bpf_map_create(BPF_MAP_TYPE_SK_STORAGE, "pfqd_guard", 4, 4, 0, &o);
	}
	btf__free(btf); /* the map keeps its BTF */
	if (fd < 0)
		snprintf(why, n, "cannot create the socket-storage map: %s", strerror(-fd));
	return fd;
}

/* does pfqd have capability cap (effective)? */
static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* the verifier's last words, for why */
static void load_error(const struct bpf_insn *insns, int ninsns, struct bpf_prog_load_opts *o,
		       int err, char *why, size_t n)
{
	static char log[16384];
	char *last, *end;
	int fd;

	o->log_buf = log;
	o->log_size = sizeof(log);
	o->log_level = 1;
	log[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "pfqd_guard", "GPL", insns, (size_t)ninsns, o);
	if (fd >= 0) /* loaded the second time: err is the first one's */
		close(fd);
	end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		*--end = '\0';
	last = strrchr(log, '\n');
	snprintf(why, n, "cannot load the LSM program: %s%s%s%.120s%s", strerror(-err),
		 err != -EPERM ? "" : has_cap(CAP_MAC_ADMIN) && has_cap(CAP_BPF) ?
		 " (the kernel refuses LSM programs: lockdown, or a security policy)" :
		 " (CAP_MAC_ADMIN and CAP_BPF are needed)", *log ? " (" : "",
		 last ? last + 1 : log, *log ? ")" : "");
}

static int load_and_attach(const struct layout *lo, const struct bpf_insn *insns, int ninsns,
			   char *why, size_t n)
{
	for (int i = 0; i < NHOOKS; i++) {
		LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC,
			    .attach_btf_id = (unsigned)lo->attach[i]);

		g.prog[i] = bpf_prog_load(BPF_PROG_TYPE_LSM, hooks[i].name, "GPL", insns,
					  (size_t)ninsns, &o);
		if (g.prog[i] < 0) {
			load_error(insns, ninsns, &o, g.prog[i], why, n);
			return g.prog[i];
		}
		g.link[i] = bpf_link_create(g.prog[i], 0, BPF_LSM_MAC, NULL);
		if (g.link[i] < 0) {
			/* attached to nothing: "bpf" is not among the active LSMs */
			snprintf(why, n, "cannot attach the LSM program to %s: %s%s", hooks[i].func,
				 strerror(-g.link[i]), g.link[i] == -EOPNOTSUPP ||
				 g.link[i] == -EINVAL ? " (is \"bpf\" in the kernel's lsm= list?)" :
				 "");
			return g.link[i];
		}
	}
	return 0;
}

int guard_start(char *why, size_t n)
{
	struct layout lo = { .sk = -1 };
	struct emit e;
	int rc;

	guard_stop();
	rc = find_layout(&lo, why, n);
	if (rc == 0)
		rc = g.map = make_map(why, n);
	if (rc < 0)
		goto out;
	emit_init(&e);
	emit_guard(&e, &lo, g.map);
	if (!emit_finish(&e)) {
		snprintf(why, n, "cannot emit the LSM program (out of memory)");
		rc = -ENOMEM;
	} else {
		rc = load_and_attach(&lo, e.insns, e.n, why, n);
	}
	emit_free(&e);
out:
	if (rc < 0) {
		guard_stop();
		snprintf(g.error, sizeof(g.error), "%s", why);
		return rc;
	}
	g.active = true;
	return 0;
}

bool guard_active(void)
{
	return g.active;
}

const char *guard_error(void)
{
	return g.active ? NULL : g.error;
}

int guard_mark(int fd)
{
	int one = 1;

	if (!g.active)
		return 0;
	return bpf_map_update_elem(g.map, &fd, &one, BPF_ANY) < 0 ? -errno : 0;
}

void guard_stop(void)
{
	for (int i = 0; i < NHOOKS; i++) {
		if (g.link[i] >= 0)
			close(g.link[i]);
		if (g.prog[i] >= 0)
			close(g.prog[i]);
		g.link[i] = g.prog[i] = -1;
	}
	if (g.map >= 0)
		close(g.map);
	g.map = -1;
	g.active = false;
	snprintf(g.error, sizeof(g.error), "stopped");
}
