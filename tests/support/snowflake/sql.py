"""The SQL the emulator understands: a lexer with Snowflake's identifier and literal rules,
a splitter for multi-statement requests and a parser for the statements forge sends.

Identifier rules (Snowflake "Identifier requirements"):
  * unquoted: a letter or `_` first, then letters, digits, `_` or `$`; resolved to upper case
    (so `abc`, `ABC` and `"ABC"` are the same object);
  * double-quoted: any characters, case-sensitive, `""` stands for one `"`; an empty quoted
    identifier is an error;
  * at most 255 characters.

String literals: single quotes, `''` for a quote, and the backslash escapes `\\' \\" \\\\ \\n \\t
\\r \\b \\f \\0 \\ooo \\xhh \\uhhhh` (any other `\\c` is `c`); `$$...$$` strings take no escapes.
Comments: `-- ...`, `// ...` and `/* ... */`.

Every parse function returns a plain dict with a `kind`; names are `Name` objects whose `.v`
is the resolved identifier.
"""
import re

UNQUOTED = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
UPPER_UNQUOTED = re.compile(r"[A-Z_][A-Z0-9_$]*")
MAX_IDENT = 255

# Words that may not be used unquoted as a name (a subset of Snowflake's reserved keywords,
# enough for the statements below).
RESERVED = {
    "ALL", "ALTER", "AND", "ANY", "AS", "BETWEEN", "BY", "CASE", "CAST", "CHECK", "COLUMN",
    "CONNECT", "CREATE", "CROSS", "CURRENT", "DELETE", "DISTINCT", "DROP", "ELSE", "EXISTS",
    "FALSE", "FOLLOWING", "FOR", "FROM", "FULL", "GRANT", "GROUP", "HAVING", "ILIKE", "IN",
    "INCREMENT", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "LATERAL", "LEFT",
    "LIKE", "MINUS", "NATURAL", "NOT", "NULL", "OF", "ON", "OR", "ORDER", "QUALIFY", "REGEXP",
    "REVOKE", "RIGHT", "RLIKE", "ROW", "ROWS", "SAMPLE", "SELECT", "SET", "SOME", "START",
    "TABLE", "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRUE", "TRY_CAST", "UNION", "UNIQUE",
    "UPDATE", "USING", "VALUES", "WHEN", "WHENEVER", "WHERE", "WITH",
}


class SfError(Exception):
    """A statement failure as Snowflake reports it: `code`, `sqlState`, `message`."""

    def __init__(self, code, sql_state, message):
        super().__init__(message)
        self.code = code
        self.sql_state = sql_state
        self.message = message


def compilation_error(message, code="001003", state="42000"):
    return SfError(code, state, "SQL compilation error:\n" + message)


class Name:
    """A resolved identifier: `v` is what Snowflake stores and compares."""

    __slots__ = ("v", "quoted")

    def __init__(self, v, quoted):
        self.v = v
        self.quoted = quoted

    def __repr__(self):
        return quote_ident(self.v)


def quote_ident(name):
    """How Snowflake shows a stored identifier: bare when it reads back as itself."""
    if UPPER_UNQUOTED.fullmatch(name) and name not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(*parts):
    return ".".join(quote_ident(p) for p in parts)


def ident_from_string(text):
    """An object name given in a string literal (EXTERNAL_VOLUME = '...', CATALOG = '...',
    SYSTEM$ functions): read as an identifier, so `'vol'` is VOL and `'"vol"'` is vol.
    Text that is neither form is taken as it is."""
    if UNQUOTED.fullmatch(text):
        return text.upper()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if inner and '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return text


def parse_qualified_string(text):
    """`'db.schema.t'` in a string literal: each part an identifier."""
    toks = Lexer(text).tokens()
    parts, i = [], 0
    while True:
        if i >= len(toks) or toks[i].kind not in ("IDENT", "QIDENT"):
            raise compilation_error(f"invalid identifier '{text}'", "002003", "02000")
        t = toks[i]
        parts.append(t.value.upper() if t.kind == "IDENT" else t.value)
        i += 1
        if i == len(toks):
            return parts
        if toks[i].kind != "PUNCT" or toks[i].value != ".":
            raise compilation_error(f"invalid identifier '{text}'", "002003", "02000")
        i += 1


