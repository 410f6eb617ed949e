"""The deep store: where a cluster's segments live, and every Pinot key each role needs to reach it.

Pinot keeps one copy of every segment under `controller.data.dir`; servers and minions download
from it and the controller writes to it. A scheme other than `file` is served by a filesystem
plugin that each of controller, server and minion registers under
`pinot.<role>.storage.factory.<scheme>` (brokers need none). A `file://` deep store is a volume
shared by every controller; servers and minions then download through the controllers' HTTP
address (`controller.vip.*`), so they need no filesystem of their own.

Credentials never enter the config file: a setting read from a Secret becomes an environment
variable (`secretKeyRef`) and the file says `${env:NAME}`, which Pinot resolves when it reads the
value (both 0.11 and 1.x). Variable names end in `_SECRET`, `_SECRET_KEY`, `_PASSWORD` or
`_TOKEN` so that Pinot masks them in `/appconfigs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hooks.cluster.javaprops import env_reference
from hooks.cluster.spec import DeepStore, Role

JsonObject = dict[str, Any]

FETCHER_CLASS = "org.apache.pinot.common.utils.fetcher.PinotFSSegmentFetcher"
SECRET_DIR = "/var/pinot/deepstore/secret"
CONFIG_DIR = "/var/pinot/deepstore/config"
SHARED_VOLUME = "deepstore"
SECRET_VOLUME = "deepstore-secret"
CONFIG_VOLUME = "deepstore-config"
# Roles that read and write segments through the deep store's filesystem.
FS_ROLES = (Role.CONTROLLER, Role.SERVER, Role.MINION)
OPTION = re.compile(r"^[A-Za-z][A-Za-z0-9.]*$")
# Pinot masks variables and keys whose name matches these (pinot-spi Obfuscator), in /appconfigs and
# logs. Pinot 1.x shows a key's resolved `${env:...}` value there, so a secret option must match too.
MASKED_ENV = re.compile(r"(?i).*(secret|secret[\s_-]*key|password|keytab|token)$")
# Options read from Secrets that Pinot shows unmasked, accepted as identifiers rather than secrets.
IDENTIFIERS = frozenset({("s3", "accessKey")})  # an access key id, shown like a user name
# Where the secret behind an unmasked option can go instead, by (scheme, option).
_ADLS_KEY = (
    "set options.authenticationType AZURE_AD with secretOptions.clientSecret, or DEFAULT (Pinot 1.x) "
    "with a workload identity"
)
MASKED_ROUTES = {
    ("gs", "jsonKey"): "mount the key file with spec.deepStore.files.secretName and set options.gcpKey to "
    "its path under /var/pinot/deepstore/secret",
    ("abfss", "accessKey"): _ADLS_KEY,
    ("adl2", "accessKey"): _ADLS_KEY,
}


@dataclass(frozen=True)
class FileSystem:
    fs_class: str
    plugin: str
    required: tuple[str, ...] = ()


PLUGIN_CLASSES = "org.apache.pinot.plugin.filesystem."
FILESYSTEMS: dict[str, FileSystem] = {
    "s3": FileSystem(PLUGIN_CLASSES + "S3PinotFS", "pinot-s3", ("region",)),
    "gs": FileSystem(PLUGIN_CLASSES + "GcsPinotFS", "pinot-gcs"),
    "abfss": FileSystem(PLUGIN_CLASSES + "ADLSGen2PinotFS", "pinot-adls", ("accountName", "fileSystemName")),
    "adl2": FileSystem(PLUGIN_CLASSES + "ADLSGen2PinotFS", "pinot-adls", ("accountName", "fileSystemName")),
    "hdfs": FileSystem(PLUGIN_CLASSES + "HadoopPinotFS", "pinot-hdfs"),
}
SCHEMES = (*FILESYSTEMS, "file")


@dataclass(frozen=True)
class SecretOption:
    option: str
    env: str
    secret: str
    key: str


@dataclass(frozen=True)
class DeepStoreFeature:
    """The deep store as the renderers need it (plain data, part of the cluster's render inputs)."""

    uri: str
    scheme: str
    options: tuple[tuple[str, str], ...]
    secret_options: tuple[SecretOption, ...]
    secret_files: str | None
    config_files: str | None
    volume: JsonObject | None  # file:// only
    vip_host: str  # the controllers' Service: where servers download a file:// store's segments
    # False while a deep store is turned on (hooks.cluster.featurephases): controllers register its
    # filesystem but keep their segments where they were, until servers and minions can read it.
    data_dir: bool = True

    @property
    def filesystem(self) -> FileSystem | None:
        return FILESYSTEMS.get(self.scheme)

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path


def env_name(option: str) -> str:
    """`secretKey` -> `PINOT_DEEPSTORE_SECRET_KEY`; a name Pinot would not mask gets `_SECRET`."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", option).replace(".", "_").upper()
    name = f"PINOT_DEEPSTORE_{snake}"
    return name if MASKED_ENV.match(name) else f"{name}_SECRET"


def feature(spec: DeepStore | None, vip_host: str) -> DeepStoreFeature | None:
    if spec is None:
        return None
    return DeepStoreFeature(
        uri=spec.uri,
        scheme=scheme_of(spec.uri),
        options=tuple(sorted((spec.options or {}).items())),
        secret_options=tuple(
            SecretOption(option, env_name(option), ref.name, ref.key)
            for option, ref in sorted((spec.secretOptions or {}).items())
        ),
        secret_files=spec.files.secretName if spec.files else None,
        config_files=spec.files.configMapName if spec.files else None,
        volume=spec.volume,
        vip_host=vip_host,
    )


def scheme_of(uri: str) -> str:
    return urlsplit(uri).scheme.lower()


def config_lines(
    role: Role, store: DeepStoreFeature, controller_port: int, data_dir: str
) -> list[tuple[str, str]]:
    """The keys `role` needs, in file order (controller.data.dir itself is in the role's template)."""
    lines: list[tuple[str, str]] = []
    if role is Role.CONTROLLER and store.data_dir:
        # Mandatory with a remote data dir; per pod, because every start empties it.
        lines.append(("controller.local.temp.dir", f"{data_dir}/deepstore-temp"))
        if store.scheme == "file":
            # Download URIs of a file:// store name this address: any controller serves them.
            lines += [("controller.vip.host", store.vip_host), ("controller.vip.port", str(controller_port))]
    filesystem = store.filesystem
    if filesystem is None or role not in FS_ROLES:
        return lines
    prefix = f"pinot.{role.value}"
    factory = f"{prefix}.storage.factory"
    lines.append((f"{factory}.class.{store.scheme}", filesystem.fs_class))
    lines += [(f"{factory}.{store.scheme}.{option}", value) for option, value in store.options]
    lines += [(f"{factory}.{store.scheme}.{s.option}", env_reference(s.env)) for s in store.secret_options]
    lines.append((f"{prefix}.segment.fetcher.protocols", f"file,http,{store.scheme}"))
    lines.append((f"{prefix}.segment.fetcher.{store.scheme}.class", FETCHER_CLASS))
    if role is Role.SERVER:
        lines.append(("pinot.server.instance.segment.store.uri", store.uri))
    return lines


def owned_prefixes(role: Role, store: DeepStoreFeature) -> tuple[str, ...]:
    """Keys (and key prefixes, ending in '.') the deep store owns in `role`'s file."""
    owned = [key for key, _ in config_lines(role, store, 0, "")]
    if store.filesystem is not None and role in FS_ROLES:
        owned += [f"pinot.{role.value}.storage.factory.{store.scheme}."]
    return tuple(owned)


def env(role: Role, store: DeepStoreFeature) -> list[JsonObject]:
    if store.filesystem is None or role not in FS_ROLES:
        return []
    return [
        {"name": s.env, "valueFrom": {"secretKeyRef": {"name": s.secret, "key": s.key}}}
        for s in store.secret_options
    ]


def volumes(role: Role, store: DeepStoreFeature) -> list[JsonObject]:
    found: list[JsonObject] = []
    if store.scheme == "file":
        if role is Role.CONTROLLER and store.volume is not None:
            found.append({"name": SHARED_VOLUME, **store.volume})
        return found
    if role not in FS_ROLES:
        return found
    if store.secret_files:
        found.append({"name": SECRET_VOLUME, "secret": {"secretName": store.secret_files}})
    if store.config_files:
        found.append({"name": CONFIG_VOLUME, "configMap": {"name": store.config_files}})
    return found


def mounts(role: Role, store: DeepStoreFeature) -> list[JsonObject]:
    mounted = {SHARED_VOLUME: store.path, SECRET_VOLUME: SECRET_DIR, CONFIG_VOLUME: CONFIG_DIR}
    return [
        {"name": volume["name"], "mountPath": mounted[volume["name"]], **_read_only(volume["name"])}
        for volume in volumes(role, store)
    ]


def _read_only(volume: str) -> JsonObject:
    return {} if volume == SHARED_VOLUME else {"readOnly": True}


def plugins(role: Role, store: DeepStoreFeature) -> tuple[str, ...]:
    """The plugin a role must load for the deep store (when the pool restricts its plugins)."""
    filesystem = store.filesystem
    return (filesystem.plugin,) if filesystem is not None and role in FS_ROLES else ()
