#!/usr/bin/python3
"""mkman.py -- generate libfolkrnn's man pages from the header comments.

    /usr/bin/python3 doc/man/mkman.py [--check] [--folkrnn BUILT_FOLKRNN] [SRCDIR]

reads SRCDIR/include/folkrnn.h (the header is the manual),
SRCDIR/tools/folkrnn.c (the command's subcommand table) and, when the built
command is given, each subcommand's --help text, and writes into
SRCDIR/doc/man/ (or, with --check, into a temporary folder, then compares
with the committed pages and exits 1 listing what differs):

  folkrnn.1          the command: synopsis, subcommands and their options,
                     environment, exit codes (only with --folkrnn)
  folkrnn.3          the library: the header's conventions, every function by section
  FUNCTION.3         one page per FOLKRNN_API function: its prototype(s), the
                     types and constants it mentions, the comment above it
  pages.am           the automake list of the pages (dist_man_MANS)

The generated pages are committed, so building never needs Python.  A
function's documentation is the comment just above it; declarations that
follow one comment without another between them share it (and one page
each).  Standard library only; the output depends on nothing but the input
files, so a re-run on unchanged sources rewrites identical bytes.
"""
import os
import re
import subprocess
import sys
import tempfile

MANUAL = "libfolkrnn Manual"


# ---------------------------------------------------------------------------
# Reading the header
# ---------------------------------------------------------------------------

def items(text):
    """Split C source into ("comment", text), ("pp", line) and ("code", stmt)
    items in order.  A code statement runs to a ';' outside braces.  The
    C++ guards (extern "C" {) are dropped first."""
    text = re.sub(r"#ifdef __cplusplus\n.*?#endif\n", "", text, flags=re.S)
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.index("*/", i) + 2
            out.append(("comment", text[i:j]))
            i = j
        elif text[i] == "#" and (i == 0 or text[i - 1] == "\n"):
            j = i
            while True:                      # continued lines, comments run on
                j = text.find("\n", j)
                if j < 0:
                    j = n
                    break
                line = text[i:j]
                if line.count("/*") > line.count("*/"):
                    j = text.index("*/", j) + 2
                elif text[j - 1] == "\\":
                    j += 1
                else:
                    break
            out.append(("pp", text[i:j]))
            i = j
        elif text[i].isspace():
            i += 1
        else:
            j, depth = i, 0
            while j < n:
                if text.startswith("/*", j):
                    j = text.index("*/", j) + 2
                    continue
                c = text[j]
                depth += c == "{"
                depth -= c == "}"
                j += 1
                if c == ";" and depth == 0:
                    break
            out.append(("code", text[i:j]))
            i = j
    return out


def comment_text(comment):
    """The text of a /* */ comment, dedented, markers removed."""
    body = comment[2:-2]
    lines = body.split("\n")
    first = lines[0].strip()
    rest = [l.rstrip() for l in lines[1:]]
    indent = min((len(l) - len(l.lstrip()) for l in rest if l.strip()), default=0)
    rest = [l[indent:] for l in rest]
    text = "\n".join([first] + rest).strip("\n")
    return text.rstrip().rstrip("*").rstrip()


