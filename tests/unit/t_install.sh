#!/bin/sh
# t_install.sh - `make install` / `make uninstall` into a temporary DESTDIR
# (issue 15, no root): the files land where the SPEC says; the shared
# library has its SONAME and exports exactly the calls of tapstack.h (nm
# -D); pkg-config finds it (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR into
# the DESTDIR) with the version `tapstack --version` prints; the examples
# build against the installed header and library alone, shared and
# static, and the two-stack ones run (pair, and the program of tapstack(3)'s
# EXAMPLES); each command's --help lists the options of its man page
# subsections, and the bash completion offers the same; man pages render
# without warnings; make uninstall leaves no file behind.
#
#   sh tests/unit/t_install.sh [path/to/tapstack]      TEST=name runs one check
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/tsinst.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
D=$WORK/dest
PREFIX=/usr/local
LIB=$D$PREFIX/lib
FAILS=0 CHECKS=0

want() { [ -z "${TEST:-}" ] || [ "$TEST" = "$1" ]; }
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $1"; }
fail() {
	CHECKS=$((CHECKS + 1)) FAILS=$((FAILS + 1))
	echo "FAIL $1"
	[ -f "$WORK/out" ] && sed 's/^/     | /' "$WORK/out" | tail -n 20
	rm -f "$WORK/out"
}
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u PKG_CONFIG_PATH -u PKG_CONFIG_SYSROOT_DIR \
		-u PKG_CONFIG_LIBDIR make --no-print-directory -C "$TOP" "$@"
}
export PKG_CONFIG_PATH=$LIB/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D

# The installation every check below looks at.
if ! mk install DESTDIR="$D" PREFIX=$PREFIX >"$WORK/install.log" 2>&1; then
	echo "make install DESTDIR=$D failed:"
	tail -n 30 "$WORK/install.log"
	exit 1
fi
BIN=$D$PREFIX/bin/tapstack

if want files; then
	missing=""
	for f in bin/tapstack lib/libtapstack.a lib/libtapstack.so lib/libtapstack.so.0 \
		include/tapstack/tapstack.h lib/pkgconfig/tapstack.pc share/man/man1/tapstack.1 \
		share/man/man3/tapstack.3 share/bash-completion/completions/tapstack; do
		[ -e "$D$PREFIX/$f" ] || missing="$missing $f"
	done
	ver=$("$BIN" --version | awk '{print $2}')
	{
		echo "missing:$missing"
		ls -l "$LIB"
	} >"$WORK/out"
	if [ -z "$missing" ] && [ -f "$LIB/libtapstack.so.$ver" ] &&
		[ "$(readlink "$LIB/libtapstack.so")" = libtapstack.so.0 ] &&
		[ "$(readlink "$LIB/libtapstack.so.0")" = "libtapstack.so.$ver" ] &&
		readelf -d "$LIB/libtapstack.so.$ver" | grep -q 'SONAME.*\[libtapstack.so.0\]'; then
		pass "files (libtapstack.so -> .so.0 -> .so.$ver, SONAME libtapstack.so.0)"
	else fail files; fi
fi

if want exports; then
	nm -D --defined-only "$LIB/libtapstack.so.0" | awk '{print $3}' | sort >"$WORK/exported"
	grep -o 'ts_[a-z0-9_]*(' "$D$PREFIX/include/tapstack/tapstack.h" | tr -d '(' | sort -u \
		>"$WORK/declared"
	{
		echo "not ts_:"
		grep -v '^ts_' "$WORK/exported"
		echo "exported vs declared:"
		diff "$WORK/exported" "$WORK/declared"
	} >"$WORK/out"
	if [ -s "$WORK/exported" ] && ! grep -qv '^ts_' "$WORK/exported" &&
		cmp -s "$WORK/exported" "$WORK/declared"; then
		pass "exports: nm -D shows only ts_ symbols, exactly tapstack.h's $(wc -l <"$WORK/exported") calls"
	else fail exports; fi
fi

if want pkg_config; then
	ver=$("$BIN" --version | awk '{print $2}')
	mv=$(pkg-config --modversion tapstack 2>"$WORK/out")
	cf=$(pkg-config --cflags tapstack 2>>"$WORK/out")
	echo "modversion '$mv', --version '$ver', cflags '$cf'" >>"$WORK/out"
	if [ "$mv" = "$ver" ] && [ -n "$ver" ] && echo "$cf" | grep -q -- "-I$D$PREFIX/include/tapstack" &&
		pkg-config --libs tapstack | grep -q -- "-L$LIB"; then
		pass "pkg-config: version $mv, paths in the DESTDIR"
	else fail pkg_config; fi
fi

# build NAME SRC MODE: cc against the installed library only, -Werror.
build() {
	if [ "$3" = static ]; then
		# -l:libtapstack.a (GNU ld): the archive, with the libraries it needs.
		libs=$(pkg-config --static --libs tapstack | sed 's/-ltapstack/-l:libtapstack.a/')
	else
		libs=$(pkg-config --libs tapstack)
	fi
	# shellcheck disable=SC2046
	cc -std=gnu11 -Wall -Wextra -Werror -o "$WORK/$1" "$2" $(pkg-config --cflags tapstack) $libs \
		>>"$WORK/out" 2>&1
}

if want examples_build; then
	: >"$WORK/out"
	ok=1
	for e in hello_c echo_client udp_echo pair; do
		for mode in shared static; do
			build "$e-$mode" "$TOP/docs/examples/$e/main.c" $mode || {
				echo "$e ($mode) did not build" >>"$WORK/out"
				ok=0
			}
		done
	done
	if [ $ok = 1 ]; then pass "examples_build: 4 examples, shared and static, installed header only"; else
		fail examples_build; fi
