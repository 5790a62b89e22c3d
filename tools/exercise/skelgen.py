#!/usr/bin/env python3
"""skelgen.py - exercise skeletons and typical mistakes, made from today's reference.

An exercise's skeleton is never edited by hand: it is generated from the
reference file it replaces (stack/arp.c, ...) by blanking a declared list of
functions, so that when someone changes the reference, regenerating the
skeleton carries the change over (the functions the learner is given stay
the reference's, byte for byte).  Likewise a typical mistake is a small
search-and-replace on the reference, not a diff with line numbers: it keeps
applying while the reference moves under it, and it fails loudly when the
text it changes is gone or is no longer unique.

  skelgen.py skeleton SPEC REF        print the skeleton SPEC makes from REF
  skelgen.py mistake MISTAKE REF      print REF with the mistake applied
  skelgen.py same A B...              exit 0 when A and one of B... differ only in
                                      layout (whitespace, comment reflow: clang-format)
  skelgen.py stale SPEC REF           list (exit 1) the blanked functions whose
                                      reference changed since their TODO was written:
                                      NAME RECORDED NOW
  skelgen.py stamp SPEC REF           record today's fingerprints in SPEC (same list)
  skelgen.py make SPEC REF OUT [COMMITTED...]
                                      the skeleton, clang-formatted, to OUT; exit 3
                                      when it is none of COMMITTED, 4 when stale
  skelgen.py functions REF            list REF's top-level function definitions

A skeleton SPEC (tests/exercises/NAME.skel) is a list of directives; lines
before the first directive, and lines starting with '#' directly after a
directive line, are comments:

  @head                 the lines after it replace REF's first comment (the
                        file's header: "YOUR VERSION", what to write)
  @blank FUNCTION [ref=FINGERPRINT]
                        FUNCTION's body becomes a TODO comment made of the
                        lines after it, a (void) for each parameter the stub
                        does not use, and a neutral return (0, false, NULL,
                        nothing for void)
  @stub                 (after a @blank) C statements ending the blank body
                        instead of the neutral return: a buffer the function
                        owns must still be freed, a drop reason may be
                        needed so that no check passes by accident
  @keep NAME...         statics the blanked functions used that stay given
                        (marked unused when nothing else uses them)
  @drop NAME...         statics only the blanked functions used that the
                        learner writes again (removed without the warning
                        any other such static gets)

Every other static function or variable that nothing outside the blanked
bodies uses any more is removed (it would be the solution, and an unused
static does not compile with -Werror), with a warning on stderr unless
@drop names it: a helper removed silently is one the TODO text may not
mention.  A @blank that names no function of
REF is an error: the reference was renamed or split, and the spec must
follow (the message says which).

ref= is a fingerprint of the reference function the TODO text describes
(its text, layout aside).  When the reference function changes, the TODO
may no longer say everything the learner has to do (a new call, a new
case): `stale` lists those functions, the self-check fails on them, and
`make exercises-regenerate` records the new fingerprints (`stamp`) and
names the TODO texts to review.

A MISTAKE (tests/exercises/mistakes/NAME/*.mistake) is a header (Mistake:,
Hint:, Stage:, Check: lines, see tools/exercise/selfcheck.sh) then one or
more edits:

  @@ replace
  text of the reference (whitespace-insensitive), found exactly once
  @@ with
  what it becomes
  @@ end

Exit status: 0 done, 1 a spec or mistake no longer fits REF (the message
says what to update), 2 usage.
"""
import re
import sys

IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
KEYWORDS = {
    'static', 'inline', 'extern', 'const', 'volatile', 'struct', 'union', 'enum', 'unsigned',
    'signed', 'int', 'char', 'short', 'long', 'void', 'bool', 'return', 'if', 'else', 'for',
    'while', 'do', 'switch', 'case', 'default', 'break', 'continue', 'sizeof', 'goto',
    '__attribute__', 'restrict', 'typedef',
}


class Fail(Exception):
    pass


# ---- C at file scope ---------------------------------------------------------

class Item:
    """One top-level piece of a C file: 'space', 'comment', 'pp', 'func' or 'decl'."""

    def __init__(self, kind, text):
        self.kind = kind
        self.text = text
        self.name = None
        self.body_start = None  # func: offset of '{' in text

    def __repr__(self):
        return '%s:%s' % (self.kind, self.name or self.text[:30].replace('\n', ' '))


