"""The HTTP side: Snowflake's SQL API v2 (`sqlapi.yaml`) and the emulator's own `/_emulator/*`
endpoints (no auth; for tests only).

  POST /api/v2/statements[?async=true&requestId=<uuid>&nullable=false]
  GET  /api/v2/statements/{handle}[?partition=N]
  POST /api/v2/statements/{handle}/cancel

Each request runs in a worker thread. POST waits for it up to the sync wait (45 s, as
Snowflake; `--sync-wait` / config), or not at all with `async=true`, then answers 200
ResultSet, 422 QueryFailureStatus, 408 QueryStatus (the request's `timeout` passed) or
202 QueryStatus (still running: poll GET). Results are cut into partitions of
`partition_rows` rows; partition 0 comes with the metadata, later ones (GET ?partition=N)
carry `data` only, as Snowflake's do. A repeated `requestId` returns the first
submission's statement instead of running it again.

Test-only request headers (a real client never sends them): `X-Emulator-Sync-Wait: <seconds>`
overrides the sync wait for that POST, `X-Emulator-Partition-Rows: <n>` the partition size of
its result.
"""
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import sql as sqlmod
from account import Session
from auth import AuthError
from sql import SfError

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Stop(Exception):
    """Raised inside a worker when its statement is cancelled or timed out."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


class Record:
    def __init__(self, handle, request_id, text, parent=None):
        self.handle = handle
        self.request_id = request_id
        self.text = text
        self.parent = parent
        self.created_on = int(time.time() * 1000)
        self.state = "running"  # running | success | failed
        self.result = None
        self.partitions = None
        self.error = None
        self.timed_out = False
        self.children = []
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.nullable = True
        self.multi = False
        self.partition_rows = None


class Faults:
    """Injected faults, each for `count` matching requests (default 1):

      {"kind": "http", "status": 429|500|503|504, "method": "POST", "path": "/api/v2/statements",
       "match": "<substring of the statement>", "retryAfter": 1}
      {"kind": "slow", "seconds": 3, "match": "..."}        the statement takes that much longer
      {"kind": "fail", "code": "...", "sqlState": "...", "message": "...", "match": "..."}
      {"kind": "expired_token", "match": "..."}            401 as for an expired token
      {"kind": "drop", "when": "before"|"after", "match": "..."}
                                                           close the connection with no reply,
                                                           before or after executing
    `match` is case-insensitive; `path` is a prefix; `method` exact.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rules):
        with self.lock:
            for r in rules:
                r = dict(r)
                r.setdefault("count", 1)
                if r.get("kind") not in ("http", "slow", "fail", "expired_token", "drop"):
                    raise ValueError(f"unknown fault kind {r.get('kind')!r}")
                self.rules.append(r)

    def clear(self):
        with self.lock:
            self.rules = []

    def list(self):
        with self.lock:
            return [dict(r) for r in self.rules]

    def take(self, kind, method=None, path=None, text=None, when=None):
        with self.lock:
            for r in self.rules:
                if r["kind"] != kind or r["count"] <= 0:
                    continue
                if r.get("method") and method and r["method"].upper() != method.upper():
                    continue
                if r.get("path") and path is not None and not path.startswith(r["path"]):
                    continue
                if r.get("match") and (text is None or r["match"].lower() not in text.lower()):
                    continue
                if kind == "drop" and r.get("when", "before") != when:
                    continue
                r["count"] -= 1
                if r["count"] <= 0:
                    self.rules.remove(r)
                return r
        return None