class Header:
    """What the man pages need from folkrnn.h."""

    def __init__(self, text):
        self.version = re.search(r'#define FOLKRNN_VERSION "([^"]+)"', text).group(1)
        self.intro = None
        self.sections = []      # [(number, title, intro text or "", [function names])]
        self.functions = {}     # name -> {"protos": [...], "doc": text, "section": title}
        self.order = []         # function names in header order
        self.types = []         # [(identifiers, source text)] of enums, typedefs, macros
        self._read(text)

    def _section(self, number, title, intro=""):
        self.sections.append((number, title, intro, []))

    def _read(self, text):
        doc = None
        for kind, body in items(text):
            if kind == "comment":
                c = comment_text(body)
                if self.intro is None:
                    self.intro = c
                    continue
                sec = re.match(r"=+\s*\n\s*(\d+)\.\s+(.*?)(\s{2,}|\n)", body[2:].strip())
                sub = re.match(r"-+\s*(\d+\.\d+)\s+(.*?)\s*(\(lib/[^)]*\))?\s*-+\s*(\n|$)", c)
                if sec:
                    self._section(sec.group(1), sec.group(2).strip())
                    doc = None
                elif sub:
                    intro = c[sub.end():].strip()
                    self._section(sub.group(1), sub.group(2).strip(), intro)
                    doc = None
                elif c.startswith("===="):
                    doc = None                  # end-of-section marker
                else:
                    doc = c
            elif kind == "pp":
                name = re.match(r"#define\s+(FOLKRNN_\w+)", body)
                if name and name.group(1) not in ("FOLKRNN_H", "FOLKRNN_API"):
                    self.types.append(({name.group(1)}, body.strip()))
                doc = None
            else:
                self._code(body.strip(), doc)
                if not body.lstrip().startswith("FOLKRNN_API"):
                    doc = None

    def _code(self, stmt, doc):
        if stmt.startswith("FOLKRNN_API"):
            # the header's own line breaks, realigned without "FOLKRNN_API "
            lines = stmt[len("FOLKRNN_API "):].split("\n")
            cut = len("FOLKRNN_API ")
            proto = "\n".join([lines[0]] + [l[cut:] if l[:cut].isspace() else l.strip()
                                             for l in lines[1:]])
            name = re.search(r"(\w+)\s*\(", proto).group(1)
            self.functions[name] = {"protos": [proto], "doc": doc or "",
                                    "section": self.sections[-1][1] if self.sections else ""}
            self.order.append(name)
            if self.sections:
                self.sections[-1][3].append(name)
            return
        ids = set(re.findall(r"\b(folkrnn_\w+|FOLKRNN_\w+)\b", stmt))
        opaque = re.fullmatch(r"typedef struct (\w+) \1;", stmt)
        if stmt.startswith(("typedef", "enum", "struct")) and ids and not opaque:
            self.types.append((ids, stmt))

    def groups(self):
        """Functions sharing one comment, as lists of names in order."""
        out = []
        for name in self.order:
            f = self.functions[name]
            if out and f["doc"] and self.functions[out[-1][-1]]["doc"] is f["doc"]:
                out[-1].append(name)
            else:
                out.append([name])
        return out


# ---------------------------------------------------------------------------
# Writing roff
# ---------------------------------------------------------------------------

def roff(text):
    """Escape text for roff: backslashes, and lines starting with . or '."""
    text = text.replace("\\", "\\e")
    return "\n".join(("\\&" + l) if l[:1] in (".", "'") else l for l in text.split("\n"))


