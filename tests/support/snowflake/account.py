"""The account the emulator holds: roles and their grants, users, warehouses, external
volumes, catalog integrations, databases, schemas and Iceberg tables; and the execution
of each parsed statement against it, with Snowflake's access control.

Access control, as Snowflake documents it:
  * a statement runs under the session's primary role; it may use the privileges of that
    role and of every role granted to it (the role hierarchy), and of PUBLIC;
  * the role that creates an object owns it (OWNERSHIP implies every privilege on it);
  * ACCOUNTADMIN holds SYSADMIN and SECURITYADMIN; SECURITYADMIN holds USERADMIN;
    ACCOUNTADMIN alone may create external volumes and integrations; SYSADMIN and
    ACCOUNTADMIN create databases; USERADMIN, SECURITYADMIN and ACCOUNTADMIN create roles;
    MANAGE GRANTS (SECURITYADMIN, ACCOUNTADMIN) grants and revokes on any object;
  * a database, schema or table the role may not use "does not exist or not authorized";
    one it can see but lacks the privilege for is "Insufficient privileges".
Secondary roles are not modelled (USE SECONDARY ROLES is accepted and ignored).
"""
import base64
import hashlib
import json
import secrets
import threading
import time

from sql import (SfError, compilation_error, ident_from_string, like_match, parse_qualified_string,
                 quote_ident)