class Emulator:
    def __init__(self, account, authenticator, sync_wait=45.0, partition_rows=100):
        self.account = account
        self.auth = authenticator
        self.sync_wait = sync_wait
        self.partition_rows = partition_rows
        self.faults = Faults()
        self.lock = threading.Lock()
        self.records = {}
        self.by_request = {}
        self.statement_log = []
        self.request_log = []

    # ---- submission ---------------------------------------------------------------

    def submit(self, body, query, user, partition_rows=None):
        rid = query.get("requestId") or str(uuid.uuid4())
        with self.lock:
            if rid in self.by_request:
                return self.records[self.by_request[rid]], False
            rec = Record(str(uuid.uuid4()), rid, body["statement"])
            rec.nullable = query.get("nullable", "true").lower() != "false"
            rec.partition_rows = partition_rows
            self.records[rec.handle] = rec
            self.by_request[rid] = rec.handle
        threading.Thread(target=self.run, args=(rec, body, user), daemon=True).start()
        return rec, True

    def new_child(self, parent, text):
        rec = Record(str(uuid.uuid4()), parent.request_id, text, parent=parent.handle)
        rec.nullable = parent.nullable
        rec.partition_rows = parent.partition_rows
        with self.lock:
            self.records[rec.handle] = rec
        parent.children.append(rec.handle)
        return rec

    def run(self, rec, body, user):
        timeout = body.get("timeout") or 0
        deadline = time.time() + timeout if timeout else None
        bindings = body.get("bindings") or {}

        class Ctx:
            def sleep(ctx, secs):
                end = time.time() + secs
                while True:
                    left = end - time.time()
                    if deadline is not None:
                        left = min(left, deadline - time.time())
                    if rec.cancel.is_set():
                        raise Stop("cancelled")
                    if deadline is not None and time.time() >= deadline:
                        raise Stop("timeout")
                    if time.time() >= end:
                        return
                    rec.cancel.wait(max(0.0, min(left, 0.05)))

            def binding(ctx, name):
                key = name if name is not None else str(ctx.next_param())
                b = bindings.get(key)
                if not isinstance(b, dict) or "value" not in b:
                    raise SfError("002049", "42601",
                                  f"SQL compilation error: Bind variable {name or '?'} not set.")
                return b["value"]

            counter = [0]

            def next_param(ctx):
                ctx.counter[0] += 1
                return ctx.counter[0]

        ctx = Ctx()
        try:
            params = {k.upper(): v for k, v in (body.get("parameters") or {}).items()}
            wanted = params.get("MULTI_STATEMENT_COUNT", 1)
            try:
                wanted = int(wanted)
            except (TypeError, ValueError):
                raise SfError("000008", "0A000",
                              f"Invalid MULTI_STATEMENT_COUNT {wanted!r}.")
            if wanted < 0:
                raise SfError("000008", "0A000", "MULTI_STATEMENT_COUNT must not be negative.")
            stmts = sqlmod.split_statements(body["statement"])
            if not stmts:
                raise SfError("000900", "42601", "Empty SQL statement.")
            if wanted != 0 and wanted != len(stmts):
                raise SfError("000008", "0A000",
                              f"Actual statement count {len(stmts)} did not match the desired "
                              f"statement count {wanted}.")
            if bindings and (wanted != 1 or len(stmts) != 1):
                raise SfError("000008", "0A000",
                              "Bind variables are not supported in multi-statement requests.")
            session = self.session(body, user)
            rec.multi = wanted != 1
            if not rec.multi:
                st = sqlmod.parse(*stmts[0])
                if st["kind"] == "use":
                    raise SfError("000002", "0A000",
                                  "Unsupported feature 'USE in a request with a single statement': "
                                  "the SQL API runs USE only in multi-statement requests (or set "
                                  "role, database, schema and warehouse in the request).")
                rec.result = self.execute_one(rec, st, stmts[0][1], session, ctx)
            else:
                for i, (toks, text) in enumerate(stmts):
                    child = self.new_child(rec, text)
                    try:
                        st = sqlmod.parse(toks, text)
                        child.result = self.execute_one(child, st, text, session, ctx)
                        self.finish(child)
                    except SfError as e:
                        child.error = e
                        self.finish(child)
                        line = body["statement"].count("\n", 0, toks[0].pos) + 1
                        col = toks[0].pos - (body["statement"].rfind("\n", 0, toks[0].pos) + 1)
                        raise SfError(e.code, e.sql_state,
                                      f"Uncaught exception of type 'STATEMENT_ERROR' on line {line} "
                                      f"at position {col} : {e.message}")
                    except Stop:
                        self.finish(child, stopped=True)
                        raise
                rec.result = None
        except SfError as e:
            rec.error = e
        except Stop as s:
            rec.timed_out = s.why == "timeout"
            rec.error = (SfError("000630", "57014",
                                 f"Statement reached its statement or warehouse timeout of "
                                 f"{timeout} second(s) and was canceled.")
                         if rec.timed_out else SfError("000604", "57014", "SQL execution canceled"))
        except Exception as e:  # a bug in the emulator: answer like an internal error
            import traceback
            traceback.print_exc()
            rec.error = SfError("000603", "XX000", f"SQL execution internal error: {e!r}")
        self.finish(rec)

    def finish(self, rec, stopped=False):
        if stopped and rec.error is None:
            rec.error = SfError("000604", "57014", "SQL execution canceled")
        rec.state = "failed" if rec.error is not None else "success"
        if rec.state == "success" and rec.result is not None:
            rows = rec.result.rows
            n = max(1, rec.partition_rows or self.partition_rows)
            rec.partitions = [rows[i:i + n] for i in range(0, len(rows), n)] or [[]]
        rec.done.set()

    def session(self, body, user):
        acct = self.account
        with acct.lock:
            u = acct.users[user]
            role = body.get("role") or u.default_role
            if role not in acct.roles or role not in acct.user_roles(user):
                raise SfError("390189", "08004",
                              f"Role '{role}' specified in the connect string is not granted to "
                              f"this user. Contact your local system administrator, or attempt to "
                              f"login with another role, e.g. PUBLIC.")
            s = Session(user, role)
            # As at login: a database, schema or warehouse the role cannot use is left unset.
            db = body.get("database")
            if db and db in acct.databases and acct.usable(role, ("DATABASE", db)):
                s.database = db
                sc = body.get("schema") or ("PUBLIC" if "PUBLIC" in acct.databases[db].schemas
                                            else None)
                if sc and sc in acct.databases[db].schemas \
                        and acct.usable(role, ("SCHEMA", db, sc)):
                    s.schema = sc
            wh = body.get("warehouse")
            if wh and wh in acct.warehouses and acct.any_priv(role, ("WAREHOUSE", wh)):
                s.warehouse = wh
            return s

    def execute_one(self, rec, st, text, session, ctx):
        started = time.time()
        entry = {"handle": rec.handle, "requestId": rec.request_id, "statement": text,
                 "role": session.role, "database": session.database, "schema": session.schema,
                 "warehouse": session.warehouse, "startedMs": int(started * 1000)}
        try:
            slow = self.faults.take("slow", text=text)
            if slow:
                ctx.sleep(float(slow.get("seconds", 1)))
            fail = self.faults.take("fail", text=text)
            if fail:
                raise SfError(fail.get("code", "000603"), fail.get("sqlState", "XX000"),
                              fail.get("message", "SQL execution internal error (injected)."))
            result = self.account.execute(st, session, ctx)
            entry.update(status="success", code="090001", message=result.message)
            return result
        except SfError as e:
            entry.update(status="failed", code=e.code, sqlState=e.sql_state, message=e.message)
            raise
        except Stop as s:
            entry.update(status=s.why, code="000604")
            raise
        finally:
            entry["ms"] = int((time.time() - started) * 1000)
            with self.lock:
                self.statement_log.append(entry)

    # ---- bodies -------------------------------------------------------------------

    @staticmethod
    def status_url(rec):
        return f"/api/v2/statements/{rec.handle}?requestId={rec.request_id}"

    def query_status(self, rec, code="333334",
                     message="Asynchronous execution in progress. Use provided query id to perform "
                             "query monitoring and management."):
        return {"code": code, "sqlState": "01000" if code == "333334" else "57014",
                "message": message, "statementHandle": rec.handle, "createdOn": rec.created_on,
                "statementStatusUrl": self.status_url(rec)}

    def failure(self, rec):
        e = rec.error
        return {"code": e.code, "sqlState": e.sql_state, "message": e.message,
                "statementHandle": rec.handle, "createdOn": rec.created_on,
                "statementStatusUrl": self.status_url(rec)}

    @staticmethod
    def column(name, typ):
        sizes = {"text": (16777216, 0, 0), "fixed": (0, 38, 0), "boolean": (0, 0, 0),
                 "timestamp_ltz": (0, 0, 9)}
        length, precision, scale = sizes[typ]
        return {"name": name, "database": "", "schema": "", "table": "", "type": typ,
                "length": length, "precision": precision, "scale": scale, "nullable": True,
                "byteLength": length if typ == "text" else None, "collation": None}

    @staticmethod
    def cell(v, typ, nullable):
        if v is None:
            return None if nullable else "null"
        if typ == "timestamp_ltz":
            return f"{v:.9f}"
        if typ == "boolean":
            if isinstance(v, str):
                return v.lower()
            return "true" if v else "false"
        if typ == "fixed":
            return str(int(v))
        return str(v)

    def encode(self, rec, rows):
        types = [t for (_n, t) in rec.result.columns]
        return [[self.cell(v, t, rec.nullable) for v, t in zip(r, types)] for r in rows]

    def result_set(self, rec, partition):
        if rec.result is None:  # a multi-statement request
            data = [["Multiple statements executed successfully."]]
            return {"resultSetMetaData": {"numRows": 1, "format": "jsonv2",
                                          "partitionInfo": [{"rowCount": 1,
                                                             "uncompressedSize": len(json.dumps(data))}],
                                          "rowType": [self.column("multiple statement execution",
                                                                  "text")],
                                          "nullable": rec.nullable},
                    "data": data, "code": "090001", "statementHandles": list(rec.children),
                    "sqlState": "00000", "message": "Statement executed successfully.",
                    "statementHandle": rec.handle, "createdOn": rec.created_on,
                    "statementStatusUrl": self.status_url(rec), "requestId": rec.request_id}
        parts = [self.encode(rec, p) for p in rec.partitions]
        if partition > 0:
            return {"data": parts[partition]}
        return {
            "resultSetMetaData": {
                "numRows": len(rec.result.rows), "format": "jsonv2",
                "partitionInfo": [{"rowCount": len(p), "uncompressedSize": len(json.dumps(p))}
                                  for p in parts],
                "rowType": [self.column(n, t) for (n, t) in rec.result.columns],
                "nullable": rec.nullable,
            },
            "data": parts[0], "code": "090001", "statementStatusUrl": self.status_url(rec),
            "requestId": rec.request_id, "sqlState": "00000",
            "message": rec.result.message, "statementHandle": rec.handle,
            "createdOn": rec.created_on,
        }

    def links(self, rec, partition):
        n = len(rec.partitions or [[]])
        base = f"/api/v2/statements/{rec.handle}"
        out = [f'<{base}?partition=0>; rel="first"']
        if partition + 1 < n:
            out.append(f'<{base}?partition={partition + 1}>; rel="next"')
        if partition > 0:
            out.append(f'<{base}?partition={partition - 1}>; rel="prev"')
        out.append(f'<{base}?partition={n - 1}>; rel="last"')
        return ",".join(out)