def like_match(pattern, name):
    """SHOW ... LIKE: case-insensitive, `%` and `_` wildcards, backslash escapes."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name, re.IGNORECASE | re.DOTALL) is not None


class Token:
    __slots__ = ("kind", "value", "pos", "end", "text")

    def __init__(self, kind, value, pos, end, text):
        self.kind, self.value, self.pos, self.end, self.text = kind, value, pos, end, text

    def __repr__(self):
        return f"{self.kind}:{self.value!r}"


ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "'": "'",
           '"': '"', "\\": "\\"}


class Lexer:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def error(self, pos, what):
        line = self.s.count("\n", 0, pos) + 1
        col = pos - (self.s.rfind("\n", 0, pos) + 1)
        return compilation_error(f"syntax error line {line} at position {col} {what}")

    def tokens(self):
        out = []
        s = self.s
        n = len(s)
        while True:
            self.skip_space()
            if self.i >= n:
                return out
            start = self.i
            c = s[start]
            if c == "'":
                out.append(Token("STRING", self.string(), start, self.i, s[start:self.i]))
            elif c == "$" and s.startswith("$$", start):
                end = s.find("$$", start + 2)
                if end < 0:
                    raise self.error(start, "unexpected '$$'.")
                self.i = end + 2
                out.append(Token("STRING", s[start + 2:end], start, self.i, s[start:self.i]))
            elif c == '"':
                out.append(Token("QIDENT", self.quoted(), start, self.i, s[start:self.i]))
            elif c.isalpha() or c == "_":
                m = UNQUOTED.match(s, start)
                # Snowflake's unquoted identifiers are ASCII; a non-ASCII letter is an error.
                if m is None or (m.end() < n and s[m.end()].isalpha() and not s[m.end()].isascii()):
                    raise self.error(start, f"unexpected '{c}'.")
                self.i = m.end()
                out.append(Token("IDENT", m.group(0), start, self.i, m.group(0)))
            elif c.isdigit() or (c == "." and start + 1 < n and s[start + 1].isdigit()):
                m = re.compile(r"\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.").match(s, start)
                self.i = m.end()
                out.append(Token("NUMBER", m.group(0), start, self.i, m.group(0)))
            elif s.startswith("=>", start):
                self.i += 2
                out.append(Token("PUNCT", "=>", start, self.i, "=>"))
            elif c in "(),;=.*":
                self.i += 1
                out.append(Token("PUNCT", c, start, self.i, c))
            elif c == "?":
                self.i += 1
                out.append(Token("PARAM", None, start, self.i, c))
            elif c == ":" and start + 1 < n and s[start + 1].isalnum():
                m = re.compile(r":([A-Za-z0-9_]+)").match(s, start)
                self.i = m.end()
                out.append(Token("PARAM", m.group(1), start, self.i, m.group(0)))
            else:
                raise self.error(start, f"unexpected '{c}'.")

    def skip_space(self):
        s, n = self.s, len(self.s)
        while self.i < n:
            if s[self.i].isspace():
                self.i += 1
            elif s.startswith("--", self.i) or s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.i = n if end < 0 else end + 1
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise self.error(self.i, "unexpected '/*'.")
                self.i = end + 2
            else:
                return

    def string(self):
        s, n = self.s, len(self.s)
        start = self.i
        self.i += 1
        out = []
        while True:
            if self.i >= n:
                raise self.error(start, "unexpected '''.")
            c = s[self.i]
            if c == "'":
                if self.i + 1 < n and s[self.i + 1] == "'":
                    out.append("'")
                    self.i += 2
                    continue
                self.i += 1
                return "".join(out)
            if c == "\\" and self.i + 1 < n:
                e = s[self.i + 1]
                if e in "01234567":
                    m = re.compile(r"[0-7]{1,3}").match(s, self.i + 1)
                    out.append(chr(int(m.group(0), 8)))
                    self.i = m.end()
                elif e == "x" and re.compile(r"[0-9A-Fa-f]{2}").match(s, self.i + 2):
                    out.append(chr(int(s[self.i + 2:self.i + 4], 16)))
                    self.i += 4
                elif e == "u" and re.compile(r"[0-9A-Fa-f]{4}").match(s, self.i + 2):
                    out.append(chr(int(s[self.i + 2:self.i + 6], 16)))
                    self.i += 6
                else:
                    out.append(ESCAPES.get(e, e))
                    self.i += 2
                continue
            out.append(c)
            self.i += 1

    def quoted(self):
        s, n = self.s, len(self.s)
        start = self.i
        self.i += 1
        out = []
        while True:
            if self.i >= n:
                raise self.error(start, "unexpected '\"'.")
            c = s[self.i]
            if c == '"':
                if self.i + 1 < n and s[self.i + 1] == '"':
                    out.append('"')
                    self.i += 2
                    continue
                self.i += 1
                v = "".join(out)
                if not v:
                    raise compilation_error("zero-length delimited identifier", "001003", "42000")
                return v
            out.append(c)
            self.i += 1


def split_statements(text):
    """The statements of a request: (tokens, source text) per non-empty statement."""
    toks = Lexer(text).tokens()
    out, cur = [], []
    for t in toks:
        if t.kind == "PUNCT" and t.value == ";":
            if cur:
                out.append((cur, text[cur[0].pos:cur[-1].end]))
            cur = []
        else:
            cur.append(t)
    if cur:
        out.append((cur, text[cur[0].pos:cur[-1].end]))
    return out


class Parser:
    def __init__(self, toks, text):
        self.t = toks
        self.i = 0
        self.text = text

    # ---- token helpers
    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def error(self, tok=None):
        tok = tok if tok is not None else self.peek()
        if tok is None:
            line = self.text.count("\n") + 1
            col = len(self.text) - (self.text.rfind("\n") + 1)
            return compilation_error(f"syntax error line {line} at position {col} unexpected '<EOF>'.")
        line = self.text.count("\n", 0, tok.pos) + 1
        col = tok.pos - (self.text.rfind("\n", 0, tok.pos) + 1)
        return compilation_error(f"syntax error line {line} at position {col} unexpected '{tok.text}'.")

    def is_kw(self, word, k=0):
        t = self.peek(k)
        return t is not None and t.kind == "IDENT" and t.value.upper() == word

    def accept_kw(self, *words):
        for k, w in enumerate(words):
            if not self.is_kw(w, k):
                return False
        self.i += len(words)
        return True

    def expect_kw(self, *words):
        for w in words:
            if not self.is_kw(w):
                raise self.error()
            self.i += 1

    def accept_punct(self, p):
        t = self.peek()
        if t is not None and t.kind == "PUNCT" and t.value == p:
            self.i += 1
            return True
        return False

    def expect_punct(self, p):
        if not self.accept_punct(p):
            raise self.error()

    def end(self):
        if self.peek() is not None:
            raise self.error()

    # ---- values
    def name(self):
        t = self.peek()
        if t is None:
            raise self.error()
        if t.kind == "IDENT":
            if t.value.upper() in RESERVED:
                raise self.error()
            v = t.value.upper()
            q = False
        elif t.kind == "QIDENT":
            v, q = t.value, True
        else:
            raise self.error()
        if len(v) > MAX_IDENT:
            raise compilation_error(f"identifier '{t.text[:40]}...' is too long", "001003", "42000")
        self.i += 1
        return Name(v, q)

    def qname(self, max_parts=3):
        parts = [self.name()]
        while len(parts) < max_parts and self.accept_punct("."):
            parts.append(self.name())
        return parts

    def string(self):
        t = self.peek()
        if t is None or t.kind != "STRING":
            raise self.error()
        self.i += 1
        return t.value

    def boolean(self):
        t = self.peek()
        if t is not None and t.kind == "IDENT" and t.value.upper() in ("TRUE", "FALSE"):
            self.i += 1
            return t.value.upper() == "TRUE"
        if t is not None and t.kind == "STRING" and t.value.upper() in ("TRUE", "FALSE"):
            self.i += 1
            return t.value.upper() == "TRUE"
        raise self.error()

    def word(self):
        t = self.peek()
        if t is None or t.kind != "IDENT":
            raise self.error()
        self.i += 1
        return t.value.upper()

    def integer(self):
        t = self.peek()
        if t is None or t.kind != "NUMBER" or not t.value.isdigit():
            raise self.error()
        self.i += 1
        return int(t.value)

    def object_ref(self):
        """A property naming an object: a string read as an identifier, or an identifier."""
        t = self.peek()
        if t is not None and t.kind == "STRING":
            self.i += 1
            return Name(ident_from_string(t.value), True)
        return self.name()

    def props(self, spec):
        """`KEY = value` pairs in any order, optionally comma-separated, each once.
        spec maps KEY to a reader method."""
        out = {}
        while self.peek() is not None:
            t = self.peek()
            if t.kind != "IDENT" or t.value.upper() not in spec:
                raise self.error()
            key = t.value.upper()
            if key in out:
                raise compilation_error(f"duplicate option '{key}'", "001008", "42601")
            self.i += 1
            self.expect_punct("=")
            out[key] = spec[key]()
            self.accept_punct(",")
        return out


# ---- statements ---------------------------------------------------------------------

def parse(toks, text):
    p = Parser(toks, text)
    if p.accept_kw("CREATE"):
        return parse_create(p)
    if p.accept_kw("DROP"):
        return parse_drop(p)
    if p.accept_kw("ALTER"):
        return parse_alter(p)
    if p.accept_kw("GRANT"):
        return parse_grant(p, revoke=False)
    if p.accept_kw("REVOKE"):
        return parse_grant(p, revoke=True)
    if p.accept_kw("USE"):
        return parse_use(p)
    if p.accept_kw("SHOW"):
        return parse_show(p)
    if p.accept_kw("DESCRIBE") or p.accept_kw("DESC"):
        return parse_describe(p)
    if p.accept_kw("SELECT"):
        return parse_select(p)
    raise p.error()


def parse_create(p):
    or_replace = p.accept_kw("OR", "REPLACE")
    if p.accept_kw("EXTERNAL", "VOLUME"):
        kind = "volume"
    elif p.accept_kw("CATALOG", "INTEGRATION"):
        kind = "catalog_integration"
    elif p.accept_kw("ROLE"):
        kind = "role"
    elif p.accept_kw("DATABASE"):
        kind = "database"
    elif p.accept_kw("SCHEMA"):
        kind = "schema"
    elif p.accept_kw("ICEBERG", "TABLE"):
        kind = "iceberg_table"
    else:
        raise p.error()
    if_not_exists = p.accept_kw("IF", "NOT", "EXISTS")
    if or_replace and if_not_exists:
        raise compilation_error("options IF NOT EXISTS and OR REPLACE are incompatible.",
                                "002023", "42601")
    max_parts = {"schema": 2, "iceberg_table": 3}.get(kind, 1)
    name = p.qname(max_parts)
    st = {"kind": "create_" + kind, "name": name, "or_replace": or_replace,
          "if_not_exists": if_not_exists}
    if kind == "volume":
        st.update(parse_volume_props(p))
    elif kind == "catalog_integration":
        props = p.props({"CATALOG_SOURCE": p.word, "TABLE_FORMAT": p.word, "ENABLED": p.boolean,
                         "COMMENT": p.string, "REFRESH_INTERVAL_SECONDS": p.integer})
        for req in ("CATALOG_SOURCE", "TABLE_FORMAT", "ENABLED"):
            if req not in props:
                raise compilation_error(f"missing option(s) [{req}].", "001008", "42601")
        st["props"] = props
    elif kind in ("role", "database", "schema"):
        props = {"COMMENT": p.string}
        if kind in ("database", "schema"):
            props["DATA_RETENTION_TIME_IN_DAYS"] = p.integer
        st["props"] = p.props(props)
    else:
        props = p.props({"EXTERNAL_VOLUME": p.object_ref, "CATALOG": p.object_ref,
                         "METADATA_FILE_PATH": p.string, "REPLACE_INVALID_CHARACTERS": p.boolean,
                         "AUTO_REFRESH": p.boolean, "COMMENT": p.string})
        if "METADATA_FILE_PATH" not in props:
            raise compilation_error(
                "The emulator supports only CREATE ICEBERG TABLE ... METADATA_FILE_PATH = '...' "
                "(Iceberg files in object storage).", "001008", "42601")
        if props.get("AUTO_REFRESH"):
            raise SfError("091340", "0A000",
                          "SQL compilation error:\nAUTO_REFRESH is not supported for Iceberg tables "
                          "that use a catalog integration for object storage.")
        st["props"] = props
    p.end()
    return st


def parse_volume_props(p):
    p.expect_kw("STORAGE_LOCATIONS")
    p.expect_punct("=")
    p.expect_punct("(")
    locations = []
    while True:
        p.expect_punct("(")
        loc = parse_location(p)
        locations.append(loc)
        if not p.accept_punct(","):
            break
    p.expect_punct(")")
    rest = p.props({"ALLOW_WRITES": p.boolean, "COMMENT": p.string})
    return {"locations": locations, "allow_writes": rest.get("ALLOW_WRITES", True),
            "comment": rest.get("COMMENT")}


def parse_location(p):
    out = {}
    while not p.accept_punct(")"):
        t = p.peek()
        if t is None or t.kind != "IDENT":
            raise p.error()
        key = t.value.upper()
        readers = {"NAME": p.string, "STORAGE_PROVIDER": p.string, "STORAGE_BASE_URL": p.string,
                   "STORAGE_AWS_ROLE_ARN": p.string, "STORAGE_AWS_EXTERNAL_ID": p.string,
                   "STORAGE_AWS_ACCESS_POINT_ARN": p.string, "USE_PRIVATELINK_ENDPOINT": p.boolean,
                   "ENCRYPTION": lambda: parse_encryption(p)}
        if key not in readers:
            raise p.error()
        if key in out:
            raise compilation_error(f"duplicate option '{key}'", "001008", "42601")
        p.i += 1
        p.expect_punct("=")
        out[key] = readers[key]()
        p.accept_punct(",")
    for req in ("NAME", "STORAGE_PROVIDER", "STORAGE_BASE_URL"):
        if req not in out:
            raise compilation_error(f"missing option(s) [{req}].", "001008", "42601")
    return out


def parse_encryption(p):
    p.expect_punct("(")
    out = {}
    while not p.accept_punct(")"):
        key = p.word()
        if key not in ("TYPE", "KMS_KEY_ID"):
            raise p.error(p.t[p.i - 1])
        p.expect_punct("=")
        out[key] = p.string()
        p.accept_punct(",")
    return out


OBJECT_TYPES = [  # (keywords, canonical type, name parts)
    (("EXTERNAL", "VOLUME"), "EXTERNAL_VOLUME", 1),
    (("CATALOG", "INTEGRATION"), "INTEGRATION", 1),
    (("INTEGRATION",), "INTEGRATION", 1),
    (("ROLE",), "ROLE", 1),
    (("DATABASE",), "DATABASE", 1),
    (("SCHEMA",), "SCHEMA", 2),
    (("ICEBERG", "TABLE"), "TABLE", 3),
    (("TABLE",), "TABLE", 3),
    (("WAREHOUSE",), "WAREHOUSE", 1),
    (("USER",), "USER", 1),
]


def object_type(p):
    for words, canon, parts in OBJECT_TYPES:
        if p.accept_kw(*words):
            return canon, parts, " ".join(words)
    raise p.error()


def parse_drop(p):
    typ, parts, words = object_type(p)
    if typ in ("WAREHOUSE", "USER"):
        raise unsupported(f"DROP {words}")
    if_exists = p.accept_kw("IF", "EXISTS")
    name = p.qname(parts)
    cascade = None
    if p.accept_kw("CASCADE"):
        cascade = True
    elif p.accept_kw("RESTRICT"):
        cascade = False
    p.end()
    return {"kind": "drop", "type": typ, "words": words, "name": name, "if_exists": if_exists,
            "cascade": cascade}


def parse_alter(p):
    if not (p.accept_kw("ICEBERG", "TABLE")):
        raise unsupported_at(p)
    if_exists = p.accept_kw("IF", "EXISTS")
    name = p.qname(3)
    if not p.accept_kw("REFRESH"):
        raise unsupported_at(p, "ALTER ICEBERG TABLE other than REFRESH")
    path = None
    t = p.peek()
    if t is not None and t.kind == "STRING":
        path = p.string()
    p.end()
    return {"kind": "refresh", "name": name, "if_exists": if_exists, "path": path}


PRIVILEGE_WORDS = [
    ("CREATE", "ICEBERG", "TABLE"), ("CREATE", "EXTERNAL", "VOLUME"), ("CREATE", "DATABASE"),
    ("CREATE", "SCHEMA"), ("CREATE", "ROLE"), ("CREATE", "INTEGRATION"), ("CREATE", "TABLE"),
    ("CREATE", "VIEW"), ("CREATE", "USER"), ("CREATE", "WAREHOUSE"), ("MANAGE", "GRANTS"),
    ("EVOLVE", "SCHEMA"), ("APPLY", "BUDGET"), ("USAGE",), ("MONITOR",), ("MODIFY",),
    ("OPERATE",), ("SELECT",), ("INSERT",), ("UPDATE",), ("DELETE",), ("TRUNCATE",),
    ("REFERENCES",), ("OWNERSHIP",), ("USE_ANY_ROLE",), ("ALL", "PRIVILEGES"), ("ALL",),
]


def parse_grant(p, revoke):
    verb = "REVOKE" if revoke else "GRANT"
    grant_option_for = revoke and p.accept_kw("GRANT", "OPTION", "FOR")
    if p.accept_kw("ROLE"):
        role = p.name()
        p.expect_kw("FROM" if revoke else "TO")
        if p.accept_kw("USER"):
            to_type = "USER"
        else:
            p.expect_kw("ROLE")
            to_type = "ROLE"
        grantee = p.name()
        p.end()
        return {"kind": "revoke_role" if revoke else "grant_role", "role": role,
                "to_type": to_type, "grantee": grantee}
    privs = []
    while True:
        for words in PRIVILEGE_WORDS:
            if p.accept_kw(*words):
                privs.append("ALL" if words[0] == "ALL" else " ".join(words))
                break
        else:
            raise p.error()
        if not p.accept_punct(","):
            break
    p.expect_kw("ON")
    if p.accept_kw("ACCOUNT"):
        typ, name = "ACCOUNT", []
    elif p.is_kw("ALL") or p.is_kw("FUTURE"):
        raise unsupported_at(p, f"{verb} ... ON ALL/FUTURE")
    else:
        typ, parts, _ = object_type(p)
        if typ == "USER":
            raise p.error(p.t[p.i - 1])
        name = p.qname(parts)
    p.expect_kw("FROM" if revoke else "TO")
    if p.accept_kw("DATABASE", "ROLE") or p.accept_kw("SHARE") or p.accept_kw("APPLICATION"):
        raise unsupported_at(p, f"{verb} to anything but a role")
    p.expect_kw("ROLE")
    role = p.name()
    grant_option = False
    cascade = None
    current_grants = None
    if not revoke and p.accept_kw("WITH", "GRANT", "OPTION"):
        grant_option = True
    if not revoke and privs == ["OWNERSHIP"]:
        if p.accept_kw("COPY", "CURRENT", "GRANTS"):
            current_grants = "COPY"
        elif p.accept_kw("REVOKE", "CURRENT", "GRANTS"):
            current_grants = "REVOKE"
    if revoke:
        if p.accept_kw("CASCADE"):
            cascade = True
        elif p.accept_kw("RESTRICT"):
            cascade = False
    p.end()
    return {"kind": "revoke" if revoke else "grant", "privileges": privs, "type": typ,
            "name": name, "role": role, "grant_option": grant_option,
            "grant_option_for": grant_option_for, "cascade": cascade,
            "current_grants": current_grants}


def parse_use(p):
    if p.accept_kw("ROLE"):
        what, parts = "ROLE", 1
    elif p.accept_kw("DATABASE"):
        what, parts = "DATABASE", 1
    elif p.accept_kw("SCHEMA"):
        what, parts = "SCHEMA", 2
    elif p.accept_kw("WAREHOUSE"):
        what, parts = "WAREHOUSE", 1
    elif p.accept_kw("SECONDARY", "ROLES"):
        what = "SECONDARY ROLES"
        w = p.word()
        if w not in ("NONE", "ALL"):
            raise p.error(p.t[p.i - 1])
        p.end()
        return {"kind": "use", "what": what, "name": [Name(w, False)]}
    else:
        what, parts = "DATABASE", 1
    name = p.qname(parts)
    p.end()
    return {"kind": "use", "what": what, "name": name}


SHOW_KINDS = [
    (("EXTERNAL", "VOLUMES"), "EXTERNAL VOLUMES"),
    (("CATALOG", "INTEGRATIONS"), "CATALOG INTEGRATIONS"),
    (("INTEGRATIONS",), "INTEGRATIONS"),
    (("ROLES",), "ROLES"),
    (("DATABASES",), "DATABASES"),
    (("SCHEMAS",), "SCHEMAS"),
    (("ICEBERG", "TABLES"), "ICEBERG TABLES"),
    (("TABLES",), "ICEBERG TABLES"),
    (("WAREHOUSES",), "WAREHOUSES"),
    (("USERS",), "USERS"),
]


def parse_show(p):
    terse = p.accept_kw("TERSE")
    if p.accept_kw("GRANTS"):
        return parse_show_grants(p)
    for words, what in SHOW_KINDS:
        if p.accept_kw(*words):
            break
    else:
        raise unsupported_at(p, "this SHOW command")
    like = None
    if p.accept_kw("LIKE"):
        like = p.string()
    scope = None
    if p.accept_kw("IN"):
        if p.accept_kw("ACCOUNT"):
            scope = ("ACCOUNT", None)
        elif p.accept_kw("DATABASE"):
            scope = ("DATABASE", p.qname(1) if p.peek() is not None and not p.is_kw("STARTS")
                     and not p.is_kw("LIMIT") else None)
        elif p.accept_kw("SCHEMA"):
            scope = ("SCHEMA", p.qname(2) if p.peek() is not None and not p.is_kw("STARTS")
                     and not p.is_kw("LIMIT") else None)
        else:
            scope = ("SCHEMA", p.qname(2))
    starts_with = None
    if p.accept_kw("STARTS", "WITH"):
        starts_with = p.string()
    limit = None
    if p.accept_kw("LIMIT"):
        limit = p.integer()
    p.end()
    return {"kind": "show", "what": what, "like": like, "scope": scope, "terse": terse,
            "starts_with": starts_with, "limit": limit}


def parse_show_grants(p):
    if p.accept_kw("TO"):
        if p.accept_kw("ROLE"):
            st = {"kind": "show_grants", "mode": "TO ROLE", "name": [p.name()]}
        elif p.accept_kw("USER"):
            st = {"kind": "show_grants", "mode": "TO USER", "name": [p.name()]}
        else:
            raise unsupported_at(p, "SHOW GRANTS TO other than ROLE or USER")
    elif p.accept_kw("OF"):
        p.expect_kw("ROLE")
        st = {"kind": "show_grants", "mode": "OF ROLE", "name": [p.name()]}
    elif p.accept_kw("ON"):
        if p.accept_kw("ACCOUNT"):
            st = {"kind": "show_grants", "mode": "ON", "type": "ACCOUNT", "name": []}
        else:
            typ, parts, _ = object_type(p)
            st = {"kind": "show_grants", "mode": "ON", "type": typ, "name": p.qname(parts)}
    else:
        raise unsupported_at(p, "SHOW GRANTS without TO, OF or ON")
    p.end()
    return st


def parse_describe(p):
    typ, parts, words = object_type(p)
    if typ not in ("EXTERNAL_VOLUME", "INTEGRATION", "TABLE", "DATABASE", "SCHEMA"):
        raise unsupported(f"DESCRIBE {words}")
    name = p.qname(parts)
    p.end()
    return {"kind": "describe", "type": typ, "words": words, "name": name}


def parse_select(p):
    items = []
    while True:
        items.append(parse_expr(p))
        if p.accept_kw("AS"):
            items[-1]["alias"] = p.name().v
        elif p.peek() is not None and p.peek().kind in ("IDENT", "QIDENT") and not p.is_kw("FROM"):
            items[-1]["alias"] = p.name().v
        if not p.accept_punct(","):
            break
    source = None
    if p.accept_kw("FROM"):
        if p.accept_kw("TABLE"):
            p.expect_punct("(")
            p.expect_kw("GENERATOR")
            p.expect_punct("(")
            p.expect_kw("ROWCOUNT")
            p.expect_punct("=>")
            source = {"generator": p.integer()}
            p.expect_punct(")")
            p.expect_punct(")")
        else:
            source = {"table": p.qname(3)}
    if p.peek() is not None:
        raise unsupported_at(p, "SELECT with clauses beyond FROM")
    return {"kind": "select", "items": items, "from": source}


def parse_expr(p):
    t = p.peek()
    if t is None:
        raise p.error()
    if t.kind == "STRING":
        p.i += 1
        return {"lit": t.value, "type": "text", "text": t.text}
    if t.kind == "NUMBER":
        p.i += 1
        return {"lit": t.value, "type": "fixed", "text": t.text}
    if t.kind == "PARAM":
        p.i += 1
        return {"param": t.value, "text": t.text}
    if t.kind == "IDENT" and t.value.upper() in ("TRUE", "FALSE", "NULL"):
        p.i += 1
        v = t.value.upper()
        return {"lit": None if v == "NULL" else v.lower(),
                "type": "text" if v == "NULL" else "boolean", "text": v}
    if t.kind == "IDENT":
        nxt = p.peek(1)
        if nxt is not None and nxt.kind == "PUNCT" and nxt.value == "(":
            fname = t.value.upper()
            p.i += 2
            args = []
            star = False
            if p.accept_punct("*"):
                star = True
                p.expect_punct(")")
            elif not p.accept_punct(")"):
                while True:
                    args.append(parse_expr(p))
                    if p.accept_punct(")"):
                        break
                    p.expect_punct(",")
            text = p.text[t.pos:p.t[p.i - 1].end]
            return {"func": fname, "args": args, "star": star, "text": text}
        # a bare niladic function like CURRENT_ROLE
        if t.value.upper() in ("CURRENT_ROLE", "CURRENT_USER", "CURRENT_DATABASE",
                               "CURRENT_SCHEMA", "CURRENT_WAREHOUSE", "CURRENT_ACCOUNT"):
            p.i += 1
            return {"func": t.value.upper(), "args": [], "star": False, "text": t.text}
    raise unsupported_at(p, "this SELECT expression")


def unsupported(what):
    return SfError("002043", "0A000",
                   f"SQL compilation error:\nUnsupported feature '{what}' (not emulated).")


def unsupported_at(p, what=None):
    if what is None:
        what = " ".join(x.text for x in p.t[:p.i + 1])
    return unsupported(what)