SYSTEM_ROLES = ["ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "PUBLIC"]

VALID = {
    "ACCOUNT": {"CREATE DATABASE", "CREATE ROLE", "CREATE INTEGRATION", "CREATE EXTERNAL VOLUME",
                "CREATE USER", "CREATE WAREHOUSE", "MANAGE GRANTS", "MONITOR", "APPLY BUDGET"},
    "DATABASE": {"USAGE", "MONITOR", "MODIFY", "CREATE SCHEMA"},
    "SCHEMA": {"USAGE", "MONITOR", "MODIFY", "CREATE TABLE", "CREATE ICEBERG TABLE",
               "CREATE VIEW"},
    "EXTERNAL_VOLUME": {"USAGE"},
    "INTEGRATION": {"USAGE", "USE_ANY_ROLE"},
    "TABLE": {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "EVOLVE SCHEMA"},
    "WAREHOUSE": {"USAGE", "OPERATE", "MONITOR", "MODIFY"},
    "ROLE": set(),
}

KIND_WORD = {"DATABASE": "Database", "SCHEMA": "Schema", "TABLE": "Table",
             "EXTERNAL_VOLUME": "External volume", "INTEGRATION": "Integration", "ROLE": "Role",
             "WAREHOUSE": "Warehouse", "USER": "User"}
LOWER_WORD = {"DATABASE": "database", "SCHEMA": "schema", "TABLE": "table",
              "EXTERNAL_VOLUME": "external volume", "INTEGRATION": "integration", "ROLE": "role",
              "WAREHOUSE": "warehouse", "ACCOUNT": "account"}

OK = "Statement executed successfully."


def now():
    return time.time()


def not_found(kind, display):
    return compilation_error(f"{KIND_WORD[kind]} '{display}' does not exist or not authorized.",
                             "002003", "02000")


def insufficient(kind, display):
    return SfError("003001", "42501",
                   f"SQL access control error:\nInsufficient privileges to operate on "
                   f"{LOWER_WORD[kind]} '{display}'.")


def already_exists(display):
    return compilation_error(f"Object '{display}' already exists.", "002002", "42710")


class Result:
    """Columns [(name, type)] and rows of Python values; type is a jsonv2 type name."""

    def __init__(self, columns, rows, message=OK):
        self.columns = columns
        self.rows = rows
        self.message = message


def status(message):
    return Result([("status", "text")], [[message]], OK)


class Obj:
    def __init__(self, kind, name, owner, comment=None):
        self.kind = kind
        self.name = name
        self.owner = owner
        self.comment = comment
        self.created_on = now()


class Session:
    def __init__(self, user, role, database=None, schema=None, warehouse=None):
        self.user = user
        self.role = role
        self.database = database
        self.schema = schema
        self.warehouse = warehouse


class Account:
    def __init__(self, name, user, store, default_role="ACCOUNTADMIN",
                 warehouses=("COMPUTE_WH",)):
        self.lock = threading.RLock()
        self.name = name
        self.store = store
        self.roles = {}
        self.role_grants = {}  # (role, "ROLE"|"USER", grantee) -> {granted_by, created_on}
        self.grants = {}  # (objkey, privilege, role) -> {granted_by, created_on, grant_option}
        self.users = {}
        self.volumes = {}
        self.integrations = {}
        self.databases = {}
        self.warehouses = {}
        for r in SYSTEM_ROLES:
            self.roles[r] = Obj("ROLE", r, "" if r in ("ACCOUNTADMIN", "PUBLIC") else "ACCOUNTADMIN")
        self.roles["USERADMIN"].owner = "USERADMIN"
        self.roles["SECURITYADMIN"].owner = "SECURITYADMIN"
        self.roles["SYSADMIN"].owner = "ACCOUNTADMIN"
        for parent, child in [("ACCOUNTADMIN", "SECURITYADMIN"), ("ACCOUNTADMIN", "SYSADMIN"),
                              ("SECURITYADMIN", "USERADMIN")]:
            self.role_grants[(child, "ROLE", parent)] = {"granted_by": "", "created_on": now()}
        acct = ("ACCOUNT",)
        for priv in sorted(VALID["ACCOUNT"]):
            self.grants[(acct, priv, "ACCOUNTADMIN")] = self._sys_grant()
        for role, privs in [("SECURITYADMIN", ["MANAGE GRANTS", "CREATE ROLE", "CREATE USER"]),
                            ("USERADMIN", ["CREATE ROLE", "CREATE USER"]),
                            ("SYSADMIN", ["CREATE DATABASE", "CREATE WAREHOUSE"])]:
            for priv in privs:
                self.grants[(acct, priv, role)] = self._sys_grant()
        for wh in warehouses:
            self.warehouses[wh] = Obj("WAREHOUSE", wh, "SYSADMIN")
            self.grants[(("WAREHOUSE", wh), "USAGE", "PUBLIC")] = self._sys_grant()
        u = Obj("USER", user, "USERADMIN")
        u.default_role = default_role
        self.users[user] = u
        self.role_grants[("ACCOUNTADMIN", "USER", user)] = {"granted_by": "", "created_on": now()}
        h = hashlib.sha256(name.encode()).hexdigest()
        self.iam_user_arn = (f"arn:aws:iam::{int(h[:12], 16) % 10**12:012d}:user/"
                             f"{h[12:16]}0000-s")

    @staticmethod
    def _sys_grant():
        return {"granted_by": "", "created_on": now(), "grant_option": False}

    # ---- roles and privileges -----------------------------------------------------

    def closure(self, role):
        seen, todo = {role, "PUBLIC"}, [role]
        while todo:
            r = todo.pop()
            for (granted, typ, grantee) in self.role_grants:
                if typ == "ROLE" and grantee == r and granted not in seen:
                    seen.add(granted)
                    todo.append(granted)
        return seen

    def user_roles(self, user):
        base = {r for (r, typ, g) in self.role_grants if typ == "USER" and g == user}
        out = {"PUBLIC"}
        for r in base:
            out |= self.closure(r)
        return out

    def owner_of(self, key):
        obj = self.obj(key)
        return None if obj is None else obj.owner

    def owns(self, role, key):
        owner = self.owner_of(key)
        return owner is not None and owner in self.closure(role)

    def has(self, role, priv, key):
        if key != ("ACCOUNT",) and self.owns(role, key):
            return True
        roles = self.closure(role)
        return any((key, priv, r) in self.grants for r in roles)

    def any_priv(self, role, key):
        if self.owns(role, key):
            return True
        roles = self.closure(role)
        return any(k == key and r in roles for (k, _p, r) in self.grants)

    def manage_grants(self, role):
        return self.has(role, "MANAGE GRANTS", ("ACCOUNT",))

    def usable(self, role, key):
        """USAGE on a database or schema (or owning it)."""
        return self.has(role, "USAGE", key)

    # ---- objects ------------------------------------------------------------------

    def obj(self, key):
        typ = key[0]
        if typ == "DATABASE":
            return self.databases.get(key[1])
        if typ == "SCHEMA":
            db = self.databases.get(key[1])
            return None if db is None else db.schemas.get(key[2])
        if typ == "TABLE":
            db = self.databases.get(key[1])
            s = None if db is None else db.schemas.get(key[2])
            return None if s is None else s.tables.get(key[3])
        if typ == "EXTERNAL_VOLUME":
            return self.volumes.get(key[1])
        if typ == "INTEGRATION":
            return self.integrations.get(key[1])
        if typ == "ROLE":
            return self.roles.get(key[1])
        if typ == "WAREHOUSE":
            return self.warehouses.get(key[1])
        if typ == "USER":
            return self.users.get(key[1])
        return None

    @staticmethod
    def display(key):
        if key[0] == "ACCOUNT":
            return ""
        return ".".join(quote_ident(p) for p in key[1:])

    def drop_grants_on(self, key_prefix):
        n = len(key_prefix)
        for k in [k for k in self.grants if k[0][:n] == key_prefix]:
            del self.grants[k]

    def db_key(self, session, parts):
        if len(parts) == 1:
            return ("DATABASE", parts[0].v)
        raise compilation_error("invalid database name")

    def schema_key(self, session, parts, what):
        if len(parts) == 2:
            return ("SCHEMA", parts[0].v, parts[1].v)
        if session.database is None:
            raise SfError("090105", "22000",
                          f"Cannot perform {what}. This session does not have a current database. "
                          f"Call 'USE DATABASE', or use a qualified name.")
        return ("SCHEMA", session.database, parts[0].v)

    def table_key(self, session, parts, what):
        if len(parts) == 3:
            return ("TABLE", parts[0].v, parts[1].v, parts[2].v)
        if len(parts) == 2:
            if session.database is None:
                raise SfError("090105", "22000",
                              f"Cannot perform {what}. This session does not have a current "
                              f"database. Call 'USE DATABASE', or use a qualified name.")
            return ("TABLE", session.database, parts[0].v, parts[1].v)
        if session.database is None:
            raise SfError("090105", "22000",
                          f"Cannot perform {what}. This session does not have a current database. "
                          f"Call 'USE DATABASE', or use a qualified name.")
        if session.schema is None:
            raise SfError("090106", "22000",
                          f"Cannot perform {what}. This session does not have a current schema. "
                          f"Call 'USE SCHEMA', or use a qualified name.")
        return ("TABLE", session.database, session.schema, parts[0].v)

    def use_db(self, role, db_name):
        """The database, if the role may use it; else 'does not exist or not authorized'."""
        key = ("DATABASE", db_name)
        db = self.databases.get(db_name)
        if db is None or not self.usable(role, key):
            raise not_found("DATABASE", self.display(key))
        return db

    def use_schema(self, role, skey):
        db = self.use_db(role, skey[1])
        s = db.schemas.get(skey[2])
        if s is None or not self.usable(role, skey):
            raise not_found("SCHEMA", self.display(skey))
        return s

    def find_table(self, role, tkey):
        s = self.use_schema(role, ("SCHEMA",) + tkey[1:3])
        t = s.tables.get(tkey[3])
        if t is None or not self.any_priv(role, tkey):
            raise not_found("TABLE", self.display(tkey))
        return s, t

    def find_account_obj(self, role, key, need_visible=True):
        obj = self.obj(key)
        if obj is None or (need_visible and not (self.any_priv(role, key)
                                                 or self.manage_grants(role))):
            raise not_found(key[0], self.display(key))
        return obj

    def grant_target(self, role, key):
        """The object of a GRANT/REVOKE/SHOW GRANTS ON, visible to the granting role."""
        if key[0] == "ACCOUNT":
            return None
        obj = self.obj(key)
        visible = obj is not None and (self.manage_grants(role) or self.any_priv(role, key))
        if key[0] in ("SCHEMA", "TABLE") and visible and not self.manage_grants(role):
            visible = self.usable(role, ("DATABASE", key[1]))
        if not visible:
            raise not_found(key[0], self.display(key))
        return obj

    # ---- execution ----------------------------------------------------------------

    def execute(self, st, session, ctx):
        kind = st["kind"]
        if kind == "select":
            return self.select(st, session, ctx)
        with self.lock:
            return getattr(self, "x_" + kind)(st, session, ctx)

    def x_use(self, st, session, ctx):
        what, parts = st["what"], st["name"]
        role = session.role
        if what == "ROLE":
            r = parts[0].v
            if r not in self.roles:
                raise not_found("ROLE", quote_ident(r))
            if r not in self.user_roles(session.user):
                raise SfError("003013", "42501",
                              f"Requested role '{r}' is not assigned to the executing user. "
                              f"Specify another role to activate.")
            session.role = r
        elif what == "DATABASE":
            self.use_db(role, parts[0].v)
            session.database = parts[0].v
            session.schema = "PUBLIC" if "PUBLIC" in self.databases[parts[0].v].schemas else None
        elif what == "SCHEMA":
            skey = self.schema_key(session, parts, "USE SCHEMA")
            self.use_schema(role, skey)
            session.database, session.schema = skey[1], skey[2]
        elif what == "WAREHOUSE":
            key = ("WAREHOUSE", parts[0].v)
            if parts[0].v not in self.warehouses or not self.any_priv(role, key):
                raise not_found("WAREHOUSE", self.display(key))
            session.warehouse = parts[0].v
        return status(OK)

    # -- create

    def created(self, kind_word, name):
        return status(f"{kind_word} {quote_ident(name)} successfully created.")

    def x_create_role(self, st, session, ctx):
        name = st["name"][0].v
        if not self.has(session.role, "CREATE ROLE", ("ACCOUNT",)):
            raise insufficient("ACCOUNT", self.name)
        old = self.roles.get(name)
        if old is not None:
            if st["if_not_exists"]:
                return status(f"{quote_ident(name)} already exists, statement succeeded.")
            if not st["or_replace"]:
                raise already_exists(quote_ident(name))
            if name in SYSTEM_ROLES or not self.owns(session.role, ("ROLE", name)):
                raise insufficient("ROLE", quote_ident(name))
            self._drop_role(name, session.role)
        self.roles[name] = Obj("ROLE", name, session.role, st["props"].get("COMMENT"))
        return self.created("Role", name)

    def x_create_volume(self, st, session, ctx):
        name = st["name"][0].v
        if not self.has(session.role, "CREATE EXTERNAL VOLUME", ("ACCOUNT",)):
            raise insufficient("ACCOUNT", self.name)
        old = self.volumes.get(name)
        if old is not None:
            if st["if_not_exists"]:
                return status(f"{quote_ident(name)} already exists, statement succeeded.")
            if not st["or_replace"]:
                raise already_exists(quote_ident(name))
            if not self.owns(session.role, ("EXTERNAL_VOLUME", name)):
                raise insufficient("EXTERNAL_VOLUME", quote_ident(name))
        locations = []
        names = set()
        for loc in st["locations"]:
            provider = loc["STORAGE_PROVIDER"].upper()
            if provider not in ("S3", "S3GOV"):
                raise SfError("002043", "0A000",
                              f"SQL compilation error:\nUnsupported feature 'STORAGE_PROVIDER = "
                              f"{loc['STORAGE_PROVIDER']}' (the emulator has S3 only).")
            if "STORAGE_AWS_ROLE_ARN" not in loc:
                raise compilation_error("missing option(s) [STORAGE_AWS_ROLE_ARN].", "001008",
                                        "42601")
            url = loc["STORAGE_BASE_URL"]
            if not url.lower().startswith(("s3://", "s3gov://")) or len(url.split("/")) < 3 \
                    or not url.split("/")[2]:
                raise SfError("093152", "22023",
                              f"SQL execution error: invalid STORAGE_BASE_URL '{url}' for provider "
                              f"{provider}.")
            if loc["NAME"] in names:
                raise SfError("093153", "22023",
                              f"SQL execution error: duplicate storage location name "
                              f"'{loc['NAME']}'.")
            names.add(loc["NAME"])
            ext = loc.get("STORAGE_AWS_EXTERNAL_ID") or (
                f"{self.name}_SFCRole=2_"
                + base64.b64encode(secrets.token_bytes(21)).decode().replace("/", "+"))
            locations.append({
                "NAME": loc["NAME"], "STORAGE_PROVIDER": provider, "STORAGE_BASE_URL": url,
                "STORAGE_ALLOWED_LOCATIONS": [url.rstrip("/") + "/*"],
                "STORAGE_AWS_ROLE_ARN": loc["STORAGE_AWS_ROLE_ARN"],
                "STORAGE_AWS_IAM_USER_ARN": self.iam_user_arn,
                "STORAGE_AWS_EXTERNAL_ID": ext,
                "ENCRYPTION_TYPE": (loc.get("ENCRYPTION") or {}).get("TYPE", "NONE"),
                "ENCRYPTION_KMS_KEY_ID": (loc.get("ENCRYPTION") or {}).get("KMS_KEY_ID", ""),
            })
        v = Obj("EXTERNAL_VOLUME", name, session.role, st["comment"])
        v.locations = locations
        v.allow_writes = st["allow_writes"]
        v.active_location = lambda: v.locations[0]
        if old is not None:
            self.drop_grants_on(("EXTERNAL_VOLUME", name))
        self.volumes[name] = v
        return self.created("External volume", name)

    def x_create_catalog_integration(self, st, session, ctx):
        name = st["name"][0].v
        props = st["props"]
        if not self.has(session.role, "CREATE INTEGRATION", ("ACCOUNT",)):
            raise insufficient("ACCOUNT", self.name)
        if props["CATALOG_SOURCE"] not in ("OBJECT_STORE", "GLUE", "POLARIS", "ICEBERG_REST"):
            raise compilation_error(f"invalid value '{props['CATALOG_SOURCE']}' for property "
                                    f"'CATALOG_SOURCE'", "001008", "42601")
        if props["CATALOG_SOURCE"] != "OBJECT_STORE":
            raise SfError("002043", "0A000",
                          "SQL compilation error:\nUnsupported feature 'CATALOG_SOURCE other than "
                          "OBJECT_STORE' (not emulated).")
        if props["TABLE_FORMAT"] not in ("ICEBERG", "DELTA"):
            raise compilation_error(f"invalid value '{props['TABLE_FORMAT']}' for property "
                                    f"'TABLE_FORMAT'", "001008", "42601")
        old = self.integrations.get(name)
        if old is not None:
            if st["if_not_exists"]:
                return status(f"{quote_ident(name)} already exists, statement succeeded.")
            if not st["or_replace"]:
                raise already_exists(quote_ident(name))
            if not self.owns(session.role, ("INTEGRATION", name)):
                raise insufficient("INTEGRATION", quote_ident(name))
            self.drop_grants_on(("INTEGRATION", name))
        ci = Obj("INTEGRATION", name, session.role, props.get("COMMENT"))
        ci.catalog_source = props["CATALOG_SOURCE"]
        ci.table_format = props["TABLE_FORMAT"]
        ci.enabled = props["ENABLED"]
        ci.refresh_interval = props.get("REFRESH_INTERVAL_SECONDS", 30)
        self.integrations[name] = ci
        return self.created("Integration", name)

    def x_create_database(self, st, session, ctx):
        name = st["name"][0].v
        if not self.has(session.role, "CREATE DATABASE", ("ACCOUNT",)):
            raise insufficient("ACCOUNT", self.name)
        old = self.databases.get(name)
        if old is not None:
            if st["if_not_exists"]:
                return status(f"{quote_ident(name)} already exists, statement succeeded.")
            if not st["or_replace"]:
                raise already_exists(quote_ident(name))
            if not self.owns(session.role, ("DATABASE", name)):
                raise insufficient("DATABASE", quote_ident(name))
            self._drop_database(name, session)
        db = Obj("DATABASE", name, session.role, st["props"].get("COMMENT"))
        db.retention = st["props"].get("DATA_RETENTION_TIME_IN_DAYS", 1)
        db.schemas = {}
        for s in ("INFORMATION_SCHEMA", "PUBLIC"):
            sc = Obj("SCHEMA", s, "" if s == "INFORMATION_SCHEMA" else session.role)
            sc.tables = {}
            sc.db = name
            db.schemas[s] = sc
        self.databases[name] = db
        session.database, session.schema = name, "PUBLIC"
        return self.created("Database", name)

    def x_create_schema(self, st, session, ctx):
        skey = self.schema_key(session, st["name"], "CREATE SCHEMA")
        db = self.use_db(session.role, skey[1])
        name = skey[2]
        if not self.has(session.role, "CREATE SCHEMA", ("DATABASE", skey[1])):
            raise insufficient("DATABASE", self.display(("DATABASE", skey[1])))
        old = db.schemas.get(name)
        if old is not None:
            if st["if_not_exists"]:
                return status(f"{quote_ident(name)} already exists, statement succeeded.")
            if not st["or_replace"] or name == "INFORMATION_SCHEMA":
                raise already_exists(self.display(skey))
            if not self.owns(session.role, skey):
                raise insufficient("SCHEMA", self.display(skey))
            self._drop_schema(db, name)
        sc = Obj("SCHEMA", name, session.role, st["props"].get("COMMENT"))
        sc.tables = {}
        sc.db = skey[1]
        db.schemas[name] = sc
        session.database, session.schema = skey[1], name
        return self.created("Schema", name)

    def x_create_iceberg_table(self, st, session, ctx):
        tkey = self.table_key(session, st["name"], "CREATE ICEBERG TABLE")
        props = st["props"]
        role = session.role
        schema = self.use_schema(role, ("SCHEMA",) + tkey[1:3])
        skey = ("SCHEMA",) + tkey[1:3]
        name = tkey[3]
        old = schema.tables.get(name)
        if old is not None and st["if_not_exists"]:
            if not self.any_priv(role, tkey):
                raise insufficient("SCHEMA", self.display(skey))
            return status(f"{quote_ident(name)} already exists, statement succeeded.")
        if not self.has(role, "CREATE ICEBERG TABLE", skey):
            raise insufficient("SCHEMA", self.display(skey))
        if "EXTERNAL_VOLUME" not in props:
            raise SfError("002003", "02000",
                          "SQL compilation error:\nExternal volume must be specified (the emulator "
                          "has no EXTERNAL_VOLUME parameter at account, database or schema level).")
        if "CATALOG" not in props:
            raise SfError("002003", "02000",
                          "SQL compilation error:\nCatalog integration must be specified (the "
                          "emulator has no CATALOG parameter at account, database or schema level).")
        vkey = ("EXTERNAL_VOLUME", props["EXTERNAL_VOLUME"].v)
        vol = self.volumes.get(vkey[1])
        if vol is None or not self.any_priv(role, vkey):
            raise not_found("EXTERNAL_VOLUME", self.display(vkey))
        if not self.has(role, "USAGE", vkey):
            raise insufficient("EXTERNAL_VOLUME", self.display(vkey))
        ckey = ("INTEGRATION", props["CATALOG"].v)
        ci = self.integrations.get(ckey[1])
        if ci is None or not self.any_priv(role, ckey):
            raise not_found("INTEGRATION", self.display(ckey))
        if not self.has(role, "USAGE", ckey):
            raise insufficient("INTEGRATION", self.display(ckey))
        if not ci.enabled:
            raise SfError("091310", "22000",
                          f"SQL execution error: Catalog integration {quote_ident(ci.name)} is "
                          f"disabled.")
        if ci.table_format != "ICEBERG":
            raise SfError("091311", "22000",
                          f"SQL execution error: Catalog integration {quote_ident(ci.name)} has "
                          f"TABLE_FORMAT {ci.table_format}, not ICEBERG.")
        if old is not None:
            if not st["or_replace"]:
                raise already_exists(self.display(tkey))
            if not self.owns(role, tkey):
                raise insufficient("TABLE", self.display(tkey))
        info = self.store.load(vol, props["METADATA_FILE_PATH"])
        t = Obj("TABLE", name, role, props.get("COMMENT"))
        t.volume, t.catalog = vol.name, ci.name
        t.metadata_file_path = props["METADATA_FILE_PATH"]
        t.info = info
        t.last_altered = t.created_on
        t.refreshes = 0
        if old is not None:
            self.drop_grants_on(tkey)
        schema.tables[name] = t
        return self.created("Table", name)

    # -- refresh

    def x_refresh(self, st, session, ctx):
        tkey = self.table_key(session, st["name"], "ALTER ICEBERG TABLE")
        role = session.role
        try:
            _schema, t = self.find_table(role, tkey)
        except SfError:
            if st["if_exists"]:
                return status(OK)
            raise
        if not self.owns(role, tkey):
            raise insufficient("TABLE", self.display(tkey))
        if st["path"] is None:
            raise SfError("091320", "22000",
                          f"SQL execution error: Refreshing Iceberg table {self.display(tkey)} "
                          f"needs a metadata file path: its catalog integration uses "
                          f"CATALOG_SOURCE = OBJECT_STORE.")
        vol = self.volumes.get(t.volume)
        ci = self.integrations.get(t.catalog)
        if vol is None or ci is None:
            raise SfError("091321", "22000",
                          f"SQL execution error: The external volume or catalog integration of "
                          f"Iceberg table {self.display(tkey)} no longer exists.")
        if not ci.enabled:
            raise SfError("091310", "22000",
                          f"SQL execution error: Catalog integration {quote_ident(ci.name)} is "
                          f"disabled.")
        info = self.store.load(vol, st["path"])
        if info.table_uuid != t.info.table_uuid:
            raise SfError("091115", "22000",
                          f"SQL execution error: Cannot refresh Iceberg table {self.display(tkey)}: "
                          f"the metadata file belongs to table {info.table_uuid}, not "
                          f"{t.info.table_uuid}.")
        if info.format_version != t.info.format_version:
            raise SfError("091116", "22000",
                          f"SQL execution error: Cannot refresh Iceberg table {self.display(tkey)}: "
                          f"its Iceberg format version changed from {t.info.format_version} to "
                          f"{info.format_version}. Recreate the table (CREATE OR REPLACE ICEBERG "
                          f"TABLE) to use the new format version.")
        t.info = info
        t.metadata_file_path = st["path"]
        t.last_altered = now()
        t.refreshes += 1
        return status(OK)

    # -- drop

    def x_drop(self, st, session, ctx):
        typ, parts, role = st["type"], st["name"], session.role
        gone = status(f"Drop statement executed successfully "
                      f"({'.'.join(quote_ident(p.v) for p in parts)} already dropped).")
        try:
            if typ == "TABLE":
                key = self.table_key(session, parts, "DROP TABLE")
                schema, _t = self.find_table(role, key)
            elif typ == "SCHEMA":
                key = self.schema_key(session, parts, "DROP SCHEMA")
                self.use_schema(role, key)
            elif typ == "DATABASE":
                key = ("DATABASE", parts[0].v)
                if key[1] not in self.databases or not self.any_priv(role, key):
                    raise not_found("DATABASE", self.display(key))
            else:
                key = (typ, parts[0].v)
                # Roles are listed to everyone (SHOW ROLES); other account objects only to
                # roles with a privilege on them.
                self.find_account_obj(role, key, need_visible=typ != "ROLE")
        except SfError as e:
            if st["if_exists"] and e.code == "002003":
                return gone
            raise
        if key[0] == "ROLE" and key[1] in SYSTEM_ROLES:
            raise SfError("003002", "42501",
                          f"SQL access control error:\nRole '{key[1]}' cannot be dropped.")
        if not self.owns(role, key):
            raise insufficient(key[0], self.display(key))
        if key[0] == "SCHEMA" and key[2] == "INFORMATION_SCHEMA":
            raise insufficient("SCHEMA", self.display(key))
        if typ == "TABLE":
            del schema.tables[key[3]]
            self.drop_grants_on(key)
        elif typ == "SCHEMA":
            self._drop_schema(self.databases[key[1]], key[2])
            if session.database == key[1] and session.schema == key[2]:
                session.schema = None
        elif typ == "DATABASE":
            self._drop_database(key[1], session)
        elif typ == "ROLE":
            self._drop_role(key[1], role)
        elif typ == "EXTERNAL_VOLUME":
            del self.volumes[key[1]]
            self.drop_grants_on(key)
        elif typ == "INTEGRATION":
            del self.integrations[key[1]]
            self.drop_grants_on(key)
        return status(f"{quote_ident(key[-1])} successfully dropped.")

    def _drop_schema(self, db, name):
        del db.schemas[name]
        self.drop_grants_on(("SCHEMA", db.name, name))
        self.drop_grants_on(("TABLE", db.name, name))

    def _drop_database(self, name, session):
        del self.databases[name]
        self.drop_grants_on(("DATABASE", name))
        self.drop_grants_on(("SCHEMA", name))
        self.drop_grants_on(("TABLE", name))
        if session.database == name:
            session.database = session.schema = None

    def _drop_role(self, name, new_owner):
        """Drops a role: its grants go; what it owned passes to the role dropping it."""
        del self.roles[name]
        for k in [k for k in self.grants if k[2] == name]:
            del self.grants[k]
        for k in [k for k in self.role_grants if k[0] == name or (k[1] == "ROLE" and k[2] == name)]:
            del self.role_grants[k]
        for obj in self.all_objects():
            if obj.owner == name:
                obj.owner = new_owner

    def all_objects(self):
        yield from self.roles.values()
        yield from self.volumes.values()
        yield from self.integrations.values()
        yield from self.warehouses.values()
        for db in self.databases.values():
            yield db
            for s in db.schemas.values():
                yield s
                yield from s.tables.values()

    # -- grants

    def object_key(self, session, typ, parts):
        if typ == "ACCOUNT":
            return ("ACCOUNT",)
        if typ == "SCHEMA":
            return self.schema_key(session, parts, "GRANT")
        if typ == "TABLE":
            return self.table_key(session, parts, "GRANT")
        return (typ, parts[0].v)

    def x_grant(self, st, session, ctx):
        return self._grant(st, session, revoke=False)

    def x_revoke(self, st, session, ctx):
        return self._grant(st, session, revoke=True)

    def _grant(self, st, session, revoke):
        role = session.role
        key = self.object_key(session, st["type"], st["name"])
        grantee = st["role"].v
        obj = self.grant_target(role, key)
        if grantee not in self.roles:
            raise not_found("ROLE", quote_ident(grantee))
        privs = st["privileges"]
        typ = key[0]
        if privs == ["OWNERSHIP"]:
            if revoke:
                raise compilation_error("OWNERSHIP cannot be revoked; transfer it with GRANT "
                                        "OWNERSHIP.", "003011", "42601")
            if typ == "ACCOUNT" or obj is None:
                raise compilation_error("Invalid privilege OWNERSHIP on ACCOUNT.", "003011",
                                        "42601")
            if not (self.owns(role, key) or self.manage_grants(role)):
                raise insufficient(typ, self.display(key))
            if st.get("current_grants") == "REVOKE":
                for k in [k for k in self.grants if k[0] == key]:
                    del self.grants[k]
            obj.owner = grantee
            return status(OK)
        expanded = []
        for p in privs:
            if p == "ALL":
                expanded.extend(sorted(VALID[typ]))
            elif p not in VALID[typ]:
                raise compilation_error(f"Invalid privilege {p} on {typ.replace('_', ' ')}.",
                                        "003011", "42601")
            else:
                expanded.append(p)
        allowed = self.manage_grants(role) or (typ != "ACCOUNT" and self.owns(role, key))
        if not allowed:
            roles = self.closure(role)
            allowed = all(any(self.grants.get((key, p, r), {}).get("grant_option")
                              for r in roles) for p in expanded)
        if not allowed:
            raise insufficient(typ, self.name if typ == "ACCOUNT" else self.display(key))
        for p in expanded:
            k = (key, p, grantee)
            if revoke:
                if st.get("grant_option_for"):
                    if k in self.grants:
                        self.grants[k]["grant_option"] = False
                else:
                    self.grants.pop(k, None)
            elif k not in self.grants:
                self.grants[k] = {"granted_by": role, "created_on": now(),
                                  "grant_option": st["grant_option"]}
            elif st["grant_option"]:
                self.grants[k]["grant_option"] = True
        return status(OK)

    def x_grant_role(self, st, session, ctx):
        return self._grant_role(st, session, revoke=False)

    def x_revoke_role(self, st, session, ctx):
        return self._grant_role(st, session, revoke=True)

    def _grant_role(self, st, session, revoke):
        role = session.role
        r = st["role"].v
        grantee = st["grantee"].v
        if r not in self.roles:
            raise not_found("ROLE", quote_ident(r))
        if st["to_type"] == "USER":
            if grantee not in self.users:
                raise not_found("USER", quote_ident(grantee))
        elif grantee not in self.roles:
            raise not_found("ROLE", quote_ident(grantee))
        if not (self.manage_grants(role) or self.owns(role, ("ROLE", r))):
            raise insufficient("ROLE", quote_ident(r))
        k = (r, st["to_type"], grantee)
        if revoke:
            self.role_grants.pop(k, None)
            return status(OK)
        if st["to_type"] == "ROLE" and (r == grantee or grantee in self.closure(r)):
            raise SfError("003012", "42501",
                          f"SQL access control error:\nCannot grant role {quote_ident(r)} to role "
                          f"{quote_ident(grantee)}: it would create a cycle in the role hierarchy.")
        self.role_grants.setdefault(k, {"granted_by": role, "created_on": now()})
        return status(OK)

    # -- show

    def x_show(self, st, session, ctx):
        what = st["what"]
        rows = getattr(self, "show_" + what.lower().replace(" ", "_"))(st, session)
        columns, rows = rows
        name_col = [c[0] for c in columns].index("name")
        if st["like"] is not None:
            rows = [r for r in rows if like_match(st["like"], r[name_col])]
        if st["starts_with"] is not None:
            rows = [r for r in rows if r[name_col].startswith(st["starts_with"])]
        if st["limit"] is not None:
            rows = rows[:st["limit"]]
        if st.get("terse") and what == "ICEBERG TABLES":
            columns = [("created_on", "timestamp_ltz"), ("name", "text"), ("kind", "text"),
                       ("database_name", "text"), ("schema_name", "text")]
            rows = [[r[0], r[1], "ICEBERG TABLE", r[2], r[3]] for r in rows]
        return Result(columns, rows)

    def show_external_volumes(self, st, session):
        role = session.role
        mg = self.manage_grants(role)
        rows = [[v.name, v.allow_writes, v.comment] for v in sorted(self.volumes.values(),
                                                                     key=lambda v: v.name)
                if mg or self.any_priv(role, ("EXTERNAL_VOLUME", v.name))]
        return [("name", "text"), ("allow_writes", "boolean"), ("comment", "text")], rows

    def show_integrations(self, st, session):
        role = session.role
        mg = self.manage_grants(role)
        rows = [[c.name, "CATALOG", "CATALOG", c.enabled, c.comment, c.created_on]
                for c in sorted(self.integrations.values(), key=lambda c: c.name)
                if mg or self.any_priv(role, ("INTEGRATION", c.name))]
        return [("name", "text"), ("type", "text"), ("category", "text"), ("enabled", "boolean"),
                ("comment", "text"), ("created_on", "timestamp_ltz")], rows

    show_catalog_integrations = show_integrations

    def show_roles(self, st, session):
        rows = []
        for r in sorted(self.roles.values(), key=lambda r: (r.created_on, r.name)):
            assigned = sum(1 for (g, t, _u) in self.role_grants if g == r.name and t == "USER")
            to_roles = sum(1 for (g, t, _u) in self.role_grants if g == r.name and t == "ROLE")
            granted = sum(1 for (_g, t, u) in self.role_grants if t == "ROLE" and u == r.name)
            rows.append([r.created_on, r.name,
                         "Y" if r.name == self.users[session.user].default_role else "N",
                         "Y" if r.name == session.role else "N",
                         "Y" if r.name in self.closure(session.role) and r.name != session.role
                         else "N",
                         assigned, to_roles, granted, r.owner, r.comment,
                         "ROLE" if r.owner else None])
        return [("created_on", "timestamp_ltz"), ("name", "text"), ("is_default", "text"),
                ("is_current", "text"), ("is_inherited", "text"), ("assigned_to_users", "fixed"),
                ("granted_to_roles", "fixed"), ("granted_roles", "fixed"), ("owner", "text"),
                ("comment", "text"), ("owner_role_type", "text")], rows

    def show_databases(self, st, session):
        role = session.role
        mg = self.manage_grants(role)
        rows = [[d.created_on, d.name, "N", "Y" if session.database == d.name else "N", "",
                 d.owner, d.comment, "", str(d.retention), "STANDARD", None, "ROLE"]
                for d in sorted(self.databases.values(), key=lambda d: d.name)
                if mg or self.any_priv(role, ("DATABASE", d.name))]
        return [("created_on", "timestamp_ltz"), ("name", "text"), ("is_default", "text"),
                ("is_current", "text"), ("origin", "text"), ("owner", "text"),
                ("comment", "text"), ("options", "text"), ("retention_time", "text"),
                ("kind", "text"), ("budget", "text"), ("owner_role_type", "text")], rows

    def _scoped_schemas(self, st, session, default_scope):
        """The schemas a SHOW looks at, from IN ... or the session's context."""
        role = session.role
        scope = st["scope"]
        if scope is None:
            scope = default_scope
        kind, parts = scope
        if kind == "ACCOUNT":
            dbs = [d for d in self.databases.values()
                   if self.manage_grants(role) or self.usable(role, ("DATABASE", d.name))]
            return [s for d in dbs for s in d.schemas.values()]
        if kind == "DATABASE":
            name = parts[0].v if parts else session.database
            if name is None:
                raise SfError("090105", "22000",
                              "Cannot perform SHOW. This session does not have a current database. "
                              "Call 'USE DATABASE', or use a qualified name.")
            return list(self.use_db(role, name).schemas.values())
        if parts:
            skey = self.schema_key(session, parts, "SHOW")
        else:
            if session.database is None or session.schema is None:
                raise SfError("090106", "22000",
                              "Cannot perform SHOW. This session does not have a current schema. "
                              "Call 'USE SCHEMA', or use a qualified name.")
            skey = ("SCHEMA", session.database, session.schema)
        return [self.use_schema(role, skey)]

    def _default_scope(self, session, schema_level):
        if schema_level and session.database and session.schema:
            return ("SCHEMA", None)
        if session.database:
            return ("DATABASE", None)
        return ("ACCOUNT", None)

    def show_schemas(self, st, session):
        role = session.role
        if st["scope"] is not None and st["scope"][0] == "SCHEMA":
            raise compilation_error("SHOW SCHEMAS takes IN ACCOUNT or IN DATABASE.", "001003",
                                    "42000")
        schemas = self._scoped_schemas(st, session, self._default_scope(session, False))
        mg = self.manage_grants(role)
        rows = [[s.created_on, s.name, "N",
                 "Y" if (session.database, session.schema) == (s.db, s.name) else "N",
                 s.db, s.owner, s.comment, "", "1", "ROLE" if s.owner else None, None]
                for s in sorted(schemas, key=lambda s: (s.db, s.name))
                if mg or self.any_priv(role, ("SCHEMA", s.db, s.name))
                or s.name == "INFORMATION_SCHEMA"]
        return [("created_on", "timestamp_ltz"), ("name", "text"), ("is_default", "text"),
                ("is_current", "text"), ("database_name", "text"), ("owner", "text"),
                ("comment", "text"), ("options", "text"), ("retention_time", "text"),
                ("owner_role_type", "text"), ("budget", "text")], rows

    def show_iceberg_tables(self, st, session):
        role = session.role
        schemas = self._scoped_schemas(st, session, self._default_scope(session, True))
        mg = self.manage_grants(role)
        rows = []
        for s in sorted(schemas, key=lambda s: (s.db, s.name)):
            if not (mg or self.usable(role, ("SCHEMA", s.db, s.name))):
                continue
            for t in sorted(s.tables.values(), key=lambda t: t.name):
                if not (mg or self.any_priv(role, ("TABLE", s.db, s.name, t.name))):
                    continue
                rows.append([t.created_on, t.name, s.db, s.name, t.owner, t.volume, t.catalog,
                             "UNMANAGED", None, None, t.info.base_location, t.comment, "false",
                             None, "ROLE", t.last_altered, None, "N"])
        return [("created_on", "timestamp_ltz"), ("name", "text"), ("database_name", "text"),
                ("schema_name", "text"), ("owner", "text"), ("external_volume_name", "text"),
                ("catalog_name", "text"), ("iceberg_table_type", "text"),
                ("catalog_table_name", "text"), ("catalog_namespace", "text"),
                ("base_location", "text"), ("comment", "text"), ("invalid", "text"),
                ("invalid_reason", "text"), ("owner_role_type", "text"),
                ("last_altered_on", "timestamp_ltz"), ("auto_refresh_status", "text"),
                ("can_write_metadata", "text")], rows

    def show_warehouses(self, st, session):
        role = session.role
        mg = self.manage_grants(role)
        rows = [[w.name, "STARTED", "STANDARD", "X-Small", w.created_on, w.owner, w.comment]
                for w in sorted(self.warehouses.values(), key=lambda w: w.name)
                if mg or self.any_priv(role, ("WAREHOUSE", w.name))]
        return [("name", "text"), ("state", "text"), ("type", "text"), ("size", "text"),
                ("created_on", "timestamp_ltz"), ("owner", "text"), ("comment", "text")], rows

    def show_users(self, st, session):
        if not self.manage_grants(session.role) and not self.has(session.role, "CREATE USER",
                                                                 ("ACCOUNT",)):
            raise insufficient("ACCOUNT", self.name)
        rows = [[u.name, u.created_on, u.name, u.default_role, u.owner]
                for u in sorted(self.users.values(), key=lambda u: u.name)]
        return [("name", "text"), ("created_on", "timestamp_ltz"), ("login_name", "text"),
                ("default_role", "text"), ("owner", "text")], rows

    GRANT_COLUMNS = [("created_on", "timestamp_ltz"), ("privilege", "text"),
                     ("granted_on", "text"), ("name", "text"), ("granted_to", "text"),
                     ("grantee_name", "text"), ("grant_option", "text"), ("granted_by", "text")]
    ROLE_GRANT_COLUMNS = [("created_on", "timestamp_ltz"), ("role", "text"),
                          ("granted_to", "text"), ("grantee_name", "text"),
                          ("granted_by", "text")]

    def _grant_rows(self, match):
        rows = []
        for (key, priv, r), g in self.grants.items():
            if match(key, r):
                rows.append([g["created_on"], priv, key[0],
                             self.name if key[0] == "ACCOUNT" else self.display(key), "ROLE", r,
                             "true" if g["grant_option"] else "false", g["granted_by"]])
        for obj in self.all_objects():
            key = self.key_of(obj)
            if obj.owner and match(key, obj.owner):
                rows.append([obj.created_on, "OWNERSHIP", key[0], self.display(key), "ROLE",
                             obj.owner, "true", obj.owner])
        return rows

    def key_of(self, obj):
        if obj.kind == "TABLE":
            for db in self.databases.values():
                for s in db.schemas.values():
                    if s.tables.get(obj.name) is obj:
                        return ("TABLE", db.name, s.name, obj.name)
        if obj.kind == "SCHEMA":
            return ("SCHEMA", obj.db, obj.name)
        return (obj.kind, obj.name)

    def x_show_grants(self, st, session, ctx):
        role = session.role
        mode = st["mode"]
        if mode == "TO ROLE":
            r = st["name"][0].v
            if r not in self.roles:
                raise not_found("ROLE", quote_ident(r))
            if not (self.manage_grants(role) or self.owns(role, ("ROLE", r))
                    or r in self.closure(role)):
                raise insufficient("ROLE", quote_ident(r))
            rows = self._grant_rows(lambda key, grantee: grantee == r)
            for (g, typ, grantee), info in self.role_grants.items():
                if typ == "ROLE" and grantee == r:
                    rows.append([info["created_on"], "USAGE", "ROLE", quote_ident(g), "ROLE", r,
                                 "false", info["granted_by"]])
            rows.sort(key=lambda x: (x[2], x[3], x[1]))
            return Result(self.GRANT_COLUMNS, rows)
        if mode == "ON":
            key = self.object_key(session, st["type"], st["name"])
            self.grant_target(role, key)
            if key[0] == "ACCOUNT" and not self.manage_grants(role):
                raise insufficient("ACCOUNT", self.name)
            rows = self._grant_rows(lambda k, grantee: k == key)
            rows.sort(key=lambda x: (x[1], x[5]))
            return Result(self.GRANT_COLUMNS, rows)
        if mode == "OF ROLE":
            r = st["name"][0].v
            if r not in self.roles:
                raise not_found("ROLE", quote_ident(r))
            rows = [[i["created_on"], r, typ, grantee, i["granted_by"]]
                    for (g, typ, grantee), i in self.role_grants.items() if g == r]
            rows.sort(key=lambda x: (x[2], x[3]))
            return Result(self.ROLE_GRANT_COLUMNS, rows)
        u = st["name"][0].v
        if u not in self.users:
            raise not_found("USER", quote_ident(u))
        if u != session.user and not self.manage_grants(role):
            raise insufficient("ACCOUNT", self.name)
        rows = [[i["created_on"], g, "USER", u, i["granted_by"]]
                for (g, typ, grantee), i in self.role_grants.items()
                if typ == "USER" and grantee == u]
        rows.sort(key=lambda x: x[1])
        return Result(self.ROLE_GRANT_COLUMNS, rows)

    # -- describe

    def x_describe(self, st, session, ctx):
        typ, parts, role = st["type"], st["name"], session.role
        if typ == "EXTERNAL_VOLUME":
            key = ("EXTERNAL_VOLUME", parts[0].v)
            v = self.volumes.get(key[1])
            if v is None or not self.any_priv(role, key):
                raise not_found(typ, self.display(key))
            if not self.has(role, "USAGE", key):
                raise insufficient(typ, self.display(key))
            rows = [["", "ALLOW_WRITES", "Boolean", "true" if v.allow_writes else "false", "true"]]
            for i, loc in enumerate(v.locations, 1):
                rows.append(["STORAGE_LOCATIONS", f"STORAGE_LOCATION_{i}", "String",
                             json.dumps(loc, separators=(",", ":")), ""])
            rows.append(["STORAGE_LOCATIONS", "ACTIVE", "String", v.active_location()["NAME"], ""])
            rows.append(["", "COMMENT", "String", v.comment or "", ""])
            return Result([("parent_property", "text"), ("property", "text"),
                           ("property_type", "text"), ("property_value", "text"),
                           ("property_default", "text")], rows)
        if typ == "INTEGRATION":
            key = ("INTEGRATION", parts[0].v)
            c = self.integrations.get(key[1])
            if c is None or not self.any_priv(role, key):
                raise not_found(typ, self.display(key))
            rows = [["ENABLED", "Boolean", "true" if c.enabled else "false", "false"],
                    ["CATALOG_SOURCE", "String", c.catalog_source, ""],
                    ["TABLE_FORMAT", "String", c.table_format, ""],
                    ["REFRESH_INTERVAL_SECONDS", "Integer", str(c.refresh_interval), "30"],
                    ["COMMENT", "String", c.comment or "", ""]]
            return Result([("property", "text"), ("property_type", "text"),
                           ("property_value", "text"), ("property_default", "text")], rows)
        if typ == "TABLE":
            key = self.table_key(session, parts, "DESCRIBE TABLE")
            _s, t = self.find_table(role, key)
            rows = [[n, ty, "COLUMN", "Y" if nullable else "N", None, "N", "N", None, None, None,
                     None, None] for (n, ty, nullable) in t.info.fields]
            return Result([("name", "text"), ("type", "text"), ("kind", "text"),
                           ("null?", "text"), ("default", "text"), ("primary key", "text"),
                           ("unique key", "text"), ("check", "text"), ("expression", "text"),
                           ("comment", "text"), ("policy name", "text"),
                           ("privacy domain", "text")], rows)
        if typ == "DATABASE":
            db = self.use_db(role, parts[0].v)
            rows = [[s.created_on, s.name, "SCHEMA", db.name, None]
                    for s in sorted(db.schemas.values(), key=lambda s: s.name)]
            return Result([("created_on", "timestamp_ltz"), ("name", "text"), ("kind", "text"),
                           ("database_name", "text"), ("schema_name", "text")], rows)
        skey = self.schema_key(session, parts, "DESCRIBE SCHEMA")
        s = self.use_schema(role, skey)
        rows = [[t.created_on, t.name, "TABLE", skey[1], skey[2]]
                for t in sorted(s.tables.values(), key=lambda t: t.name)]
        return Result([("created_on", "timestamp_ltz"), ("name", "text"), ("kind", "text"),
                       ("database_name", "text"), ("schema_name", "text")], rows)

    # -- select

    def select(self, st, session, ctx):
        items, source = st["items"], st["from"]
        # SYSTEM$WAIT sleeps outside the account lock.
        for it in items:
            if it.get("func") == "SYSTEM$WAIT":
                args = [self.literal(a, ctx) for a in it["args"]]
                if not args:
                    raise compilation_error("not enough arguments for function [SYSTEM$WAIT()]",
                                            "001044", "42P13")
                secs = float(args[0])
                unit = (args[1] if len(args) > 1 else "SECONDS").upper()
                secs *= {"SECONDS": 1, "MILLISECONDS": 0.001, "MINUTES": 60, "HOURS": 3600}.get(
                    unit, 1)
                ctx.sleep(secs)
        with self.lock:
            if source is not None and "generator" in source:
                n = source["generator"]
                cols, row_fns = [], []
                for it in items:
                    if it.get("func") in ("SEQ4", "SEQ8"):
                        cols.append((it.get("alias") or it["text"].upper(), "fixed"))
                        row_fns.append(lambda i: i)
                    else:
                        cols.append((it.get("alias") or it["text"].upper(), self.item_type(it)))
                        v = self.scalar(it, session, ctx)
                        row_fns.append(lambda i, v=v: v)
                return Result(cols, [[f(i) for f in row_fns] for i in range(n)])
            if source is not None:
                tkey = self.table_key(session, source["table"], "SELECT")
                if not (len(items) == 1 and items[0].get("func") == "COUNT"
                        and (items[0]["star"] or len(items[0]["args"]) == 1)):
                    raise SfError("002043", "0A000",
                                  "SQL compilation error:\nUnsupported feature 'a SELECT from a "
                                  "table other than SELECT COUNT(*)' (not emulated: the emulator "
                                  "holds no rows).")
                _s, t = self.find_table(session.role, tkey)
                if not self.has(session.role, "SELECT", tkey):
                    raise insufficient("TABLE", self.display(tkey))
                if session.warehouse is None:
                    raise SfError("000606", "57P03",
                                  "No active warehouse selected in the current session.  Select an "
                                  "active warehouse with the 'use warehouse' command.\n")
                if t.info.record_count is None:
                    raise SfError("002043", "0A000",
                                  "SQL compilation error:\nUnsupported feature 'COUNT(*) of a table "
                                  "with equality deletes' (not emulated).")
                return Result([(items[0].get("alias") or items[0]["text"].upper(), "fixed")],
                              [[t.info.record_count]])
            cols, row = [], []
            for it in items:
                cols.append((it.get("alias") or it["text"].upper(), self.item_type(it)))
                row.append(self.scalar(it, session, ctx))
            return Result(cols, [row])

    @staticmethod
    def item_type(it):
        if "lit" in it:
            return it["type"]
        if "param" in it:
            return "text"
        return {"SYSTEM$WAIT": "text"}.get(it["func"], "text")

    def literal(self, it, ctx):
        if "lit" in it:
            return it["lit"]
        if "param" in it:
            return ctx.binding(it["param"])
        raise compilation_error(f"argument must be a constant: {it['text']}", "001015", "22023")

    def scalar(self, it, session, ctx):
        if "lit" in it or "param" in it:
            return self.literal(it, ctx)
        f = it["func"]
        args = [self.literal(a, ctx) for a in it["args"]]
        simple = {"CURRENT_ROLE": session.role, "CURRENT_USER": session.user,
                  "CURRENT_ACCOUNT": self.name, "CURRENT_ACCOUNT_NAME": self.name,
                  "CURRENT_DATABASE": session.database, "CURRENT_SCHEMA": session.schema,
                  "CURRENT_WAREHOUSE": session.warehouse, "CURRENT_VERSION": "9.30.0",
                  "CURRENT_REGION": "AWS_US_EAST_1"}
        if f in simple and not args:
            return simple[f]
        if f == "SYSTEM$WAIT":
            return f"waited {args[0]} seconds"
        if f == "SYSTEM$VERIFY_EXTERNAL_VOLUME" and len(args) == 1:
            key = ("EXTERNAL_VOLUME", ident_from_string(args[0]))
            v = self.volumes.get(key[1])
            if v is None or not self.any_priv(session.role, key):
                raise not_found("EXTERNAL_VOLUME", self.display(key))
            return json.dumps(self.store.verify(v), separators=(",", ":"))
        if f == "SYSTEM$GET_ICEBERG_TABLE_INFORMATION" and len(args) == 1:
            parts = parse_qualified_string(args[0])

            class _N:
                def __init__(self, v):
                    self.v = v
            tkey = self.table_key(session, [_N(p) for p in parts],
                                  "SYSTEM$GET_ICEBERG_TABLE_INFORMATION")
            _s, t = self.find_table(session.role, tkey)
            return json.dumps({"metadataLocation": t.info.metadata_location,
                                "status": "success"}, separators=(",", ":"))
        raise compilation_error(f"Unknown function {f}", "002140", "42601")

    # ---- emulator state -----------------------------------------------------------

    def dump(self):
        with self.lock:
            def grants_of(prefix):
                return sorted([[p, r] for (k, p, r) in self.grants if k == prefix])
            out = {
                "account": self.name, "iamUserArn": self.iam_user_arn,
                "users": {u.name: {"defaultRole": u.default_role,
                                   "roles": sorted(r for (r, t, g) in self.role_grants
                                                   if t == "USER" and g == u.name)}
                          for u in self.users.values()},
                "roles": {r.name: {"owner": r.owner,
                                   "grantedRoles": sorted(g for (g, t, gr) in self.role_grants
                                                          if t == "ROLE" and gr == r.name)}
                          for r in self.roles.values()},
                "volumes": {v.name: {"owner": v.owner, "allowWrites": v.allow_writes,
                                     "locations": v.locations,
                                     "grants": grants_of(("EXTERNAL_VOLUME", v.name))}
                            for v in self.volumes.values()},
                "integrations": {c.name: {"owner": c.owner, "enabled": c.enabled,
                                          "catalogSource": c.catalog_source,
                                          "grants": grants_of(("INTEGRATION", c.name))}
                                 for c in self.integrations.values()},
                "databases": {},
                "accountGrants": grants_of(("ACCOUNT",)),
            }
            for db in self.databases.values():
                d = {"owner": db.owner, "grants": grants_of(("DATABASE", db.name)), "schemas": {}}
                for s in db.schemas.values():
                    sd = {"owner": s.owner, "grants": grants_of(("SCHEMA", db.name, s.name)),
                          "tables": {}}
                    for t in s.tables.values():
                        info = t.info.public()
                        info.update({"owner": t.owner, "volume": t.volume, "catalog": t.catalog,
                                     "metadataFilePath": t.metadata_file_path,
                                     "refreshes": t.refreshes,
                                     "grants": grants_of(("TABLE", db.name, s.name, t.name))})
                        sd["tables"][t.name] = info
                    d["schemas"][s.name] = sd
                out["databases"][db.name] = d
            return out
