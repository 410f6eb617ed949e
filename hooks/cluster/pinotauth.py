"""Pinot's own basic authentication, turned on by `spec.auth.basic.enabled`.

Controllers and brokers list the principals in their config files; each password is an
environment variable from a Secret (`secretKeyRef`) that the file names as `${env:NAME}`, which
Pinot resolves when it reads the value (0.11 and 1.x alike). No password is in a ConfigMap, an
argument or the hook's answer beyond the Secret's name.

Controllers, servers and minions also call the controller themselves (segment download,
realtime segment commit, minion tasks). They send a token, `Basic base64(user:password)` of the
admin principal. Pinot 0.11 sends a `${env:...}` token literally, so the token is a file instead:
an init container computes it from the Secret (the admin's `username` and `password`) into a
memory-backed volume, and Pinot's `UrlAuthProvider` reads it on every request. The init container
also refuses to start a pod whose Secret names another user than `adminUsername` (the hook cannot
read Secrets, and the two must agree for the Jobs and the internal tokens to log in).

Pinot reads a password back exactly only when it is printable ASCII without `,` (0.11 cuts an
`${env:...}` value at its first comma), `\` or `${` (read as an escape and an interpolation), and
without blanks at either end (trimmed). The hook cannot see the passwords, so controllers and
brokers, the pods that list principals, check theirs in an init container before Pinot starts and
otherwise stop with a termination message naming the principal, its Secret and the problem, never
the value. Controllers, servers and minions compute the token in the same container.

Probes need no credentials: `/health` is open on every role, as Pinot allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hooks.cluster.javaprops import env_reference
from hooks.cluster.spec import Auth, Role

JsonObject = dict[str, Any]

ADMIN_PASSWORD_ENV = "PINOT_ADMIN_PASSWORD"
TOKEN_VOLUME = "auth-token"
TOKEN_CONTAINER = "auth-token"
CHECK_CONTAINER = "auth-check"
PRINCIPAL_ROLES = (Role.CONTROLLER, Role.BROKER)  # the roles that list principals and passwords
CONTROLLER_FACTORY = "org.apache.pinot.controller.api.access.BasicAuthAccessControlFactory"
BROKER_FACTORY = "org.apache.pinot.broker.broker.BasicAuthAccessControlFactory"
URL_AUTH_PROVIDER = "org.apache.pinot.common.auth.UrlAuthProvider"
CONTROLLER_ACCESS = "controller.admin.access.control"
BROKER_ACCESS = "pinot.broker.access.control"
# Where each role sends the admin token from (auth provider namespaces of Pinot).
TOKEN_NAMESPACES: dict[Role, tuple[str, ...]] = {
    Role.CONTROLLER: ("pinot.controller.segment.fetcher.auth",),
    Role.BROKER: (),
    Role.SERVER: (
        "pinot.server.segment.fetcher.auth",
        "pinot.server.segment.uploader.auth",
        "pinot.server.instance.auth",
    ),
    Role.MINION: ("task.auth", "pinot.minion.segment.fetcher.auth"),
}
# The init container's scripts: no secret in them, only the names of variables holding them. A
# failure is the container's last log line, which the kubelet keeps as its termination message
# (FallbackToLogsOnError) for `kubectl describe pod` and the cluster's status.
FAIL = 'fail() { echo "$1" >&2; exit 1; }\n'
# PINOT_AUTH_PASSWORDS lists `variable:principal:Secret` for each password the pod configures.
# Patterns are matched bytewise (LC_ALL=C in the container's environment).
CHECK_SCRIPT = r"""for entry in $PINOT_AUTH_PASSWORDS; do
  variable="${entry%%:*}"; rest="${entry#*:}"; principal="${rest%%:*}"; secret="${rest#*:}"
  eval "value=\"\${$variable}\""
  case "$value" in
    "") problem="is empty" ;;
    *[![:print:]]*) problem="has a character outside printable ASCII" ;;
    *,*) problem="contains ',' (Pinot 0.11 cuts the password there)" ;;
    *\\*) problem="contains '\\' (Pinot reads an escape)" ;;
    *'${'*) problem="contains '\${' (Pinot reads a variable)" ;;
    " "*|*" ") problem="starts or ends with a blank (Pinot trims it)" ;;
    *) continue ;;
  esac
  fail "the password of principal $principal (key password of Secret $secret) $problem:"\