def skip_literal(s, i):
    """s[i] is a quote: return the index after the literal."""
    q = s[i]
    i += 1
    while i < len(s) and s[i] != q:
        i += 2 if s[i] == '\\' else 1
    return i + 1


def skip_comment(s, i):
    if s.startswith('//', i):
        j = s.find('\n', i)
        return len(s) if j < 0 else j
    j = s.find('*/', i + 2)
    if j < 0:
        raise Fail('unterminated comment')
    return j + 2


def code_only(s):
    """s with comments and string/char literals blanked (same length)."""
    out = list(s)
    i = 0
    while i < len(s):
        c = s[i]
        if s.startswith('/*', i) or s.startswith('//', i):
            j = skip_comment(s, i)
            for k in range(i, j):
                if out[k] != '\n':
                    out[k] = ' '
            i = j
        elif c in '"\'':
            j = skip_literal(s, i)
            for k in range(i + 1, j - 1):
                out[k] = ' '
            i = j
        else:
            i += 1
    return ''.join(out)


def split_items(src):
    items = []
    i = 0
    n = len(src)
    at_line_start = True
    while i < n:
        c = src[i]
        if c in ' \t\n':
            j = i
            while j < n and src[j] in ' \t\n':
                j += 1
            items.append(Item('space', src[i:j]))
            at_line_start = True if '\n' in src[i:j] else at_line_start
            i = j
            continue
        if src.startswith('/*', i) or src.startswith('//', i):
            j = skip_comment(src, i)
            items.append(Item('comment', src[i:j]))
            i = j
            continue
        if c == '#' and at_line_start:
            j = i
            while True:
                k = src.find('\n', j)
                if k < 0:
                    k = n
                    break
                if src[k - 1] == '\\':
                    j = k + 1
                    continue
                break
            items.append(Item('pp', src[i:k]))
            i = k
            continue
        # A declaration or a function definition.
        j = i
        depth = 0
        saw_eq = False
        last_sig = ''
        kind = 'decl'
        body = None
        while j < n:
            d = src[j]
            if src.startswith('/*', j) or src.startswith('//', j):
                j = skip_comment(src, j)
                continue
            if d in '"\'':
                j = skip_literal(src, j)
                last_sig = 'x'
                continue
            if d in '([':
                depth += 1
            elif d in ')]':
                depth -= 1
            elif d == '{':
                if depth == 0 and last_sig == ')' and not saw_eq:
                    kind = 'func'
                    body = j - i
                depth += 1
            elif d == '}':
                depth -= 1
                if depth == 0 and kind == 'func':
                    j += 1
                    break
            elif d == '=' and depth == 0:
                saw_eq = True
            elif d == ';' and depth == 0:
                j += 1
                break
            if not d.isspace():
                last_sig = d
            j += 1
        it = Item(kind, src[i:j])
        it.body_start = body
        it.name = decl_name(it)
        items.append(it)
        at_line_start = False
        i = j
    return items


def head_of(it):
    return it.text[:it.body_start] if it.kind == 'func' else it.text


def params_span(head):
    """(open, close) of the last top-level parenthesised group in a function head."""
    code = code_only(head)
    depth = 0
    close = None
    for k in range(len(code) - 1, -1, -1):
        if code[k] == ')':
            if depth == 0:
                close = k
            depth += 1
        elif code[k] == '(':
            depth -= 1
            if depth == 0 and close is not None:
                # skip __attribute__((...)) groups after the parameters
                before = code[:k].rstrip()
                if before.endswith('__attribute__') or before.endswith('('):
                    close = None
                    continue
                return k, close
    return None


def decl_name(it):
    code = code_only(head_of(it))
    if it.kind == 'func':
        span = params_span(code)
        if not span:
            return None
        m = re.search(r'([A-Za-z_]\w*)\s*$', code[:span[0]])
        return m.group(1) if m else None
    # a declaration: the declarator before '=', '[', '(' or ';' (first one)
    c = re.sub(r'\{[^{}]*\}', ' ', code)
    while re.search(r'\{[^{}]*\}', c):
        c = re.sub(r'\{[^{}]*\}', ' ', c)
    c = re.sub(r'__attribute__\s*\(\(.*?\)\)', ' ', c)
    m = re.match(r'\s*([^=;\[]*)', c)
    part = m.group(1)
    # a prototype: name before its parameter list
    p = re.search(r'([A-Za-z_]\w*)\s*\(', part)
    if p and not part.lstrip().startswith('typedef'):
        return p.group(1)
    ids = IDENT.findall(part)
    return ids[-1] if ids else None


