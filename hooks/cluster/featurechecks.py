"""What the schema cannot say about the production settings: deep store, controller HA, basic
auth, metrics, the NetworkPolicy's peers and Services. Each finding names the field to change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hooks.cluster import deepstore
from hooks.cluster.features import Features, features, owned_prefixes
from hooks.cluster.javaprops import relaxed
from hooks.cluster.peers import cidr_problem, relation_errors
from hooks.cluster.pinotconf import PORTS
from hooks.cluster.spec import DeepStore, Layer, PinotClusterSpec, Role, SpecShell
from hooks.refusals import SpecError

# Ports Pinot binds besides the rendered ones (server gRPC, multi-stage engine).
PINOT_PORTS = frozenset({*PORTS.values(), 8090, 7321, 7732})
UNSAFE = "must be printable ASCII without ',', '\\', '${' or blanks at the ends"
SERVICE_ROLES = (Role.CONTROLLER, Role.BROKER)


def feature_errors(spec: PinotClusterSpec, name: str) -> list[SpecError]:
    errors = _ha_errors(spec)
    if spec.deepStore is not None:
        errors += _deep_store_errors(spec.deepStore)
    errors += _auth_errors(spec)
    if spec.metrics.enabled and spec.metrics.port in PINOT_PORTS:
        errors.append(
            SpecError("spec.metrics.port", f"{spec.metrics.port} is a port Pinot itself listens on")
        )
    errors += _peer_errors(spec)
    errors += _external_service_errors(spec)
    errors += _pool_service_errors(spec)
    if not errors:
        errors += _owned_property_errors(spec, features(spec, name, "namespace"))
    return errors


def safe_value(value: str) -> bool:
    """Whether Pinot 0.11 and 1.x read `value` back exactly: printable ASCII, no interpolation
    (`${`), list separator or escape, no blank at either end."""
    return (
        bool(value)
        and value == value.strip()
        and all(" " <= c <= "~" for c in value)
        and not any(bad in value for bad in (",", "\\", "${"))
    )


def _ha_errors(spec: PinotClusterSpec) -> list[SpecError]:
    replicas = sum(pool.replicas for pool in spec.pools if pool.role is Role.CONTROLLER)
    if replicas <= 1 or spec.deepStore is not None:
        return []
    return [
        SpecError(
            "spec.deepStore",
            f"is required for {replicas} controller replicas (summed over the controller pools): each "
            "controller keeps segments in its own data directory unless they share a deep store; set "
            "spec.deepStore.uri (s3://, gs://, abfss://, hdfs://, or file:// on a shared volume) or run "
            "one controller",
        )
    ]


def _deep_store_errors(store: DeepStore) -> list[SpecError]:
    path = "spec.deepStore"
    scheme = deepstore.scheme_of(store.uri)
    if scheme not in deepstore.SCHEMES:
        return [
            SpecError(f"{path}.uri", f"scheme must be one of {', '.join(deepstore.SCHEMES)}, not {scheme!r}")
        ]
    errors: list[SpecError] = []
    if not safe_value(store.uri):
        errors.append(SpecError(f"{path}.uri", UNSAFE))
    options = dict(store.options or {})
    secret_options = dict(store.secretOptions or {})
    for option, value in options.items():
        if not deepstore.OPTION.match(option):
            errors.append(SpecError(f"{path}.options[{option!r}]", "names must be letters, digits and '.'"))
        if not safe_value(value):
            errors.append(SpecError(f"{path}.options[{option!r}]", UNSAFE))
    for option in secret_options:
        if not deepstore.OPTION.match(option):
            errors.append(
                SpecError(f"{path}.secretOptions[{option!r}]", "names must be letters, digits and '.'")
            )
        if option in options:
            errors.append(
                SpecError(f"{path}.secretOptions[{option!r}]", "is also set in spec.deepStore.options")
            )
        if not deepstore.MASKED_ENV.match(option) and (scheme, option) not in deepstore.IDENTIFIERS:
            route = deepstore.MASKED_ROUTES.get((scheme, option), "if it is no secret, set it in options")
            errors.append(
                SpecError(
                    f"{path}.secretOptions[{option!r}]",
                    "Pinot 1.x would show its value unmasked in /appconfigs of every pod (it masks only "
                    f"options ending in secret, secretKey, password, keytab or token): {route}",
                )
            )
    if scheme == "file":
        errors += _file_errors(store)
        if options or secret_options or store.files is not None:
            errors.append(SpecError(path, "a file:// deep store takes no options, secretOptions or files"))
        return errors
    if store.volume is not None:
        errors.append(SpecError(f"{path}.volume", "is only for a file:// deep store"))
    filesystem = deepstore.FILESYSTEMS[scheme]
    for required in filesystem.required:
        if required not in options and required not in secret_options:
            errors.append(SpecError(f"{path}.options", f"{filesystem.plugin} needs {required!r}"))
    return errors


def _file_errors(store: DeepStore) -> list[SpecError]:
    path = deepstore.DeepStoreFeature(store.uri, "file", (), (), None, None, None, "").path
    errors = []
    if not path.startswith("/") or path.rstrip("/") in ("", "/var/pinot", "/opt/pinot"):
        errors.append(SpecError("spec.deepStore.uri", "a file:// deep store needs an absolute directory"))
    elif path.startswith(("/var/pinot/controller", "/var/pinot/deepstore", "/opt/pinot/")):
        errors.append(SpecError("spec.deepStore.uri", f"{path} is a directory of the Pinot pods themselves"))
    volume = store.volume
    if volume is None:
        errors.append(
            SpecError(
                "spec.deepStore.volume",
                "is required for a file:// deep store: the volume every controller mounts at the URI's path "
                "(e.g. a ReadWriteMany persistentVolumeClaim)",
            )
        )
    elif len(volume) != 1 or "name" in volume or not isinstance(next(iter(volume.values())), dict):
        errors.append(
            SpecError(
                "spec.deepStore.volume",
                "must be one volume source, e.g. {persistentVolumeClaim: {claimName: x}}",
            )
        )
    return errors


def _auth_errors(spec: PinotClusterSpec) -> list[SpecError]:
    basic = spec.auth.basic if spec.auth is not None else None
    if basic is None:
        return []
    seen = {relaxed(basic.adminUsername): "spec.auth.basic.adminUsername"}
    errors = []
    for index, reader in enumerate(basic.readers or []):
        where = f"spec.auth.basic.readers[{index}].username"
        name = relaxed(reader.username)
        if name in seen:
            errors.append(
                SpecError(where, f"is the same principal as {seen[name]} (Pinot ignores case, '-' and '_')")
            )
        seen.setdefault(name, where)
    return errors


def _peer_errors(spec: PinotClusterSpec) -> list[SpecError]:
    errors = []
    policy = spec.networkPolicy
    for field in ("brokerClients", "controllerClients", "serverClients", "metricsClients"):
        errors += relation_errors(getattr(policy, field) or [], f"spec.networkPolicy.{field}")
    return errors


def _external_service_errors(spec: PinotClusterSpec) -> list[SpecError]:
    errors: list[SpecError] = []
    for role in SERVICE_ROLES:
        service = getattr(spec.externalServices, role.value) if spec.externalServices else None
        if service is None:
            continue
        path = f"spec.externalServices.{role.value}"
        if service.loadBalancerSourceRanges and service.type != "LoadBalancer":
            errors.append(SpecError(f"{path}.loadBalancerSourceRanges", "applies to type LoadBalancer only"))
        for index, cidr in enumerate(service.loadBalancerSourceRanges or []):
            problem = cidr_problem(cidr)
            if problem is not None:
                errors.append(SpecError(f"{path}.loadBalancerSourceRanges[{index}]", problem))
        hidden = service.externalTrafficPolicy == "Cluster" and spec.networkPolicy.enabled is not False
        if service.loadBalancerSourceRanges and hidden:
            errors.append(
                SpecError(
                    f"{path}.externalTrafficPolicy",
                    "Cluster hides the clients' addresses behind the nodes' ones, so the cluster's "
                    "NetworkPolicy, which admits loadBalancerSourceRanges, would refuse every client: leave "
                    "it unset (Local) or set spec.networkPolicy.enabled: false",
                )
            )
    return errors


def _service_layers(spec: PinotClusterSpec) -> Iterator[tuple[str, Layer | Any, Role | None]]:
    yield "spec.defaults.common", spec.defaults.common, None
    for role in Role:
        yield f"spec.defaults.{role.value}", spec.defaults.for_role(role), role
    for index, pool in enumerate(spec.pools):
        yield f"spec.pools[{index}]", pool, pool.role


def _pool_service_errors(spec: PinotClusterSpec) -> list[SpecError]:
    """`kubernetes.service` shapes the role Service of controllers and brokers; it is refused where
    it would shape nothing, and where pools of one role would ask for different Services."""
    errors = []
    for path, layer, role in _service_layers(spec):
        service = layer.kubernetes.service
        if service is None or role in SERVICE_ROLES:
            continue
        roles_with_it = [r for r in Role if r not in SERVICE_ROLES] if role is None else [role]
        if role is None and not any(pool.role in roles_with_it for pool in spec.pools):
            continue
        errors.append(
            SpecError(
                f"{path}.kubernetes.service",
                "shapes the <cluster>-controller and <cluster>-broker Services; server and minion pools "
                "have none: set it under spec.defaults.controller or spec.defaults.broker, on their pools, "
                "or use spec.externalServices",
            )
        )
    for role in SERVICE_ROLES:
        wanted: dict[str, tuple[Any, Any]] = {}
        for index, pool in enumerate(spec.pools):
            if pool.role is role:
                wanted[f"spec.pools[{index}]"] = _effective_service(spec, pool)
        if len(set(map(repr, wanted.values()))) > 1:
            errors.append(
                SpecError(
                    f"spec.pools[{', '.join(p.removeprefix('spec.pools[').rstrip(']') for p in wanted)}]"
                    ".kubernetes.service",
                    f"the {role.value} pools share one Service <cluster>-{role.value} but ask for different "
                    "type or annotations: set them alike, or once under spec.defaults."
                    f"{role.value}.kubernetes.service",
                )
            )
    return errors


def _effective_service(spec: PinotClusterSpec, pool: Any) -> tuple[Any, Any]:
    service_type = None
    annotations: dict[str, str] = {}
    for layer in (spec.defaults.common, spec.defaults.for_role(pool.role), pool):
        service = layer.kubernetes.service
        if service is None:
            continue
        service_type = service.type or service_type
        annotations.update(service.annotations or {})
    return service_type or "ClusterIP", sorted(annotations.items())


def _owned_property_errors(spec: SpecShell | PinotClusterSpec, found: Features) -> list[SpecError]:
    """A property that the production settings write already would be a duplicate key."""
    if found.deep_store is None and found.auth is None:
        return []
    errors = []
    assert isinstance(spec, PinotClusterSpec)
    for path, layer, role in _service_layers(spec):
        roles = [role] if role is not None else list(Role)
        for key in layer.pinot.properties or {}:
            key_relaxed = relaxed(key)
            for r in roles:
                owner = next(
                    (
                        field
                        for owned, field in owned_prefixes(r, found)
                        if key_relaxed == relaxed(owned)
                        or (owned.endswith(".") and key_relaxed.startswith(relaxed(owned)))
                    ),
                    None,
                )
                if owner is not None:
                    errors.append(SpecError(f"{path}.pinot.properties[{key!r}]", f"is set by {owner}"))
                    break
    return errors
