"""What Snowflake does with the object store behind an external volume, against the S3 the
emulator is given (moto in the tests):

  * assume the volume's IAM role: the role must exist in that AWS account, its trust policy
    must let the volume's IAM user (`STORAGE_AWS_IAM_USER_ARN`) call `sts:AssumeRole`, and
    an `sts:ExternalId` condition, when present, must name the volume's external id;
  * use only what the role's policies (attached and inline) allow: `s3:GetObject` on every
    object read, `s3:ListBucket` on the bucket for SYSTEM$VERIFY_EXTERNAL_VOLUME;
  * read an Iceberg table from a metadata file under the volume's STORAGE_BASE_URL: the
    metadata JSON, the current snapshot's manifest list and manifests (Avro, fastavro), and
    check that every data and delete file they list exists with its recorded size and lies
    under the volume's base URL.

Policy evaluation is simplified: Allow/Deny statements with Action/Resource wildcards;
conditions are ignored except `sts:ExternalId` in the trust policy.
"""
import fnmatch
import gzip
import io
import json
import re
import urllib.parse

from sql import SfError

# Error codes: Snowflake's own for these failures are not documented; the emulator uses
# these (all HTTP 422, sqlState 22000 like Snowflake's other external-storage errors).
ERR_ASSUME_ROLE = "091131"
ERR_ACCESS_DENIED = "091132"
ERR_NOT_FOUND = "091111"
ERR_OUTSIDE = "091112"
ERR_BAD_METADATA = "091113"
ERR_DATA_FILE = "091114"
ERR_UUID = "091115"
ERR_FORMAT_VERSION = "091116"

STATE = "22000"

S3_URL = re.compile(r"^(s3a?|s3gov)://([^/]+)/?(.*)$")


def split_url(url):
    m = S3_URL.match(url)
    if not m:
        return None, None
    return m.group(2), m.group(3)


def normalize_key(key):
    """Resolves `.` and `..` segments; None if `..` would leave the bucket."""
    out = []
    for seg in key.split("/"):
        if seg == "..":
            if not out:
                return None
            out.pop()
        elif seg != ".":
            out.append(seg)
    return "/".join(out)


def within(url, base):
    """True when `url` lies under the base URL `s3://bucket/prefix/` (scheme-insensitive
    between s3 and s3a)."""
    b1, k1 = split_url(url)
    b2, k2 = split_url(base)
    if b1 is None or b2 is None or b1 != b2:
        return False
    k1 = normalize_key(k1)
    if k1 is None:
        return False
    prefix = k2 if (k2 == "" or k2.endswith("/")) else k2 + "/"
    return k1.startswith(prefix)


def as_doc(doc):
    if isinstance(doc, str):
        try:
            return json.loads(doc)
        except ValueError:
            return json.loads(urllib.parse.unquote(doc))
    return doc


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def wild(pattern, value, case=False):
    if case:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