def is_static(it):
    return re.match(r'\s*(__attribute__\s*\(\(.*?\)\)\s*)?static\b', code_only(it.text)) is not None


def is_prototype(it):
    return it.kind == 'decl' and re.search(r'\)\s*(__attribute__\s*\(\(.*?\)\)\s*)*;\s*$',
                                            code_only(it.text)) is not None and '=' not in code_only(it.text)


# ---- blanking ----------------------------------------------------------------

def param_names(head):
    o, c = params_span(code_only(head))
    inner = code_only(head)[o + 1:c]
    names = []
    depth = 0
    cur = ''
    parts = []
    for ch in inner:
        if ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p or p in ('void', '...'):
            continue
        fp = re.search(r'\(\s*\*\s*([A-Za-z_]\w*)\s*\)', p)
        if fp:
            names.append(fp.group(1))
            continue
        p = re.sub(r'\[[^\]]*\]', '', p)
        ids = [x for x in IDENT.findall(p) if x not in KEYWORDS]
        if len(IDENT.findall(p)) >= 2 and ids:
            names.append(ids[-1])
    return names


def neutral_return(head, name):
    code = code_only(head)
    o, _ = params_span(code)
    rt = code[:o]
    rt = rt[:rt.rfind(name)]
    rt = re.sub(r'__attribute__\s*\(\(.*?\)\)', ' ', rt)
    rt = re.sub(r'\b(static|inline|extern)\b', ' ', rt).strip()
    if '*' in rt:
        return 'return NULL;'
    if rt == 'void':
        return None
    if rt == 'bool':
        return 'return false;'
    m = re.match(r'(const\s+)?(struct|union)\s+(\w+)$', rt)
    if m:
        return 'return (%s %s){0};' % (m.group(2), m.group(3))
    return 'return 0;'


def todo_comment(lines):
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        lines = ['']
    if not lines[0].startswith('TODO'):
        lines[0] = (('TODO ' if lines[0].startswith('(') else 'TODO: ') + lines[0]) if lines[0] else 'TODO'
    if len(lines) == 1 and len(lines[0]) <= 85:
        return ['/* %s */' % lines[0]]
    return ['/*'] + [(' * ' + l) if l else ' *' for l in lines] + [' */']


def blank(it, todo, stub):
    head = head_of(it)
    used = set(IDENT.findall(code_only('\n'.join(stub)))) if stub else set()
    out = ['{']
    out += ['\t' + l for l in todo_comment(todo)]
    for p in param_names(head):
        if p not in used:
            out.append('\t(void)%s;' % p)
    if stub:
        out += [('\t' + l) if l and not l.startswith('\t') else l for l in stub]
    else:
        r = neutral_return(head, it.name)
        if r:
            out.append('\t' + r)
    out.append('}')
    it.text = head + '\n'.join(out)


def parse_spec(path):
    spec = {'head': None, 'blank': [], 'keep': set(), 'drop': set()}
    cur = None
    last_blank = None
    with open(path) as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    fresh = False
    for ln in lines:
        if ln.startswith('@'):
            w = ln.split()
            fresh = True
            if w[0] == '@head':
                spec['head'] = cur = []
            elif w[0] == '@blank' and len(w) in (2, 3) and (len(w) == 2 or w[2].startswith('ref=')):
                last_blank = {'name': w[1], 'todo': [], 'stub': None,
                              'ref': w[2][4:] if len(w) == 3 else None}
                spec['blank'].append(last_blank)
                cur = last_blank['todo']
            elif w[0] == '@stub' and last_blank is not None:
                last_blank['stub'] = cur = []
            elif w[0] == '@keep':
                spec['keep'].update(w[1:])
                cur = None
            elif w[0] == '@drop':
                spec['drop'].update(w[1:])
                cur = None
            else:
                raise Fail('%s: unknown directive %r' % (path, ln))
            continue
        if cur is None or (fresh and ln.startswith('#')):
            continue
        fresh = False
        cur.append(ln)
    return spec


