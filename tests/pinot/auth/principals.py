"""Who may log in to the auth cluster, and the controller properties that say so."""

from __future__ import annotations

from ..jobs import SECRET_NAME

ADMIN = ("admin", "s3cret-Admin")
READER = ("reader", "s3cret-Reader")
PREFIX = "controller.admin.access.control"
AUTH_PROPERTIES = {
    f"{PREFIX}.factory.class": "org.apache.pinot.controller.api.access.BasicAuthAccessControlFactory",
    f"{PREFIX}.principals": "admin,reader",
    f"{PREFIX}.principals.admin.password": ADMIN[1],
    f"{PREFIX}.principals.reader.password": READER[1],
    f"{PREFIX}.principals.reader.permissions": "READ",
}


def secret(credentials: tuple[str, str]) -> dict[str, dict[str, str]]:
    """The Secret the Job reads ``username``/``password`` from (``examples/auth-secret.yaml``)."""
    return {SECRET_NAME: {"username": credentials[0], "password": credentials[1]}}