def paragraphs(text):
    """Comment text as roff: blank lines separate paragraphs; indented
    lines (formulas, tables) and list items keep their layout."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = para.split("\n")
        literal = any(l.startswith("  ") for l in lines[1:]) or lines[0].startswith(" ")
        if literal:
            out += [".PP", ".nf", roff(para), ".fi"]
        else:
            out += [".PP", roff(" ".join(l.strip() for l in lines))]
    return out


def first_sentence(doc):
    """The comment's first sentence (a period and a space outside
    parentheses end it), shortened to fit a NAME line."""
    s, depth = re.sub(r"\s+", " ", doc).strip(), 0
    for i, c in enumerate(s):
        depth += (c in "([") - (c in ")]")
        if c == "." and depth == 0 and s[i + 1:i + 2] in (" ", ""):
            s = s[:i]
            break
    return s if len(s) <= 90 else s[:87].rsplit(" ", 1)[0] + "..."


def th(name, section, version):
    return ['.\\" Generated by doc/man/mkman.py from include/folkrnn.h; do not edit.',
            '.TH %s %s "" "libfolkrnn %s" "%s"' % (name.upper(), section, version,
                                                   MANUAL if section == "3" else
                                                   "User Commands")]


def mentioned_types(header, text):
    """Source of the enums, typedefs and macros whose names text mentions
    (FOLKRNN_X_* mentions every FOLKRNN_X_ name).  Status codes are left to
    folkrnn(3), which every page points at."""
    words = set(re.findall(r"\b(?:folkrnn_\w+|FOLKRNN_\w+)\b", text))
    prefixes = {w.rstrip("*").rstrip("_") + "_" for w in re.findall(r"\bFOLKRNN_\w*_\*", text)}
    out, grew = [], True
    while grew:                        # types mentioned by the types found, too
        grew = False
        for ids, src in header.types:
            if src in out or "FOLKRNN_OK" in ids or "FOLKRNN_VERSION" in ids:
                continue
            if ids & words or any(i.startswith(p) for i in ids for p in prefixes):
                out.append(src)
                words |= set(re.findall(r"\b(?:folkrnn_\w+|FOLKRNN_\w+)\b", src))
                grew = True
    return sorted(out, key=lambda src: [s for _, s in header.types].index(src))


def function_page(header, group, name):
    f = header.functions[name]
    protos = [header.functions[g]["protos"][0] for g in group]
    doc = f["doc"] or "Undocumented in folkrnn.h."
    types = mentioned_types(header, " ".join(protos) + " " + doc)
    lines = th(name, "3", header.version)
    lines += [".SH NAME", "%s \\- %s" % (", ".join(group), roff(first_sentence(doc)))]
    lines += [".SH LIBRARY", "libfolkrnn (\\fI\\-lfolkrnn\\fP; \\fBpkg\\-config folkrnn\\fP)"]
    lines += [".SH SYNOPSIS", ".nf", ".B #include <folkrnn.h>", ""]
    lines += [roff(p) for p in protos]
    if types:
        lines += ["", "/* Types and constants used above: */"]
        for src in types:
            lines += [roff(src), ""]
        lines.pop()
    lines += [".fi", ".SH DESCRIPTION"]
    lines += paragraphs(doc)
    lines += [".PP", "Section: %s." % roff(f["section"]),
              ".SH RETURN VALUE",
              "Unless stated above, FOLKRNN_OK (0) on success and a negative "
              "FOLKRNN_E_* status on failure, with a message for the calling thread in "
              "\\fBfolkrnn_errmsg\\fP(3).  The status codes are listed in \\fBfolkrnn\\fP(3)."]
    see = sorted(set(re.findall(r"\b(folkrnn_[a-z0-9_]+)\b", doc)) & set(header.functions)
                 - set(group))
    lines += [".SH SEE ALSO", ",\n".join(["\\fBfolkrnn\\fP(3)"] +
                                          ["\\fB%s\\fP(3)" % s for s in see])]
    return "\n".join(lines) + "\n"


def library_page(header, status_src):
    lines = th("folkrnn", "3", header.version)
    lines += [".SH NAME", "folkrnn \\- load, run, train and take apart folk\\-rnn models",
              ".SH SYNOPSIS", ".nf", ".B #include <folkrnn.h>", ".fi",
              "Link with \\fI\\-lfolkrnn\\fP, or use \\fBpkg\\-config \\-\\-cflags \\-\\-libs "
              "folkrnn\\fP.", ".SH DESCRIPTION"]
    lines += paragraphs(header.intro)
    lines += [".SH STATUS CODES", ".nf", roff(status_src), ".fi"]
    for number, title, intro, names in header.sections:
        lines += [".SH %s. %s" % (number, roff(title.upper() if "." not in number else title))]
        if intro:
            lines += paragraphs(intro)
        if names:
            lines += [".PP", ",\n".join("\\fB%s\\fP(3)" % n for n in names)]
    lines += [".SH SEE ALSO", "\\fBfolkrnn\\fP(1), \\fIfolkrnn.h\\fP, the documents under "
              "\\fIdoc/\\fP in the source (format, hooks, threads, errors, ABI)."]
    return "\n".join(lines) + "\n"


def command_page(version, subcommands, helps):
    """folkrnn.1; helps: {command: its --help text}."""
    lines = th("folkrnn", "1", version)
    lines += [".SH NAME", "folkrnn \\- run, inspect and take apart folk\\-rnn music models",
              ".SH SYNOPSIS", ".B folkrnn", ".I COMMAND", "[\\fIOPTIONS\\fP] ...", ".br",
              ".B folkrnn", "\\-\\-help | \\-\\-version",
              ".SH DESCRIPTION",
              "\\fBfolkrnn\\fP is the command\\-line face of libfolkrnn: each task is a "
              "subcommand.  \\fBfolkrnn\\fP \\fICOMMAND\\fP \\fB\\-\\-help\\fP describes a "
              "command's options.",
              ".SH COMMANDS"]
    for name, summary in subcommands:
        lines += [".TP", ".B %s" % name, roff(summary[:1].upper() + summary[1:]) + "."]
    lines += [".SH OPTIONS", "Each command's own description, as \\fBfolkrnn\\fP "
              "\\fICOMMAND\\fP \\fB\\-\\-help\\fP prints it."]
    for name, _ in subcommands:
        lines += [".SS %s" % name, ".nf", roff(helps[name].rstrip("\n")), ".fi"]
    lines += [".SH MODEL",
              "Commands that need a model take it from \\fB\\-\\-model\\fP \\fIPATH\\fP, "
              "else from \\fB$FOLKRNN_MODEL\\fP, else the installed default model "
              "\\fIdefault.safetensors.gz\\fP in the package data folder.  A model is a "
              "folk\\-rnn pickle (such as \\fIfolkrnn_v2.pkl\\fP) or a libfolkrnn "
              "safetensors file, either of them possibly gzip\\-compressed; the format "
              "is recognised from the bytes.",
              ".SH ENVIRONMENT", ".TP", ".B FOLKRNN_MODEL",
              "The model used when no \\fB\\-\\-model\\fP is given.",
              ".SH EXIT STATUS", ".TP", ".B 0", "Success.", ".TP", ".B 1",
              "The work failed (a message naming the cause is printed on standard error).",
              ".TP", ".B 2", "Bad usage.",
              ".SH SEE ALSO", "\\fBfolkrnn\\fP(3)"]
    return "\n".join(lines) + "\n"


def read_helps(folkrnn, subcommands):
    """{command: output of FOLKRNN COMMAND --help}."""
    env = dict(os.environ, LC_ALL="C")
    return {name: subprocess.run([folkrnn, name, "--help"], env=env, check=True,
                                 stdout=subprocess.PIPE, universal_newlines=True).stdout
            for name, _ in subcommands}


def read_subcommands(path):
    text = open(path).read()
    return re.findall(r'\{\s*"([^"]+)"\s*,\s*cmd_\w+\s*,\s*"((?:[^"\\]|\\.)*)"\s*\}', text)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def generate(srcdir, folkrnn):
    """{file name: contents} of every generated file; folkrnn.1 only when
    the built folkrnn command is given (its --help texts go in)."""
    text = open(os.path.join(srcdir, "include", "folkrnn.h")).read()
    header = Header(text)
    status = re.search(r"enum folkrnn_status \{.*?\};", text, re.S).group(0)
    files = {"folkrnn.3": library_page(header, status)}
    if folkrnn:
        subcommands = read_subcommands(os.path.join(srcdir, "tools", "folkrnn.c"))
        files["folkrnn.1"] = command_page(header.version, subcommands,
                                          read_helps(folkrnn, subcommands))
    for group in header.groups():
        for name in group:
            files[name + ".3"] = function_page(header, group, name)
    pages = ["doc/man/folkrnn.1", "doc/man/folkrnn.3"] + \
        ["doc/man/%s.3" % n for n in header.order]
    files["pages.am"] = ("# Generated by doc/man/mkman.py; do not edit.\n"
                         "dist_man_MANS = \\\n\t" + " \\\n\t".join(pages) + "\n")
    return files


def main(argv):
    args = argv[1:]
    check = "--check" in args
    folkrnn = args[args.index("--folkrnn") + 1] if "--folkrnn" in args else None
    args = [a for i, a in enumerate(args)
            if a not in ("--check", "--folkrnn") and (i == 0 or args[i - 1] != "--folkrnn")]
    srcdir = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                               "..", "..")
    mandir = os.path.join(srcdir, "doc", "man")
    files = generate(srcdir, folkrnn)
    if not folkrnn:
        print("mkman: no --folkrnn PATH: folkrnn.1 left as it is")
        if os.path.exists(os.path.join(mandir, "folkrnn.1")):
            files["folkrnn.1"] = open(os.path.join(mandir, "folkrnn.1")).read()
    if check:
        stale = [n for n, body in sorted(files.items())
                 if not os.path.exists(os.path.join(mandir, n))
                 or open(os.path.join(mandir, n)).read() != body]
        ours = set(files) | {"mkman.py"}
        extra = sorted(n for n in os.listdir(mandir)
                       if re.match(r"folkrnn.*\.[13]$", n) and n not in ours)
        for n in stale:
            print("mkman: doc/man/%s is missing or out of date" % n)
        for n in extra:
            print("mkman: doc/man/%s belongs to no public function" % n)
        if stale or extra:
            print("mkman: run 'make man-pages' in the build folder (python3 doc/man/mkman.py "
                  "--folkrnn BUILT_FOLKRNN SRCDIR) and commit doc/man")
            return 1
        return 0
    for n in sorted(os.listdir(mandir)):
        if re.match(r"folkrnn.*\.[13]$", n) and n not in files:
            os.remove(os.path.join(mandir, n))
    for n, body in files.items():
        path = os.path.join(mandir, n)
        if not os.path.exists(path) or open(path).read() != body:
            with tempfile.NamedTemporaryFile("w", dir=mandir, delete=False) as tmp:
                tmp.write(body)
            os.replace(tmp.name, path)
            os.chmod(path, 0o644)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