def skeleton(spec_path, ref_path):
    spec = parse_spec(spec_path)
    src = open(ref_path).read()
    items = split_items(src)
    is_header = ref_path.endswith('.h')
    funcs = {}
    for it in items:
        if it.kind == 'func':
            funcs.setdefault(it.name, []).append(it)
    blanked = set()
    for b in spec['blank']:
        found = funcs.get(b['name'], [])
        if len(found) != 1:
            raise Fail('%s: @blank %s: %s in %s; update the spec to today\'s reference' % (
                spec_path, b['name'], 'no such function' if not found else 'defined %d times' % len(found),
                ref_path))
        blank(found[0], b['todo'], b['stub'])
        blanked.add(b['name'])
    for k in spec['keep']:
        if not any(it.name == k for it in items if it.kind in ('func', 'decl')):
            raise Fail('%s: @keep %s: no such name in %s; update the spec' % (spec_path, k, ref_path))
    if spec['head'] is not None:
        for it in items:
            if it.kind == 'comment':
                it.text = '\n'.join(spec['head'])
                break
    if not is_header:
        # Remove the statics nothing uses any more; mark the kept ones.
        while True:
            removed = False
            for it in items:
                if it.kind not in ('func', 'decl') or not it.name or not is_static(it):
                    continue
                if it.name in blanked or is_prototype(it):
                    continue
                if used_elsewhere(items, it):
                    continue
                if it.name in spec['keep']:
                    continue
                # Said aloud: a helper only the blanked bodies called goes
                # with them, and the learner must write it again (or the
                # spec gives it with @keep).
                if it.name not in spec['drop']:
                    sys.stderr.write('skelgen: warning: %s: static %s removed from the skeleton: '
                                     'nothing outside the blanked functions uses it (@keep %s '
                                     'gives it to the learner, @drop %s says it is theirs to '
                                     'write)\n' % (spec_path, it.name, it.name, it.name))
                drop_item(items, it)
                removed = True
                break
            if not removed:
                break
        # static prototypes of removed functions
        defined = {it.name for it in items if it.kind == 'func'}
        for it in list(items):
            if is_prototype(it) and is_static(it) and it.name not in defined:
                drop_item(items, it)
        for it in items:
            if it.kind in ('func', 'decl') and it.name and is_static(it) and not is_prototype(it) \
                    and not used_elsewhere(items, it) and 'inline' not in head_of(it).split('(')[0] \
                    and '__attribute__((unused))' not in it.text:
                it.text = '__attribute__((unused)) ' + it.text
    out = ''.join(it.text for it in items)
    out = re.sub(r'\n{3,}', '\n\n', out)
    return out


def used_elsewhere(items, it):
    pat = re.compile(r'\b%s\b' % re.escape(it.name))
    for o in items:
        if o is it or o.kind not in ('func', 'decl', 'pp'):
            continue
        if is_prototype(o) and o.name == it.name:
            continue
        if pat.search(code_only(o.text)):
            return True
    return False


def drop_item(items, it):
    k = items.index(it)
    # its comment (directly above) goes with it
    j = k
    if j >= 1 and items[j - 1].kind == 'space' and items[j - 1].text.count('\n') <= 1:
        if j >= 2 and items[j - 2].kind == 'comment':
            j -= 2
    del items[j:k + 1]
    # and the blank line it leaves
    if j < len(items) and items[j].kind == 'space' and j >= 1 and items[j - 1].kind == 'space':
        del items[j]


# ---- fingerprints of the blanked functions ---------------------------------------

def fingerprint(it):
    import hashlib
    return hashlib.sha1(layout_free(it.text).encode()).hexdigest()[:12]


def stale(spec_path, ref_path):
    """[(name, recorded, now)] for the blanked functions whose reference changed."""
    spec = parse_spec(spec_path)
    funcs = {it.name: it for it in split_items(open(ref_path).read()) if it.kind == 'func'}
    out = []
    for b in spec['blank']:
        if b['name'] not in funcs:
            raise Fail('%s: @blank %s: no such function in %s; update the spec to today\'s '
                       'reference' % (spec_path, b['name'], ref_path))
        now = fingerprint(funcs[b['name']])
        if b['ref'] != now:
            out.append((b['name'], b['ref'], now))
    return out


def stamp(spec_path, ref_path):
    """Records today's fingerprints in the spec; returns what changed."""
    changed = stale(spec_path, ref_path)
    if not changed:
        return changed
    new = dict((n, now) for n, _, now in changed)
    lines = open(spec_path).read().split('\n')
    for k, ln in enumerate(lines):
        w = ln.split()
        if len(w) >= 2 and w[0] == '@blank' and w[1] in new:
            lines[k] = '@blank %s ref=%s' % (w[1], new[w[1]])
    with open(spec_path, 'w') as f:
        f.write('\n'.join(lines))
    return changed


# ---- mistakes ------------------------------------------------------------------

