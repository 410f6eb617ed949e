"""Who may log in to the production cluster, and the Secrets the pods and Jobs read them from."""

from __future__ import annotations

from ..jobs import SECRET_NAME

ADMIN = ("admin", "s3cret-Admin")
READER = ("reader", "s3cret-Reader")
READER_SECRET = "pinot-reader"
#: What the Kubernetes Secrets hold: the only place the passwords are (the pods get them from env).
SECRETS = {
    SECRET_NAME: {"username": ADMIN[0], "password": ADMIN[1]},
    READER_SECRET: {"username": READER[0], "password": READER[1]},
}
#: spec.auth of the PinotCluster: basic auth on, an admin and a read-only principal.
AUTH = {
    "secretRef": {"name": SECRET_NAME},
    "basic": {"enabled": True, "readers": [{"username": READER[0], "secretRef": {"name": READER_SECRET}}]},
}


def secret(credentials: tuple[str, str]) -> dict[str, dict[str, str]]:
    """The Secret the Job reads ``username``/``password`` from (``examples/auth-secret.yaml``)."""
    return {SECRET_NAME: {"username": credentials[0], "password": credentials[1]}}
