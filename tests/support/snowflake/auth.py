"""Authentication of SQL API requests, as Snowflake's SQL API documents it.

  Authorization: Bearer <token>
  X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT | PROGRAMMATIC_ACCESS_TOKEN | OAUTH
  (absent: OAUTH, per the SQL API reference)

KEYPAIR_JWT: an RS256 JWT whose `iss` is `<ACCOUNT>.<USER>.SHA256:<fingerprint>` (the base64
SHA-256 of the DER public key, one of the user's registered keys), `sub` is
`<ACCOUNT>.<USER>` (upper case, the account identifier without region), `iat` not in the
future, `exp` in the future and at most one hour after `iat`, and whose signature verifies
with that key. PROGRAMMATIC_ACCESS_TOKEN and OAUTH: the token given at start.
"""
import base64
import hashlib
import hmac
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

SKEW = 60  # seconds of clock skew tolerated on iat


class AuthError(Exception):
    """401: `code` and `message` go in the body, `reason` in a header for debugging."""

    def __init__(self, code, message, reason):
        super().__init__(reason)
        self.code = code
        self.message = message
        self.reason = reason


def b64url(data):
    data += "=" * (-len(data) % 4)
    return base64.urlsafe_b64decode(data.encode("ascii"))


class Key:
    def __init__(self, pem):
        self.key = serialization.load_pem_public_key(pem)
        der = self.key.public_bytes(serialization.Encoding.DER,
                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        self.fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class Authenticator:
    def __init__(self, account, user, public_keys, pat=None, oauth=None):
        self.account = account.upper()
        self.user = user
        self.keys = [Key(p) for p in public_keys]
        self.pat = pat
        self.oauth = oauth

    def check(self, headers, now=None):
        """The user the request authenticates as, or AuthError."""
        now = time.time() if now is None else now
        auth = headers.get("Authorization")
        if not auth:
            raise AuthError("390101", "Authorization header is missing.", "no Authorization header")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise AuthError("390101", "Authorization header is invalid.",
                            "Authorization is not 'Bearer <token>'")
        token = auth[7:].strip()
        typ = (headers.get("X-Snowflake-Authorization-Token-Type") or "OAUTH").strip().upper()
        if typ == "KEYPAIR_JWT":
            return self.jwt(token, now)
        if typ == "PROGRAMMATIC_ACCESS_TOKEN":
            if self.pat is None or not hmac.compare_digest(token.encode(), self.pat.encode()):
                raise AuthError("394400", "Programmatic access token is invalid.",
                                "not the programmatic access token given at start")
            return self.user
        if typ == "OAUTH":
            if self.oauth is None or not hmac.compare_digest(token.encode(), self.oauth.encode()):
                raise AuthError("390303", "Invalid OAuth access token.",
                                "not the OAuth token given at start (a missing token type header "
                                "means OAUTH)")
            return self.user
        raise AuthError("390101", f"Unsupported authorization token type '{typ}'.",
                        f"unknown X-Snowflake-Authorization-Token-Type {typ!r}")

    def jwt(self, token, now):
        def bad(reason):
            return AuthError("390144", "JWT token is invalid.", reason)

        parts = token.split(".")
        if len(parts) != 3:
            raise bad("not three dot-separated parts")
        try:
            header = json.loads(b64url(parts[0]))
            claims = json.loads(b64url(parts[1]))
            sig = b64url(parts[2])
        except (ValueError, UnicodeError):
            raise bad("a part is not base64url JSON")
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise bad(f"alg {header.get('alg') if isinstance(header, dict) else None!r} is not RS256")
        if not isinstance(claims, dict):
            raise bad("claims are not an object")
        sub = claims.get("sub")
        iss = claims.get("iss")
        want_sub = f"{self.account}.{self.user}"
        if sub != want_sub:
            raise bad(f"sub {sub!r} is not {want_sub!r}")
        if not isinstance(iss, str) or not iss.startswith(want_sub + ".SHA256:"):
            raise bad(f"iss {iss!r} is not '{want_sub}.SHA256:<fingerprint>'")
        fp = iss[len(want_sub) + 1:]
        key = next((k for k in self.keys if k.fingerprint == fp), None)
        if key is None:
            raise bad(f"fingerprint {fp} is not one of the user's public keys")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            raise bad("iat and exp must be numbers")
        if iat > now + SKEW:
            raise bad("iat is in the future")
        if exp <= now:
            raise bad("the token has expired")
        if exp - iat > 3600:
            raise bad("exp is more than one hour after iat")
        try:
            key.key.verify(sig, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(),
                           hashes.SHA256())
        except InvalidSignature:
            raise bad("the signature does not verify")
        return self.user