def make_handler(emu):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "snowflake-emulator"
        sys_version = ""

        def log_message(self, fmt, *args):
            pass

        # ---- plumbing
        def body_bytes(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n > 0 else b""

        def reply(self, status, body=None, headers=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            self.logged_status = status

        def drop(self):
            self.close_connection = True
            self.logged_status = 0

        def handle_one_request(self):
            self.logged_status = None
            self.started = time.time()
            super().handle_one_request()
            if getattr(self, "command", None) and self.logged_status is not None:
                with emu.lock:
                    emu.request_log.append({"method": self.command, "path": self.path,
                                            "status": self.logged_status,
                                            "ms": int((time.time() - self.started) * 1000)})

        def do_GET(self):
            self.dispatch("GET")

        def do_POST(self):
            self.dispatch("POST")

        def do_DELETE(self):
            self.dispatch("DELETE")

        def do_PUT(self):
            self.dispatch("PUT")

        def dispatch(self, method):
            url = urlsplit(self.path)
            path = url.path
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            raw = self.body_bytes()
            try:
                if path.startswith("/_emulator/"):
                    return self.emulator(method, path, raw)
                m = re.fullmatch(r"/api/v2/statements(?:/([^/]+)(/cancel)?)?", path)
                if not m:
                    return self.reply(404, {"code": "390404", "message": f"Not found: {path}"})
                handle, cancel = m.group(1), m.group(2)
                want = "POST" if handle is None or cancel else "GET"
                if method != want:
                    return self.reply(405, {"code": "390405",
                                            "message": f"Method {method} not allowed on {path}."})
                fault = emu.faults.take("drop", method, path, self.peek_statement(raw), "before")
                if fault:
                    return self.drop()
                fault = emu.faults.take("http", method, path, self.peek_statement(raw))
                if fault:
                    st = int(fault.get("status", 503))
                    headers = {}
                    if st in (429, 503) and fault.get("retryAfter") is not None:
                        headers["Retry-After"] = str(fault["retryAfter"])
                    return self.reply(st, {"code": str(fault.get("code", f"390{st}")),
                                           "message": fault.get("message",
                                                                f"Injected HTTP {st}.")}, headers)
                if not self.headers.get("User-Agent"):
                    return self.reply(400, {"code": "390400",
                                            "message": "The User-Agent header is required."})
                try:
                    if emu.faults.take("expired_token", method, path, self.peek_statement(raw)):
                        raise AuthError("390144", "JWT token is invalid.", "expired (injected)")
                    user = emu.auth.check(self.headers)
                except AuthError as e:
                    return self.reply(401, {"code": e.code, "message": e.message},
                                      {"X-Emulator-Auth-Error": e.reason})
                if handle is None:
                    return self.submit(query, raw, user)
                if not UUID_RE.match(handle):
                    return self.reply(400, {"code": "390400",
                                            "message": f"Invalid statement handle '{handle}'."})
                with emu.lock:
                    rec = emu.records.get(handle)
                if rec is None:
                    body = {"code": "000709", "sqlState": "02000",
                            "message": f"Statement {handle} not found.", "statementHandle": handle}
                    return self.reply(422, body)
                if cancel:
                    return self.cancel(rec)
                return self.status(rec, query)
            except BrokenPipeError:
                pass

        @staticmethod
        def peek_statement(raw):
            try:
                return json.loads(raw).get("statement")
            except (ValueError, AttributeError):
                return None

        # ---- SQL API
        def submit(self, query, raw, user):
            ctype = self.headers.get("Content-Type")
            if ctype and ctype.split(";")[0].strip().lower() != "application/json":
                return self.reply(415, {"code": "390415",
                                        "message": f"Unsupported media type {ctype}."})
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return self.reply(400, {"code": "390400",
                                        "message": "The request body is not valid JSON."})
            if not isinstance(body, dict) or not isinstance(body.get("statement"), str):
                return self.reply(400, {"code": "390400",
                                        "message": "The request body must be an object with a "
                                                   "'statement' string."})
            for k in ("database", "schema", "warehouse", "role"):
                if body.get(k) is not None and not isinstance(body[k], str):
                    return self.reply(400, {"code": "390400", "message": f"'{k}' must be a string."})
            t = body.get("timeout")
            if t is not None and (not isinstance(t, int) or isinstance(t, bool) or t < 0):
                return self.reply(400, {"code": "390400",
                                        "message": "'timeout' must be a non-negative integer."})
            rid = query.get("requestId")
            if rid is not None and not UUID_RE.match(rid):
                return self.reply(400, {"code": "390400",
                                        "message": f"requestId '{rid}' is not a UUID."})
            try:
                rows = self.headers.get("X-Emulator-Partition-Rows")
                rows = None if rows is None else max(1, int(rows))
                wait = self.headers.get("X-Emulator-Sync-Wait")
                wait = emu.sync_wait if wait is None else max(0.0, float(wait))
            except ValueError:
                return self.reply(400, {"code": "390400",
                                        "message": "bad X-Emulator-* header value"})
            rec, _new = emu.submit(body, query, user, rows)
            run_async = query.get("async", "").lower() == "true"
            if not run_async:
                rec.done.wait(wait)
            if emu.faults.take("drop", "POST", self.path, body["statement"], "after"):
                rec.done.wait()
                return self.drop()
            # async=true: the handle at once, however fast the statement is.
            if run_async or not rec.done.is_set():
                return self.reply(202, emu.query_status(rec))
            if rec.timed_out:
                return self.reply(408, emu.query_status(rec, rec.error.code, rec.error.message))
            return self.finished(rec, 0)

        def finished(self, rec, partition):
            if rec.state == "failed":
                return self.reply(422, emu.failure(rec))
            n = len(rec.partitions or [[]])
            if partition >= n:
                return self.reply(422, {"code": "000720", "sqlState": "22023",
                                        "message": f"Partition {partition} does not exist: the "
                                                   f"result has {n} partition(s).",
                                        "statementHandle": rec.handle})
            return self.reply(200, emu.result_set(rec, partition),
                              {"Link": emu.links(rec, partition)} if rec.result is not None else {})

        def status(self, rec, query):
            try:
                partition = int(query.get("partition", "0"))
                if partition < 0:
                    raise ValueError
            except ValueError:
                return self.reply(400, {"code": "390400",
                                        "message": "partition must be a non-negative integer."})
            if not rec.done.is_set():
                return self.reply(202, emu.query_status(rec))
            return self.finished(rec, partition)

        def cancel(self, rec):
            body = {"statementHandle": rec.handle, "statementStatusUrl": emu.status_url(rec)}
            if rec.done.is_set():
                body.update(code="000605", sqlState="01000",
                            message=f"Statement {rec.handle} is not running: it has "
                                    f"{'succeeded' if rec.state == 'success' else 'failed'}.")
                return self.reply(422, body)
            rec.cancel.set()
            rec.done.wait(5)
            body.update(code="000604", sqlState="57014", message="successfully canceled")
            return self.reply(200, body)

        # ---- emulator endpoints
        def emulator(self, method, path, raw):
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                return self.reply(400, {"message": "not JSON"})
            if path == "/_emulator/health" and method == "GET":
                return self.reply(200, {"status": "ok", "rssKiB": rss_kib(),
                                        "statements": len(emu.statement_log)})
            if path == "/_emulator/state" and method == "GET":
                return self.reply(200, emu.account.dump())
            if path == "/_emulator/log" and method == "GET":
                with emu.lock:
                    return self.reply(200, {"statements": list(emu.statement_log),
                                            "requests": list(emu.request_log)})
            if path == "/_emulator/faults":
                if method == "GET":
                    return self.reply(200, {"faults": emu.faults.list()})
                if method == "DELETE":
                    emu.faults.clear()
                    return self.reply(200, {"faults": []})
                if method == "POST":
                    rules = payload.get("faults") if isinstance(payload, dict) else payload
                    try:
                        emu.faults.add(rules if isinstance(rules, list) else [rules])
                    except (ValueError, TypeError, AttributeError) as e:
                        return self.reply(400, {"message": str(e)})
                    return self.reply(200, {"faults": emu.faults.list()})
            if path == "/_emulator/config":
                if method == "POST" and isinstance(payload, dict):
                    if "syncWaitSeconds" in payload:
                        emu.sync_wait = float(payload["syncWaitSeconds"])
                    if "partitionRows" in payload:
                        emu.partition_rows = max(1, int(payload["partitionRows"]))
                    if "iamCheck" in payload:
                        emu.account.store.iam_check = bool(payload["iamCheck"])
                if method in ("GET", "POST"):
                    return self.reply(200, {"syncWaitSeconds": emu.sync_wait,
                                            "partitionRows": emu.partition_rows,
                                            "iamCheck": emu.account.store.iam_check,
                                            "account": emu.account.name,
                                            "user": emu.auth.user,
                                            "iamUserArn": emu.account.iam_user_arn})
            return self.reply(404, {"message": f"no emulator endpoint {method} {path}"})

    return Handler


def rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def serve(emu, port, host="127.0.0.1"):
    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    return Server((host, port), make_handler(emu))