def parse_mistake(path):
    edits = []
    state = None
    cur = None
    with open(path) as f:
        for ln in f.read().split('\n'):
            if ln.strip() == '@@ replace':
                cur = {'old': [], 'new': []}
                state = 'old'
            elif ln.strip() == '@@ with' and state == 'old':
                state = 'new'
            elif ln.strip() == '@@ end' and state == 'new':
                edits.append(cur)
                state = None
            elif state:
                cur[state].append(ln)
    if state is not None:
        raise Fail('%s: an edit is not closed with @@ end' % path)
    if not edits:
        raise Fail('%s: no @@ replace ... @@ with ... @@ end edit' % path)
    return edits


def apply_mistake(path, ref_path):
    src = open(ref_path).read()
    for n, e in enumerate(parse_mistake(path), 1):
        old = '\n'.join(e['old'])
        words = old.split()
        if not words:
            raise Fail('%s: edit %d replaces nothing' % (path, n))
        pat = re.compile(r'\s+'.join(re.escape(w) for w in words))
        found = list(pat.finditer(src))
        if len(found) != 1:
            raise Fail('%s: edit %d: the text to replace is found %d times in %s (must be once): '
                       'the reference changed there; rewrite the edit on today\'s reference\n  %s' % (
                           path, n, len(found), ref_path, old.strip().split('\n')[0]))
        m = found[0]
        start, end = m.start(), m.end()
        # Whole lines when the text is whole lines: the replacement's lines
        # (indentation as written) take their place, or nothing does.
        ls = src.rfind('\n', 0, start) + 1
        le = src.find('\n', end)
        le = len(src) if le < 0 else le
        new = '\n'.join(e['new']).strip('\n')
        if src[ls:start].strip() == '' and src[end:le].strip() == '':
            start, end = ls, min(le + 1, len(src))
            new = new + '\n' if new else ''
        else:
            new = new.strip()
        src = src[:start] + new + src[end:]
    return src


# ---- comparing modulo layout ----------------------------------------------------

def layout_free(s):
    s = re.sub(r'\n[ \t]*\*(?!/)', '\n', s)
    return re.sub(r'\s+', '', s)


def formatted(text, ref_path):
    """text as clang-format leaves it (`make format`), when clang-format is installed."""
    import shutil
    import subprocess
    if not shutil.which('clang-format'):
        return text
    r = subprocess.run(['clang-format', '--assume-filename=' + ref_path], input=text,
                       capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else text


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == 'skeleton':
            sys.stdout.write(skeleton(argv[2], argv[3]))
        elif len(argv) == 4 and argv[1] == 'mistake':
            sys.stdout.write(apply_mistake(argv[2], argv[3]))
        elif len(argv) >= 4 and argv[1] == 'same':
            want = layout_free(open(argv[2]).read())
            for other in argv[3:]:
                try:
                    if layout_free(open(other).read()) == want:
                        return 0
                except OSError:
                    pass
            return 1
        elif len(argv) >= 5 and argv[1] == 'make':
            # make SPEC REF OUT [COMMITTED...]: the skeleton to OUT (through
            # clang-format when there is one); exit 3 when it is none of
            # COMMITTED (modulo layout), 4 when a blanked function's
            # fingerprint is stale (listed on stdout), 1 when SPEC does not fit.
            text = formatted(skeleton(argv[2], argv[3]), argv[3])
            with open(argv[4], 'w') as f:
                f.write(text)
            changed = stale(argv[2], argv[3])
            for name, old, now in changed:
                print('%s %s %s' % (name, old or '-', now))
            if len(argv) > 5:
                want = layout_free(text)
                same_as = False
                for other in argv[5:]:
                    try:
                        same_as = same_as or layout_free(open(other).read()) == want
                    except OSError:
                        pass
                if not same_as:
                    return 3
            return 4 if changed else 0
        elif len(argv) == 4 and argv[1] in ('stale', 'stamp'):
            changed = (stale if argv[1] == 'stale' else stamp)(argv[2], argv[3])
            for name, old, now in changed:
                print('%s %s %s' % (name, old or '-', now))
            return 1 if changed and argv[1] == 'stale' else 0
        elif len(argv) == 3 and argv[1] == 'functions':
            for it in split_items(open(argv[2]).read()):
                if it.kind == 'func':
                    print(it.name)
        else:
            sys.stderr.write(__doc__)
            return 2
    except Fail as e:
        sys.stderr.write('skelgen: %s\n' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