class TableInfo:
    """What the emulator remembers of a registered table."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def public(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("fields",)}


class Store:
    def __init__(self, endpoint, access_key, secret_key, region="us-east-1", iam_check=True):
        import boto3
        from botocore.config import Config

        cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                     connect_timeout=5, read_timeout=30)
        kw = dict(endpoint_url=endpoint, aws_access_key_id=access_key,
                  aws_secret_access_key=secret_key, region_name=region, config=cfg)
        self.s3 = boto3.client("s3", **kw)
        self.iam = boto3.client("iam", **kw)
        self.sts = boto3.client("sts", **kw)
        self.region = region
        self.iam_check = iam_check
        self._account = None

    # ---- IAM ----------------------------------------------------------------------

    def aws_account(self):
        if self._account is None:
            self._account = self.sts.get_caller_identity()["Account"]
        return self._account

    def assume(self, loc):
        """The policies of the role Snowflake would assume for storage location `loc`, or
        an SfError like Snowflake's "Error assuming AWS_ROLE"."""
        if not self.iam_check:
            return None
        role_arn = loc["STORAGE_AWS_ROLE_ARN"]
        user_arn = loc["STORAGE_AWS_IAM_USER_ARN"]
        ext = loc["STORAGE_AWS_EXTERNAL_ID"]
        deny = SfError(ERR_ASSUME_ROLE, STATE,
                       f"Error assuming AWS_ROLE:\nUser: {user_arn} is not authorized to perform: "
                       f"sts:AssumeRole on resource: {role_arn}")
        m = re.match(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[^/]+/)*([^/]+)$", role_arn)
        if not m or m.group(1) != self.aws_account():
            raise deny
        try:
            role = self.iam.get_role(RoleName=m.group(2))["Role"]
        except self.iam.exceptions.NoSuchEntityException:
            raise deny
        if role.get("Arn") != role_arn:
            raise deny
        trust = as_doc(role.get("AssumeRolePolicyDocument"))
        if not trust_allows(trust, user_arn, ext):
            raise deny
        name = m.group(2)
        docs = []
        for p in self.paginate(self.iam.list_attached_role_policies, "AttachedPolicies",
                               RoleName=name):
            pol = self.iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]
            ver = self.iam.get_policy_version(PolicyArn=p["PolicyArn"],
                                              VersionId=pol["DefaultVersionId"])
            docs.append(as_doc(ver["PolicyVersion"]["Document"]))
        for pname in self.paginate(self.iam.list_role_policies, "PolicyNames", RoleName=name):
            docs.append(as_doc(self.iam.get_role_policy(RoleName=name,
                                                        PolicyName=pname)["PolicyDocument"]))
        return docs

    @staticmethod
    def paginate(call, key, **kw):
        out, marker = [], None
        while True:
            r = call(**kw, **({"Marker": marker} if marker else {}))
            out.extend(r.get(key, []))
            if not r.get("IsTruncated"):
                return out
            marker = r.get("Marker")

    def authorize(self, policies, action, resource):
        if policies is None:
            return
        if not policy_allows(policies, action, resource):
            raise SfError(ERR_ACCESS_DENIED, STATE,
                          f"Failed to access remote file: access denied. The IAM role of the "
                          f"external volume is not allowed to perform {action} on {resource}.")

    # ---- S3 -----------------------------------------------------------------------

    def get(self, policies, url):
        bucket, key = split_url(url)
        self.authorize(policies, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")
        try:
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        except self.s3.exceptions.NoSuchBucket:
            return None

    def size(self, policies, url):
        bucket, key = split_url(url)
        self.authorize(policies, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")
        try:
            return self.s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
        except Exception as e:  # botocore ClientError 404
            code = getattr(e, "response", {}).get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
                return None
            raise

    # ---- volumes ------------------------------------------------------------------

    def verify(self, volume):
        """SYSTEM$VERIFY_EXTERNAL_VOLUME: assume the role, list the base location."""
        loc = volume.active_location()
        out = {
            "success": True, "storageLocationSelectionResult": "PASSED",
            "storageLocationName": loc["NAME"],
            "servicePrincipalProperties":
                f"STORAGE_AWS_IAM_USER_ARN: {loc['STORAGE_AWS_IAM_USER_ARN']}\n"
                f"STORAGE_AWS_EXTERNAL_ID: {loc['STORAGE_AWS_EXTERNAL_ID']}",
            "location": loc["STORAGE_BASE_URL"], "storageAccount": None, "region": self.region,
            "writeResult": "SKIPPED", "readResult": "SKIPPED", "listResult": "SKIPPED",
            "deleteResult": "SKIPPED", "awsRoleArnValidationResult": "SKIPPED",
            "azureGetUserDelegationKeyResult": "SKIPPED",
        }
        try:
            policies = self.assume(loc)
            out["awsRoleArnValidationResult"] = "PASSED" if self.iam_check else "SKIPPED"
            bucket, key = split_url(loc["STORAGE_BASE_URL"])
            self.authorize(policies, "s3:ListBucket", f"arn:aws:s3:::{bucket}")
            try:
                self.s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
            except Exception as e:
                raise SfError(ERR_NOT_FOUND, STATE,
                              f"Failed to list the storage location {loc['STORAGE_BASE_URL']}: {e}")
            out["listResult"] = "PASSED"
        except SfError as e:
            out["success"] = False
            out["errorMessage"] = e.message
            if e.code == ERR_ASSUME_ROLE:
                out["awsRoleArnValidationResult"] = "FAILED"
            else:
                out["listResult"] = "FAILED"
        return out

    def resolve(self, volume, path):
        """The full URL of METADATA_FILE_PATH / REFRESH '<path>' on `volume`, which is
        relative to the volume's active storage location; an absolute s3:// URL must lie
        under it too."""
        base = volume.active_location()["STORAGE_BASE_URL"]
        if S3_URL.match(path):
            url = path
        else:
            if path.startswith("/"):
                path = path.lstrip("/")
            b, k = split_url(base)
            prefix = k if (k == "" or k.endswith("/")) else k + "/"
            norm = normalize_key(prefix + path)
            url = None if norm is None else f"s3://{b}/{norm}"
        if url is None or not within(url, base):
            raise SfError(ERR_OUTSIDE, STATE,
                          f"SQL execution error: The metadata file path '{path}' is not within the "
                          f"storage location '{base}' of external volume '{volume.name}'.")
        b, k = split_url(url)
        return f"s3://{b}/{normalize_key(k)}"

    def load(self, volume, path):
        """Reads and checks the table whose metadata file is `path` on `volume`."""
        import fastavro

        loc = volume.active_location()
        base = loc["STORAGE_BASE_URL"]
        url = self.resolve(volume, path)
        policies = self.assume(loc)
        raw = self.get(policies, url)
        if raw is None:
            raise SfError(ERR_NOT_FOUND, STATE,
                          f"SQL execution error: Failed to access the Iceberg metadata file "
                          f"'{url}': the file does not exist.")
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        try:
            meta = json.loads(raw)
            fv = int(meta.get("format-version", 1))
            uuid = meta.get("table-uuid")
            location = meta["location"]
        except (ValueError, KeyError, TypeError) as e:
            raise SfError(ERR_BAD_METADATA, STATE,
                          f"SQL execution error: The Iceberg metadata file '{url}' is not valid: {e}")
        if fv not in (1, 2, 3):
            raise SfError(ERR_BAD_METADATA, STATE,
                          f"SQL execution error: Unsupported Iceberg format version {fv} in '{url}'.")
        fields = current_fields(meta)
        snap_id = meta.get("current-snapshot-id")
        if snap_id in (None, -1):
            snap = None
        else:
            snap = next((s for s in meta.get("snapshots", []) if s.get("snapshot-id") == snap_id),
                        None)
            if snap is None:
                raise SfError(ERR_BAD_METADATA, STATE,
                              f"SQL execution error: The Iceberg metadata file '{url}' names current "
                              f"snapshot {snap_id}, which it does not contain.")

        def need_within(what, u):
            if not within(u, base):
                raise SfError(ERR_OUTSIDE, STATE,
                              f"SQL execution error: The {what} '{u}' of the Iceberg table is not "
                              f"within the storage location '{base}' of external volume "
                              f"'{volume.name}'.")

        def read_avro(what, u):
            need_within(what, u)
            data = self.get(policies, u)
            if data is None:
                raise SfError(ERR_DATA_FILE, STATE,
                              f"SQL execution error: Failed to read the Iceberg table: the {what} "
                              f"'{u}' of snapshot {snap_id} does not exist.")
            try:
                return list(fastavro.reader(io.BytesIO(data)))
            except Exception as e:
                raise SfError(ERR_BAD_METADATA, STATE,
                              f"SQL execution error: The {what} '{u}' is not a valid Avro file: {e}")

        records = deletes = data_files = delete_files = 0
        eq_deletes = False
        if snap is not None:
            if snap.get("manifest-list"):
                manifests = read_avro("manifest list", snap["manifest-list"])
                paths = [(m["manifest_path"], m.get("content", 0)) for m in manifests]
            else:
                paths = [(p, 0) for p in snap.get("manifests", [])]
            for mpath, _content in paths:
                for entry in read_avro("manifest", mpath):
                    if entry.get("status") == 2:  # DELETED
                        continue
                    df = entry["data_file"]
                    fpath = df["file_path"]
                    need_within("data file", fpath)
                    size = self.size(policies, fpath)
                    if size is None:
                        raise SfError(ERR_DATA_FILE, STATE,
                                      f"SQL execution error: Failed to read the Iceberg table: the "
                                      f"data file '{fpath}' of snapshot {snap_id} does not exist.")
                    if size != df.get("file_size_in_bytes", size):
                        raise SfError(ERR_DATA_FILE, STATE,
                                      f"SQL execution error: Failed to read the Iceberg table: the "
                                      f"data file '{fpath}' has {size} bytes, the manifest records "
                                      f"{df['file_size_in_bytes']}.")
                    content = df.get("content", 0)
                    if content == 0:
                        data_files += 1
                        records += df["record_count"]
                    else:
                        delete_files += 1
                        deletes += df["record_count"]
                        eq_deletes = eq_deletes or content == 2
        rel = location
        b, k = split_url(base)
        if within(location, base):
            _, lk = split_url(location)
            prefix = k if (k == "" or k.endswith("/")) else k + "/"
            rel = normalize_key(lk)[len(prefix):]
            rel = rel if rel.endswith("/") or not rel else rel + "/"
        return TableInfo(
            metadata_location=url, format_version=fv, table_uuid=uuid,
            snapshot_id=None if snap is None else snap_id,
            sequence_number=meta.get("last-sequence-number", 0),
            last_updated_ms=meta.get("last-updated-ms"), location=location, base_location=rel,
            data_files=data_files, delete_files=delete_files,
            record_count=None if eq_deletes else records - deletes,
            fields=fields,
        )


def trust_allows(doc, user_arn, ext):
    m = re.match(r"^arn:aws:iam::(\d{12}):", user_arn)
    acct = m.group(1) if m else None
    allowed = False
    for st in as_list(doc.get("Statement")):
        actions = as_list(st.get("Action"))
        if not any(wild(a, "sts:AssumeRole") for a in actions):
            continue
        principal = st.get("Principal")
        if principal == "*":
            match = True
        else:
            aws = as_list((principal or {}).get("AWS"))
            match = any(p in ("*", user_arn, acct, f"arn:aws:iam::{acct}:root") for p in aws)
        if not match:
            continue
        cond = st.get("Condition") or {}
        ok = True
        for op, kv in cond.items():
            for key, vals in (kv or {}).items():
                if key.lower() == "sts:externalid":
                    vals = as_list(vals)
                    if op == "StringEquals":
                        ok = ok and ext in vals
                    elif op == "StringLike":
                        ok = ok and any(wild(v, ext, case=True) for v in vals)
                    else:
                        ok = False
        if st.get("Effect") == "Deny" and ok:
            return False
        if st.get("Effect") == "Allow" and ok:
            allowed = True
    return allowed


def policy_allows(docs, action, resource):
    allowed = False
    for doc in docs:
        for st in as_list(doc.get("Statement")):
            if not any(wild(a, action) for a in as_list(st.get("Action"))):
                continue
            if not any(wild(r, resource, case=True) for r in as_list(st.get("Resource"))):
                continue
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow":
                allowed = True
    return allowed


def current_fields(meta):
    sid = meta.get("current-schema-id")
    schema = None
    for s in meta.get("schemas", []) or []:
        if s.get("schema-id") == sid:
            schema = s
    if schema is None:
        schema = meta.get("schema") or {"fields": []}
    return [(f["name"], snowflake_type(f["type"]), not f.get("required", False))
            for f in schema.get("fields", [])]


def snowflake_type(t):
    """The Snowflake type DESCRIBE shows for an Iceberg type."""
    if isinstance(t, dict):
        return {"struct": "OBJECT", "list": "ARRAY", "map": "MAP"}.get(t.get("type"), "VARIANT")
    simple = {"boolean": "BOOLEAN", "int": "NUMBER(10,0)", "long": "NUMBER(19,0)",
              "float": "FLOAT", "double": "FLOAT", "date": "DATE", "time": "TIME(6)",
              "timestamp": "TIMESTAMP_NTZ(6)", "timestamptz": "TIMESTAMP_LTZ(6)",
              "timestamp_ns": "TIMESTAMP_NTZ(9)", "timestamptz_ns": "TIMESTAMP_LTZ(9)",
              "string": "VARCHAR(134217728)", "uuid": "BINARY(16)",
              "binary": "BINARY(8388608)", "variant": "VARIANT"}
    if t in simple:
        return simple[t]
    m = re.match(r"decimal\((\d+),\s*(\d+)\)", t)
    if m:
        return f"NUMBER({m.group(1)},{m.group(2)})"
    m = re.match(r"fixed\[(\d+)\]", t)
    if m:
        return f"BINARY({m.group(1)})"
    return t.upper()