" Pinot would not read it as it is; use printable ASCII without ',', '\\' or '\${' and without"\
" blanks at either end in the Secret; the pod starts at its next retry"
done
"""
TOKEN_SCRIPT = (
    'if [ "$PINOT_AUTH_USERNAME" != "$PINOT_AUTH_PRINCIPAL" ]; then '
    'fail "the Secret $PINOT_AUTH_SECRET holds username $PINOT_AUTH_USERNAME, but '
    'spec.auth.basic.adminUsername is $PINOT_AUTH_PRINCIPAL"; fi\n'
    "umask 077; "
    'printf \'Basic %s\' "$(printf \'%s:%s\' "$PINOT_AUTH_USERNAME" "$PINOT_AUTH_PASSWORD" '
    '| base64 | tr -d \'\\n\')" > "$PINOT_AUTH_TOKEN_FILE"'
)


@dataclass(frozen=True)
class Principal:
    username: str
    secret: str
    env: str
    read_only: bool


@dataclass(frozen=True)
class AuthFeature:
    admin: Principal
    readers: tuple[Principal, ...]
    # False while basic auth is turned on or off (hooks.cluster.featurephases): the pods that call
    # the controller send the admin's token, but no controller or broker checks credentials.
    enforce: bool = True

    @property
    def principals(self) -> tuple[Principal, ...]:
        return (self.admin, *self.readers)


def reader_env(username: str) -> str:
    return f"PINOT_READER_{username.upper().replace('-', '_')}_PASSWORD"


def feature(auth: Auth | None) -> AuthFeature | None:
    if auth is None or auth.basic is None or not auth.basic.enabled:
        return None
    basic = auth.basic
    return AuthFeature(
        admin=Principal(basic.adminUsername, auth.secretRef.name, ADMIN_PASSWORD_ENV, False),
        readers=tuple(
            Principal(r.username, r.secretRef.name, reader_env(r.username), True) for r in basic.readers or []
        ),
    )


def token_dir(role: Role) -> str:
    return f"/var/pinot/{role.value}/auth"


def token_file(role: Role) -> str:
    return f"{token_dir(role)}/token"


def config_lines(role: Role, auth: AuthFeature) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    names = ",".join(p.username for p in auth.principals)
    if role is Role.CONTROLLER and auth.enforce:
        lines += [
            (f"{CONTROLLER_ACCESS}.factory.class", CONTROLLER_FACTORY),
            (f"{CONTROLLER_ACCESS}.principals", names),
        ]
        for principal in auth.principals:
            key = f"{CONTROLLER_ACCESS}.principals.{principal.username}"
            lines.append((f"{key}.password", env_reference(principal.env)))
            if principal.read_only:
                lines.append((f"{key}.permissions", "READ"))
    if role is Role.BROKER and auth.enforce:
        lines += [(f"{BROKER_ACCESS}.class", BROKER_FACTORY), (f"{BROKER_ACCESS}.principals", names)]
        lines += [
            (f"{BROKER_ACCESS}.principals.{p.username}.password", env_reference(p.env))
            for p in auth.principals
        ]
    for namespace in TOKEN_NAMESPACES[role]:
        lines += [
            (f"{namespace}.provider.class", URL_AUTH_PROVIDER),
            (f"{namespace}.url", f"file://{token_file(role)}"),
            (f"{namespace}.prefix", "Basic"),
        ]
    return lines


def owned_prefixes(role: Role) -> tuple[str, ...]:
    """Key prefixes basic auth owns in `role`'s file: a property under one is refused."""
    access = {Role.CONTROLLER: (f"{CONTROLLER_ACCESS}.",), Role.BROKER: (f"{BROKER_ACCESS}.",)}.get(role, ())
    return (*access, *(f"{namespace}." for namespace in TOKEN_NAMESPACES[role]))


def checks(role: Role, auth: AuthFeature) -> bool:
    """Whether pods of `role` list principals and check credentials."""
    return role in PRINCIPAL_ROLES and auth.enforce


def env(role: Role, auth: AuthFeature) -> list[JsonObject]:
    if not checks(role, auth):
        return []
    return [_secret_env(p.env, p.secret, "password") for p in auth.principals]


def volumes(role: Role) -> list[JsonObject]:
    if not TOKEN_NAMESPACES[role]:
        return []
    return [{"name": TOKEN_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}]


def mounts(role: Role) -> list[JsonObject]:
    if not TOKEN_NAMESPACES[role]:
        return []
    return [{"name": TOKEN_VOLUME, "mountPath": token_dir(role), "readOnly": True}]


def init_containers(role: Role, auth: AuthFeature, image: str, security: JsonObject) -> list[JsonObject]:
    """The init container that checks the passwords a controller or broker configures, and writes
    the admin token file on the roles that call the controller."""
    checking, token = checks(role, auth), bool(TOKEN_NAMESPACES[role])
    if not (checking or token):
        return []
    env: list[JsonObject] = [{"name": "LC_ALL", "value": "C"}]
    script = FAIL
    if checking:
        listed = " ".join(f"{p.env}:{p.username}:{p.secret}" for p in auth.principals)
        env += [{"name": "PINOT_AUTH_PASSWORDS", "value": listed}]
        env += [_secret_env(p.env, p.secret, "password") for p in auth.principals]
        script += CHECK_SCRIPT
    if token:
        env += [
            {"name": "PINOT_AUTH_PRINCIPAL", "value": auth.admin.username},
            {"name": "PINOT_AUTH_SECRET", "value": auth.admin.secret},
            _secret_env("PINOT_AUTH_USERNAME", auth.admin.secret, "username"),
            _secret_env("PINOT_AUTH_PASSWORD", auth.admin.secret, "password"),
            {"name": "PINOT_AUTH_TOKEN_FILE", "value": token_file(role)},
        ]
        script += TOKEN_SCRIPT
    container: JsonObject = {
        "name": TOKEN_CONTAINER if token else CHECK_CONTAINER,
        "image": image,
        "command": ["/bin/sh", "-c"],
        "args": [script],
        "env": env,
        "resources": {"limits": {"memory": "32Mi"}, "requests": {"cpu": "10m", "memory": "16Mi"}},
        "securityContext": security,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    if token:
        container["volumeMounts"] = [{"name": TOKEN_VOLUME, "mountPath": token_dir(role)}]
    return [container]


def _secret_env(name: str, secret: str, key: str) -> JsonObject:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
