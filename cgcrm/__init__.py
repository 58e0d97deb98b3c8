"""cgcrm: one citizen record, shared services and measurement for multi-channel government."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask

from cgcrm.extensions import db, migrate
from cgcrm.settings import PROJECT_ROOT, load_settings

API_TITLE = "cgcrm"
API_VERSION = "v1"
SWAGGER_UI_ASSETS = "/api/docs/assets"


def _database_uri(app: Flask) -> str:
    url: str = app.config["DATABASE_URL"]
    if not url:
        return f"sqlite:///{app.instance_path}/cgcrm.sqlite3"
    # psycopg 3 is our driver; accept the plain URLs operators write.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_api(app: Flask) -> None:
    from cgcrm.core import scopes

    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from the pinned flask-swagger-ui package: the docs page loads nothing from a CDN.
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_ASSETS + "/",
        # Swagger UI would otherwise send the document's URL to validator.swagger.io for a
        # badge: a call out of the network, and a leak of where the API lives.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {"description": "One citizen record for every channel and department."},
            "servers": [{"url": "/", "description": "this server"}],
            "security": [{"oauth2": []}],
            "components": {
                "securitySchemes": {
                    "oauth2": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": "/oauth/token",
                                "scopes": {
                                    scope: scopes.DESCRIPTIONS.get(scope, scope)
                                    for scope in sorted(scopes.ALL_SCOPES)
                                },
                            },
                            # Staff sign-in (PKCE S256 required; a client registers its exact
                            # redirect URIs).
                            "authorizationCode": {
                                "authorizationUrl": "/oauth/authorize",
                                "tokenUrl": "/oauth/token",
                                "refreshUrl": "/oauth/token",
                                "scopes": {
                                    scope: scopes.DESCRIPTIONS.get(scope, scope)
                                    for scope in sorted(scopes.ALL_SCOPES)
                                },
                            },
                        },
                    }
                }
            },
        },
    )


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build an application: settings, extensions, blueprints, guards, error handlers, CLI."""
    from cgcrm import cli, health
    from cgcrm.admin.routes import blp as admin_blp
    from cgcrm.assurance.answer_sources import install_answer_source
    from cgcrm.assurance.routes import blp as assurance_blp
    from cgcrm.assurance.service import check_record_change, summary_for_record
    from cgcrm.cases.routes import blp as cases_blp
    from cgcrm.cases.service import get_case
    from cgcrm.catalog.routes import blp as catalog_blp
    from cgcrm.citizens.assurance_links import install_assurance
    from cgcrm.citizens.consents import register_contact_finder
    from cgcrm.citizens.match_links import install_match_lookup
    from cgcrm.citizens.routes import blp as citizens_blp
    from cgcrm.console import init_console
    from cgcrm.core import http, read_only_end
    from cgcrm.core.audit_keys import build_audit_keyring
    from cgcrm.core.crypto import build_cipher
    from cgcrm.core.docs_assets import swagger_ui_assets
    from cgcrm.core.openapi import CgcrmApi
    from cgcrm.core.pool import IdlePing
    from cgcrm.core.problems import register_problem_handlers
    from cgcrm.core.ratelimit import init_rate_limits
    from cgcrm.identity import openapi_paths as oauth_paths
    from cgcrm.identity.account_routes import blp as account_blp
    from cgcrm.identity.callers import claimed_client_id, token_client_id
    from cgcrm.identity.federation.pages import bp as federation_bp
    from cgcrm.identity.guard import authenticate_request, declared_scopes
    from cgcrm.identity.keys import load_signing_keys
    from cgcrm.identity.oauth import build_authorization_server
    from cgcrm.identity.pages import bp as signin_bp
    from cgcrm.identity.revocations import init_revocations
    from cgcrm.identity.routes import blp as oauth_blp
    from cgcrm.identity.user_routes import blp as identity_blp
    from cgcrm.integrations.imports.routes import blp as imports_blp
    from cgcrm.interactions.case_links import install_case_lookup
    from cgcrm.interactions.routes import blp as interactions_blp
    from cgcrm.interactions.service import contact_evidence
    from cgcrm.matching import models as _matching_models  # noqa: F401
    from cgcrm.matching.review_routes import blp as duplicates_blp
    from cgcrm.matching.routes import blp as matching_blp
    from cgcrm.matching.scan_routes import blp as scans_blp
    from cgcrm.matching.service import CreateMatchLookup
    from cgcrm.metrics import models as _metrics_models  # noqa: F401  (tables for metadata)
    from cgcrm.metrics.routes import blp as metrics_blp
    from cgcrm.notifications import models as _notification_models  # noqa: F401
    from cgcrm.overview.routes import blp as overview_blp
    from cgcrm.payments import ledger as _payment_ledger  # noqa: F401  (tables for metadata)
    from cgcrm.payments import notification_routes
    from cgcrm.payments.answers import last_payment_amount
    from cgcrm.payments.finance_routes import blp as payment_finance_blp
    from cgcrm.payments.notification_log_routes import blp as payment_notification_log_blp
    from cgcrm.payments.providers.sandbox import models as _sandbox_models  # noqa: F401
    from cgcrm.payments.providers.sandbox.pages import bp as sandbox_pages_bp
    from cgcrm.payments.providers.sandbox.routes import blp as sandbox_moto_blp
    from cgcrm.payments.routes import blp as payments_blp
    from cgcrm.surveys.pages import bp as survey_pages_bp
    from cgcrm.surveys.routes import blp as surveys_blp
    from cgcrm.worker import models as _worker_models  # noqa: F401

    settings = load_settings(overrides=overrides)
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_uri(app)
    app.config["SQLALCHEMY_ECHO"] = app.config["SQL_ECHO"]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.session_interface = http.NoCookieSessions()
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    _configure_api(app)

    db.init_app(app)
    idle_ping = app.extensions["cgcrm.idle_ping"] = IdlePing(app.config["POOL_PING_AFTER_IDLE"])
    with app.app_context():
        idle_ping.install(db.engine)
        read_only_end.install(db.engine)
    db.end_request = read_only_end.end_if_read_only
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    api = CgcrmApi(app, operation_scopes=declared_scopes)
    app.extensions["cgcrm.redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2
    )
    app.extensions["cgcrm.signing_keys"] = load_signing_keys(app)
    init_revocations(app)
    app.extensions["cgcrm.cipher"] = build_cipher(app)
    app.extensions["cgcrm.audit_keys"] = build_audit_keyring(app)
    build_authorization_server(app)
    # Interactions check the case a contact names through cases, without importing them.
    install_case_lookup(app, get_case)
    # Consents name contacts, which live a layer above the citizen record (DESIGN.md §2).
    register_contact_finder(app, contact_evidence)
    # Creating a citizen asks the matcher first; matching builds on citizens (DESIGN.md §2).
    install_match_lookup(app, CreateMatchLookup())
    # The record shows and enforces assurance, which builds on citizens (DESIGN.md §2).
    install_assurance(app, summary_for_record, check_record_change)
    # A knowledge question payments answer; payments sit above assurance (DESIGN.md §2).
    install_answer_source(app, "last_payment_amount", last_payment_amount)

    app.register_blueprint(health.blp)
    app.register_blueprint(oauth_blp)
    app.register_blueprint(signin_bp)
    app.register_blueprint(federation_bp)
    app.register_blueprint(swagger_ui_assets(SWAGGER_UI_ASSETS))
    api.register_blueprint(catalog_blp)
    # Before citizens: /citizens/match is matched as a path of its own, not an id.
    api.register_blueprint(matching_blp)
    api.register_blueprint(citizens_blp)
    api.register_blueprint(cases_blp)
    api.register_blueprint(interactions_blp)
    api.register_blueprint(payments_blp)
    api.register_blueprint(admin_blp)
    api.register_blueprint(overview_blp)
    api.register_blueprint(metrics_blp)
    api.register_blueprint(surveys_blp)
    api.register_blueprint(imports_blp)
    api.register_blueprint(scans_blp)
    api.register_blueprint(duplicates_blp)
    api.register_blueprint(payment_finance_blp)
    api.register_blueprint(identity_blp)
    api.register_blueprint(account_blp)
    api.register_blueprint(assurance_blp)
    # The citizen's survey page: HTML for people, not part of the API's document.
    app.register_blueprint(survey_pages_bp)
    # Payments (issue 12): providers' signed notifications, public by name and documented by
    # hand; the sandbox gateway's card page (HTML for people) and its MOTO entry.
    app.register_blueprint(notification_routes.blp)
    api.document_paths(notification_routes.OPENAPI_PATHS)
    api.register_blueprint(payment_notification_log_blp)
    app.register_blueprint(sandbox_pages_bp)
    api.register_blueprint(sandbox_moto_blp)
    api.document_paths(health.OPENAPI_PATHS)
    api.document_paths(oauth_paths.OAUTH_PATHS, oauth_paths.SECURITY_SCHEMES)
    # The staff console (issue 14): pages for people over the API, reached only through HTTP.
    init_console(app)

    app.before_request(http.assign_request_id)
    # Before authentication: a request over its limit costs one Redis round trip, no more.
    init_rate_limits(app, {"api": token_client_id, "oauth": claimed_client_id})
    app.before_request(authenticate_request)
    app.before_request(http.require_json_body)
    app.after_request(http.echo_request_id)
    app.after_request(http.add_security_headers)
    register_problem_handlers(app)
    cli.register(app)
    return app