fi

if want pair_shared; then
	[ -x "$WORK/pair-shared" ] || build pair-shared "$TOP/docs/examples/pair/main.c" shared
	LD_LIBRARY_PATH=$LIB "$WORK/pair-shared" >"$WORK/out" 2>&1
	rc=$?
	readelf -d "$WORK/pair-shared" >>"$WORK/out" 2>&1
	if [ $rc -eq 0 ] && grep -q '^ok$' "$WORK/out" &&
		grep -q 'NEEDED.*\[libtapstack.so.0\]' "$WORK/out"; then
		pass "pair_shared: runs two stacks against libtapstack.so.0"
	else fail pair_shared; fi
fi

if want pair_static; then
	[ -x "$WORK/pair-static" ] || build pair-static "$TOP/docs/examples/pair/main.c" static
	"$WORK/pair-static" >"$WORK/out" 2>&1
	rc=$?
	readelf -d "$WORK/pair-static" >>"$WORK/out" 2>&1
	if [ $rc -eq 0 ] && grep -q '^ok$' "$WORK/out" && ! grep -q 'libtapstack' "$WORK/out"; then
		pass "pair_static: runs two stacks with libtapstack.a linked in"
	else fail pair_static; fi
fi

if want man_example; then
	# The program of tapstack(3)'s EXAMPLES, as a reader would copy it.
	awk '/^\.Bd -literal/ {on = 1; next} /^\.Ed/ {if (on) exit} on' \
		"$D$PREFIX/share/man/man3/tapstack.3" | sed 's/\\e/\\/g' >"$WORK/man_example.c"
	: >"$WORK/out"
	if build man-example "$WORK/man_example.c" shared &&
		[ "$(LD_LIBRARY_PATH=$LIB "$WORK/man-example" 2>>"$WORK/out")" = hi ]; then
		pass "man_example: tapstack(3)'s program builds and prints hi"
	else fail man_example; fi
fi

if want man_render; then
	: >"$WORK/out"
	for m in man1/tapstack.1 man3/tapstack.3; do
		groff -mdoc -Tutf8 -ww -z "$D$PREFIX/share/man/$m" 2>&1 | grep -v "can't break line" >>"$WORK/out"
	done
	if [ ! -s "$WORK/out" ]; then pass "man_render: groff -mdoc -ww, no warning"; else fail man_render; fi
fi

# help_opts CMD: the options starting the lines of `tapstack CMD --help`.
help_opts() {
	"$BIN" "$1" --help | sed -n 's/^ \{1,\}\(--\{0,1\}[A-Za-z][A-Za-z0-9-]*\).*/\1/p' | sort -u
}
# man_opts CMD: the `.It Fl` options of tapstack(1)'s "Options of" subsections for CMD.
man_opts() {
	awk -v cmd="$1" '
		/^\.S[sh] / {
			t = $0; sub(/^\.S[sh] /, "", t)
			on = (t == "Options of " cmd) ||
			     (t == "Options of serve, get and ping" && (cmd == "serve" || cmd == "get" || cmd == "ping"))
			next
		}
		on && /^\.It Fl / { print "-" $3 }' "$TOP/docs/man/tapstack.1" | sort -u
}
if want help_matches_man; then
	: >"$WORK/out"
	ok=1
	for c in serve get ping sim setup; do
		help_opts $c >"$WORK/h.$c"
		man_opts $c >"$WORK/m.$c"
		if [ ! -s "$WORK/h.$c" ] || ! cmp -s "$WORK/h.$c" "$WORK/m.$c"; then
			echo "tapstack $c --help (<) vs tapstack(1) (>):" >>"$WORK/out"
			diff "$WORK/h.$c" "$WORK/m.$c" >>"$WORK/out"
			ok=0
		fi
	done
	if [ $ok = 1 ]; then pass "help_matches_man: serve get ping sim setup"; else fail help_matches_man; fi
fi

if want completion; then
	: >"$WORK/out"
	ok=1
	comp=$D$PREFIX/share/bash-completion/completions/tapstack
	for c in serve get ping sim setup; do
		bash -c '. "$1"; COMP_WORDS=(tapstack "$2" -); COMP_CWORD=2; _tapstack; printf "%s\n" "${COMPREPLY[@]}"' \
			_ "$comp" $c | sort -u >"$WORK/c.$c"
		help_opts $c >"$WORK/h.$c"
		if ! cmp -s "$WORK/c.$c" "$WORK/h.$c"; then
			echo "completion of tapstack $c - (<) vs --help (>):" >>"$WORK/out"
			diff "$WORK/c.$c" "$WORK/h.$c" >>"$WORK/out"
			ok=0
		fi
	done
	if [ $ok = 1 ]; then pass "completion: offers each command's --help options"; else fail completion; fi
fi

if want uninstall; then
	mk uninstall DESTDIR="$D" PREFIX=$PREFIX >"$WORK/out" 2>&1
	find "$D" ! -type d >>"$WORK/out"
	if [ -z "$(find "$D" ! -type d)" ]; then pass "uninstall: no file left in the DESTDIR"; else
		fail uninstall; fi
fi

if [ "$CHECKS" -eq 0 ]; then
	echo "skipped: no test named '${TEST:-}' in t_install"
	exit 77
fi
echo "t_install: $((CHECKS - FAILS)) of $CHECKS checks passed"
[ "$FAILS" -eq 0 ]
