"""Generate the 280-row table of PROVOKE.md from a reference run.

    cargo run -q -- run -q --seed 1          # writes reports/conform.json
    python3 crates/conform-reference/tools/provoke_table.py reports/conform.json suites/reference.toml

For every (operation, status) case of the run: the first request the suite sent (secrets masked by
conform), what the server answered (status, media type, `error`/`code`), and whether Auth0
answers it (with the basis) or which reference convention provokes it (from the suite's
`convention` keys, per case or per recipe class).
"""

import json
import sys
import tomllib

# Auth0 answers, with the basis of our knowledge. Anything not listed here and not a convention
# is the reference's reading of the document: plausible for Auth0, not recorded from a tenant.
FACT = "Auth0 (issue 11)"
DOC = "Auth0 (documented)"
BASIS = {
    "authorize/302": DOC + ": Auth0 docs, Authorize Application",
    "authorize/400": FACT + ": HTML error page before client and redirect_uri are valid",
    "logout/302": DOC + ": Auth0 docs, Logout",
    "oidc_logout/302": DOC + ": with id_token_hint (without one Auth0 shows a confirmation page, issue 11)",
    "passwordless_start/200": FACT + ": {_id, email, email_verified} / {_id, phone_number, phone_verified}",
    "passwordless_start/400": FACT + ": 400 (unknown or disabled connection: bad.connection)",
    "oauth_token/200": DOC + ": RFC 6749 section 5.1",
    "oauth_token/400": DOC + ": RFC 6749 section 5.2 invalid_request",
    "oauth_token/401": FACT + ": 401 {error: access_denied, error_description: Unauthorized}",
    "oauth_token/403": FACT + ": 403 invalid_grant Wrong email or password.",
    "dbconnections_signup/200": FACT + ": only the identifiers sent",
    "dbconnections_signup/400": FACT + ": {name, code, description, statusCode}",
    "dbconnections_change_password/200": FACT + ": text/html sentence",
    "userinfo/200": DOC + ": OIDC Core section 5.3",
    "userinfo/401": FACT + ": text/plain Unauthorized + WWW-Authenticate realm=Users",
    "mfa_challenge/200": FACT + ": {challenge_type, oob_code?, binding_method?}",
    "mfa_associate/200": FACT + ": OTP {authenticator_type, secret, barcode_uri}",
    "mfa_authenticators/200": FACT + ": oob_channel singular, phone names masked",
    "mfa_authenticators_delete/204": FACT + ": 204, empty body",
    "samlp_login/200": DOC + ": Auth0 docs, SAML",
    "samlp_metadata/200": DOC + ": Auth0 docs, SAML",
    "saml_logout/200": DOC + ": SAML 2.0 single logout",
    "login_callback/200": DOC + ": Auth0 docs, SAML identity provider callback",
    "wsfed_login/200": DOC + ": Auth0 docs, WS-Federation",
    "wsfed_metadata/200": DOC + ": Auth0 docs, WS-Federation",
    "oidc_register/201": FACT + ": 201 (RFC 7591 section 3.2.1)",
    "oauth_device_code/200": DOC + ": RFC 8628 section 3.2",
    "oauth_device_code/400": DOC + ": RFC 8628 section 3.2 / RFC 6749 section 5.2",
    "oauth_device_code/401": DOC + ": RFC 6749 section 5.2 invalid_client",
    "oauth_revoke/200": FACT + ": 200, empty body; JSON or form; also for another client's token",
    "oauth_revoke/400": DOC + ": RFC 7009 section 2.2.1",
    "oauth_revoke/401": DOC + ": RFC 7009 section 2.2.1 invalid_client",
    "oauth_ro/403": FACT + ": an OIDC-conformant application is refused (unauthorized_client)",
    "oauth_access_token/403": FACT + ": an OIDC-conformant application is refused (unauthorized_client)",
    "delegation/403": FACT + ": an OIDC-conformant application is refused (unauthorized_client)",
    "passwordless_verify/403": FACT + ": an OIDC-conformant application is refused (unauthorized_client)",
    "tokeninfo/403": FACT + ": an OIDC-conformant application's id_token is refused (unauthorized_client)",
    "unlink/200": FACT + ": POST /login/unlink",
    "impersonate/200": FACT + ": text/plain URL",
    "mfa_associate/401": DOC + ": RFC 6750 section 3.1 invalid_token",
    "mfa_authenticators/401": DOC + ": RFC 6750 section 3.1 invalid_token",
    "mfa_authenticators_delete/401": DOC + ": RFC 6750 section 3.1 invalid_token",
    "impersonate/401": DOC + ": RFC 6750 section 3.1 invalid_token",
}
UNVERIFIED = "unverified: the reference's reading of the document; not recorded from a tenant"


def cell(text, limit=170):
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def main():
    report = json.load(open(sys.argv[1]))
    suite = tomllib.load(open(sys.argv[2], "rb"))
    by_recipe = {k: v.get("convention") for k, v in suite.get("recipes", {}).items()}
    by_case = {k: v.get("convention") for k, v in suite.get("cases", {}).items()}
    rows = []
    counts = {"auth0": 0, "convention": 0}
    current = None
    for c in report["cases"]:
        op = c["operation"]
        if op != current:
            current = op
            method, path = c["name"].split(" → ")[0].split(" ", 1)
            rows.append(f"\n### `{op}` — {method} {path}\n")
            rows.append("| status | one request that provoked it | answer | Auth0? |")
            rows.append("|---|---|---|---|")
        cid = c["id"]
        conv = by_case.get(cid) or by_recipe.get(c["recipe"])
        resp = c.get("exchange", {}).get("response", {})
        ctype = next(
            (v for k, v in resp.get("headers", []) if k.lower() == "content-type"), ""
        ).split(";")[0]
        answer = f"{resp.get('status', c['status'])}"
        if ctype:
            answer += f" {ctype}"
        body = resp.get("body") or ""
        try:
            v = json.loads(body)
            if isinstance(v, dict) and (v.get("error") or v.get("code")):
                answer += f" `{v.get('error') or v.get('code')}`"
        except (ValueError, TypeError):
            pass
        sent = c["sent"][0] if c.get("sent") else ""
        if conv:
            counts["convention"] += 1
            who = f"no: convention `{conv}`"
        else:
            counts["auth0"] += 1
            who = BASIS.get(cid, UNVERIFIED)
        rows.append(f"| {c['status']} | `{cell(sent)}` | {cell(answer, 80)} | {cell(who, 200)} |")
    print(
        f"Of {counts['auth0'] + counts['convention']} cases: Auth0 behaviour {counts['auth0']}, "
        f"reference conventions {counts['convention']}."
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
