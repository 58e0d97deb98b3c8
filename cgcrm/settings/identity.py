"""Who acts: access tokens, their signing key and revocation, client sign-in (cgcrm.identity)."""

from __future__ import annotations

from cgcrm.settings.core import Setting

IDENTITY: tuple[Setting, ...] = (
    Setting(
        "JWT_PRIVATE_KEY_FILE",
        str,
        "",
        "PEM RSA private key that signs access tokens. Empty: instance/jwt-signing-key.pem, "
        "generated on first use outside production.",
    ),
    Setting("JWT_ISSUER", str, "http://127.0.0.1:5000", "The iss claim of access tokens."),
    Setting("JWT_AUDIENCE", str, "cgcrm-api", "The aud claim access tokens must carry."),
    Setting("ACCESS_TOKEN_TTL", int, 3600, "Access-token lifetime in seconds."),
    Setting(
        "REVOCATION_REFRESH_SECONDS",
        float,
        1.0,
        "Seconds each process trusts its copy of the revoked-token list; a token revoked in "
        "another process is refused everywhere within this time (at once where it was revoked).",
    ),
    Setting(
        "AUTH_LOCKOUT_FAILURES",
        int,
        5,
        "Consecutive failed client authentications after which a client id is locked.",
    ),
    Setting(
        "AUTH_LOCKOUT_SECONDS",
        int,
        300,
        "Seconds a locked client id is refused without checking its secret; also how long "
        "failures are remembered without a success.",
    ),
    # OpenID Connect provider and federation.
    Setting(
        "ID_TOKEN_TTL",
        int,
        600,
        "Lifetime in seconds of the OpenID Connect ID tokens we issue (a client reads one at "
        "sign-in; API calls use the access token).",
    ),
    Setting(
        "FEDERATION_PROVIDERS",
        str,
        "[]",
        "JSON list of external OpenID providers staff may sign in through "
        "(cgcrm.identity.federation.providers documents each entry: name, title, issuer, "
        "client_id, client_secret, acr_values, minimum_acr, claim mapping, role rules, "
        "unknown_users). A config file may give the list itself.",
    ),
    Setting(
        "FEDERATION_HTTP_TIMEOUT",
        float,
        5.0,
        "Seconds to wait for an external OpenID provider (discovery, keys, token endpoint).",
    ),
    Setting(
        "FEDERATION_SIGN_IN_TTL",
        int,
        600,
        "Seconds a sign-in through an external provider may take before its answer is refused.",
    ),
)
