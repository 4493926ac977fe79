"""Drive the reference server with Auth0's own Python SDK (auth0-python), as a real client would.

Usage: python3 tests/sdk/auth0_sdk_check.py http://127.0.0.1:PORT

Run by tests/auth0_sdk.rs against a reference server started in the test process (loopback only).
Every step asserts what the SDK returned; the first failure exits non-zero with its reason.
"""

import json
import sys
import time
import urllib.parse

from auth0.authentication import (
    Database,
    GetToken,
    Passwordless,
    RevokeToken,
    Users,
)
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
try:  # auth0-python 5 and later
    from auth0.authentication.exceptions import Auth0Error
except ImportError:  # auth0-python 4
    from auth0.exceptions import Auth0Error

WEB = "conform-web-app"
WEB_SECRET = "conform-web-app-secret"
M2M = "conform-m2m"
M2M_SECRET = "conform-m2m-secret"
API = "https://api.conform.test/"
DB = "Username-Password-Authentication"
ALICE = "alice@conform.test"
ALICE_PW = "Alice-Passw0rd!"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}")


def main():
    base = sys.argv[1].rstrip("/")
    u = urllib.parse.urlparse(base)
    domain, protocol = u.netloc, u.scheme
    issuer = f"{base}/"

    web = GetToken(domain, WEB, client_secret=WEB_SECRET, protocol=protocol)
    m2m = GetToken(domain, M2M, client_secret=M2M_SECRET, protocol=protocol)

    # Password-realm login.
    tokens = web.login(ALICE, ALICE_PW, realm=DB, scope="openid profile email offline_access")
    check(tokens.get("token_type") == "Bearer" and "refresh_token" in tokens,
          "password-realm login returns tokens with a refresh token")

    # The id_token verified by the SDK's TokenVerifier against the server's JWKS.
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{base}/.well-known/jwks.json"),
        issuer=issuer,
        audience=WEB,
    )
    claims = verifier.verify(tokens["id_token"])
    check(claims["sub"] == "auth0|user-plain", "TokenVerifier accepts the id_token (signature, iss, aud, exp, jti)")

    # Client credentials.
    cc = m2m.client_credentials(API)
    check(cc.get("token_type") == "Bearer" and cc.get("access_token"), "client credentials")

    # /userinfo.
    profile = Users(domain, protocol=protocol).userinfo(tokens["access_token"])
    check(profile.get("email") == ALICE, "userinfo returns the profile")

    # A bad token: the SDK raises on the plain-text 401.
    try:
        Users(domain, protocol=protocol).userinfo("forged")
        check(False, "userinfo with a forged token raises")
    except Auth0Error as e:
        check(e.status_code == 401, "userinfo with a forged token raises Auth0Error 401")

    # Refresh.
    refreshed = web.refresh_token(tokens["refresh_token"])
    check(refreshed.get("access_token"), "refresh token grant")

    # Revoke, then the refresh token no longer works.
    RevokeToken(domain, WEB, client_secret=WEB_SECRET, protocol=protocol).revoke_refresh_token(
        tokens["refresh_token"]
    )
    try:
        web.refresh_token(tokens["refresh_token"])
        check(False, "a revoked refresh token is refused")
    except Auth0Error as e:
        check(e.error_code == "invalid_grant", "a revoked refresh token is refused (invalid_grant)")

    # Signup.
    email = f"sdk-{int(time.time() * 1000)}@conform.test"
    db = Database(domain, WEB, protocol=protocol)
    user = db.signup(email, "Sdk-Passw0rd!", DB)
    check(user.get("email") == email and "_id" in user, "signup returns _id and email")
    try:
        db.signup(email, "Sdk-Passw0rd!", DB)
        check(False, "a second signup is refused")
    except Auth0Error as e:
        check(e.status_code == 400, f"a second signup is refused with 400 ({e.error_code})")

    # Change password: the text/html sentence.
    answer = db.change_password(ALICE, DB)
    check("reset your password" in str(answer), "change password returns Auth0's sentence")

    # Passwordless email and SMS start.
    pl = Passwordless(domain, WEB, client_secret=WEB_SECRET, protocol=protocol)
    started = pl.email(ALICE, send="code")
    check(started.get("email") == ALICE and "email_verified" in started, "passwordless email start")
    started = pl.sms("+15550000001")
    check(started.get("phone_number") == "+15550000001" and "phone_verified" in started,
          "passwordless SMS start")

    # A wrong password raises the SDK's error with Auth0's code.
    try:
        web.login(ALICE, "wrong-password", realm=DB)
        check(False, "a wrong password raises")
    except Auth0Error as e:
        check(e.status_code == 403 and e.error_code == "invalid_grant"
              and e.message == "Wrong email or password.",
              "a wrong password raises Auth0Error 403 invalid_grant 'Wrong email or password.'")

    print(json.dumps({"result": "ok"}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report any failure as one line, exit non-zero
        print(f"FAILED: {type(e).__name__}: {e}")
        sys.exit(1)
