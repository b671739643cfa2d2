#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Writes the seed corpus (tests/fuzz/corpus/NAME) and the regression inputs of issue 12's
findings (tests/fuzz/regress/NAME). Run from the tree's top; the files are committed, this
says how they were made. Seeds of netlink, maps, mountinfo, MIB and kallsyms come from this
machine when --live is given (a real dump each), else only the crafted ones are written."""
import os
import socket
import struct
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)))


def put(kind, harness, name, data):
    d = os.path.join(TOP, kind, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- ELF ---------------------------------------------------------------------------
EM_X86_64 = 62


def elf(shdrs, body, shoff):
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 3, EM_X86_64, 1, 0, 0, shoff, 0, 64, 0, 0, 64,
                      len(shdrs), 0)
    img = bytearray(eh + body)
    img += bytes(shoff - len(img))
    for sh in shdrs:
        img += struct.pack("<IIQQQQIIQQ", *sh)
    return bytes(img)


def mini_elf():
    names = b"\0SSL_do_handshake\0SSL_free\0ERR_vset_error\0SSL_version\0"
    text = bytes([0xf3, 0x0f, 0x1e, 0xfa, 0x8b, 0x07, 0xc3]) + bytes(25)
    textoff = 64
    symoff = textoff + len(text)
    syms = bytes(24)
    syms += struct.pack("<IBBHQQ", 1, 0x12, 0, 1, 0x1000, 7)
    syms += struct.pack("<IBBHQQ", 18, 0x12, 0, 0, 0, 0)
    syms += struct.pack("<IBBHQQ", 27, 0x12, 0, 1, 0x1004, 3)
    syms += struct.pack("<IBBHQQ", 42, 0x12, 0, 1, 0x1004, 3)
    stroff = symoff + len(syms)
    body = text + syms + names
    shoff = (64 + len(body) + 7) & ~7
    shdrs = [
        (0,) * 10,
        (0, 1, 6, 0x1000, textoff, len(text), 0, 0, 16, 0),  # .text
        (0, 2, 0, 0, symoff, len(syms), 3, 1, 8, 24),  # .symtab
        (0, 3, 0, 0, stroff, len(names), 0, 0, 1, 0),  # .strtab
        (0, 11, 2, 0, symoff, len(syms), 3, 1, 8, 24),  # .dynsym
    ]
    return elf(shdrs, body, shoff)


def quadratic_elf(nsh, nsym):
    """Finding 1: nsh section headers that all point at one table of nsym symbols."""
    names = b"\0SSL_free\0"
    syms = struct.pack("<IBBHQQ", 1, 0x12, 0, 0, 0, 0) * nsym
    symoff = 64
    stroff = symoff + len(syms)
    body = syms + names
    shoff = (64 + len(body) + 7) & ~7
    shdrs = [(0,) * 10, (0, 3, 0, 0, stroff, len(names), 0, 0, 1, 0)]
    shdrs += [(0, 2 if i % 2 else 11, 0, 0, symoff, len(syms), 1, 0, 8, 24)
              for i in range(2, nsh)]
    return elf(shdrs, body, shoff)


def main():
    put("corpus", "fuzz_elf", "mini", mini_elf())
    put("corpus", "fuzz_elf", "header-only", mini_elf()[:64])
    put("regress", "fuzz_elf", "finding1-quadratic-headers", quadratic_elf(2048, 512))

    # --- netlink -------------------------------------------------------------------------
    NLMSG_ERROR, NLMSG_DONE, RTM_NEWLINK = 2, 3, 16


    def nlmsg(typ, payload, length=None):
        n = 16 + len(payload) if length is None else length
        return struct.pack("<IHHII", n, typ, 2, 1, 0) + payload


    def pad(b):
        return b + bytes(-len(b) % 4)


    link = struct.pack("<BBHiII", 0, 0, 1, 7, 0x11043, 0)
    link += struct.pack("<HH", 8, 3) + b"eth0"  # IFLA_IFNAME
    link += struct.pack("<HHI", 8, 4, 1500)  # IFLA_MTU
    put("corpus", "fuzz_netlink", "crafted-link-done",
        b"\x07" + pad(nlmsg(RTM_NEWLINK, link)) + nlmsg(NLMSG_DONE, struct.pack("<i", 0)))
    put("corpus", "fuzz_netlink", "crafted-error",
        b"\x07" + nlmsg(NLMSG_ERROR, struct.pack("<i", -95) + bytes(16)))
    # finding 3: the walk went past the buffer on each of these
    put("regress", "fuzz_netlink", "finding3-negative-length",
        b"\x07" + nlmsg(RTM_NEWLINK, link, length=0xfffffff0))
    put("regress", "fuzz_netlink", "finding3-unaligned-last",
        b"\x07" + pad(nlmsg(RTM_NEWLINK, link)) + nlmsg(RTM_NEWLINK, link[:17]))
    put("regress", "fuzz_netlink", "finding3-short-nlmsgerr",
        b"\x07" + pad(nlmsg(RTM_NEWLINK, link)) + nlmsg(NLMSG_ERROR, b""))
    put("regress", "fuzz_netlink", "finding3-half-header",
        b"\x07" + pad(nlmsg(RTM_NEWLINK, link)) + b"\x10\x00\x00\x00\x10\x00")

    # --- DNS names -----------------------------------------------------------------------
    put("corpus", "fuzz_dns", "example", b"\x07example\x03com\x00\x00\x01")
    put("corpus", "fuzz_dns", "root", b"\x00")
    put("corpus", "fuzz_dns", "escapes", b"\x0bwe.ird na\"m\x05\\x\x00\xff\x04test\x00")
    put("corpus", "fuzz_dns", "pointer", b"\x03www\xc0\x0c")
    put("corpus", "fuzz_dns", "long", (b"\x3f" + b"a" * 63) * 4 + b"\x00")
    put("corpus", "fuzz_dns", "cut", b"\x07exam")

    # --- escaping and the exposition -------------------------------------------------------
    # finding 4: three names that were one series (each pair); finding 5: bytes that broke
    # JSON lines and terminal escapes that reached the terminal
    put("regress", "fuzz_escape", "finding4-ff-fe", b"curl\xff\0curl\xfe")
    put("regress", "fuzz_escape", "finding4-ff-fffd", b"curl\xff\0curl\xef\xbf\xbd")
    put("regress", "fuzz_escape", "finding4-text-vs-byte", b"curl\\xff\0curl\xff")
    put("regress", "fuzz_escape", "finding5-invalid-json", b"x\xc3\0\xed\xa0\x80")
    put("regress", "fuzz_escape", "finding5-terminal-escape", b"\x1b]0;owned\x07\x1b[2J\0\xc2\x9b2J")
    put("corpus", "fuzz_escape", "plain", b"curl\0wget")
    put("corpus", "fuzz_escape", "quotes", b"a\\b\"c\nd\0caf\xc3\xa9 \xe2\x82\xac")

    # --- config ----------------------------------------------------------------------------
    for name, argv in {
        "run": ["run", "--web.listen-address=127.0.0.1:9000", "--series-budget=100"],
        "trace": ["trace", "-l", "dns", "-o", "json", "--netns", "4026531840"],
        "bad": ["run", "--web.listen-address", "--nope", "-l"],
        "diagnose": ["diagnose", "--duration=2"],
    }.items():
        put("corpus", "fuzz_config", name, b"\0".join(a.encode() for a in argv))

    # --- BTF: one enum skb_drop_reason {NOT_SPECIFIED = 2, NO_SOCKET = 3} ---------------------
    strs = b"\0skb_drop_reason\0SKB_DROP_REASON_NOT_SPECIFIED\0SKB_DROP_REASON_NO_SOCKET\0"
    types = struct.pack("<III", 1, (6 << 24) | 2, 4)  # name, info: kind ENUM, vlen 2, size 4
    types += struct.pack("<Ii", 17, 2) + struct.pack("<Ii", 47, 3)
    hdr = struct.pack("<HBBIIIII", 0xeB9F, 1, 0, 24, 0, len(types), len(types), len(strs))
    put("corpus", "fuzz_btf", "enum", hdr + types + strs)

    # --- text files: crafted, and this machine's own with --live ----------------------------
    put("corpus", "fuzz_maps", "crafted",
        b"7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
        b"7f0000001000-7f0000002000 r--p 00001000 00:1f 99 /tmp/a b/libssl.so.3 (deleted)\n"
        b"7f0000002000-7f0000003000 rw-p 00000000 00:00 0\n"
        b"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n")
    put("corpus", "fuzz_mountinfo", "crafted",
        b"25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        b"30 25 0:26 / /sys/fs/cgroup/uni\\040fied rw - cgroup2 cgroup2 rw\n")
    put("corpus", "fuzz_mib", "crafted",
        b"Ip6InReceives                   \t12\nIcmp6OutDestUnreachs 3\nIcmp6OutType1 18446744073709551615\n"
        b"ifIndex 2\nIcmp6InNeighborSolicits 5\n")
    put("corpus", "fuzz_kallsyms", "crafted",
        b"ffffffff81000000 T _stext\nffffffff81000100 t tcp_v4_rcv\n"
        b"ffffffff81000200 T kfree_skb_reason\nffffffffc0000000 t a\t[mod]\n")

    if "--live" in sys.argv:
        def head(path, n):
            with open(path, "rb") as f:
                return b"".join(f.readlines()[:n])
        put("corpus", "fuzz_maps", "self", head("/proc/self/maps", 40))
        put("corpus", "fuzz_mountinfo", "self", head("/proc/self/mountinfo", 40))
        put("corpus", "fuzz_mib", "snmp6", head("/proc/net/snmp6", 200))
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)  # NETLINK_ROUTE
        s.send(struct.pack("<IHHII", 32, 18, 0x301, 1, 0) + bytes(16))  # RTM_GETLINK dump
        put("corpus", "fuzz_netlink", "live-link-dump", b"\x01" + s.recv(65536)[:4096])
        s.close()
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
        req = struct.pack("<BBBBI", 2, 6, 0, 0, 0xfff) + bytes(48)  # inet_diag_req_v2
        s.send(struct.pack("<IHHII", 16 + len(req), 20, 0x301, 1, 0) + req)
        put("corpus", "fuzz_netlink", "live-sockdiag", b"\x00" + s.recv(65536)[:4096])
        s.close()


if __name__ == "__main__":
    main()
