"""What each pool's pods run, as far as the observed children tell: the Pinot version of its
StatefulSet's template and of the pods that have not moved to it, and which known steps their
configs have done.

The template's version is the StatefulSet's `pinot-version` annotation (else its image's tag); the
known steps a config has done are read from the ConfigMap the template mounts (servers only). A pod of
a StatefulSet whose template changed may still run an earlier one: while that can be, the
StatefulSet carries `running-versions` (`0.11.0+datatable-v4 apachepinot/pinot:0.11.0, 1.3.0
apachepinot/pinot:1.3.0`: version, known steps done, image), written by the hook with the
change (`recorded_after`), since the hook keeps no memory of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from hooks.children import as_applied
from hooks.cluster import naming
from hooks.cluster.known_steps import KNOWN_STEPS, SetProperties
from hooks.cluster.pinotconf import config_file_name
from hooks.cluster.rollout import Observation, PoolStep
from hooks.cluster.spec import Role
from hooks.cluster.versions import PinotVersion, parse_version, version_of_image
from hooks.contract import Observed, as_list, as_object

JsonObject = dict[str, Any]

CONFIG_FILES = {role: config_file_name(role) for role in Role}
SET_STEPS = tuple(step for step in KNOWN_STEPS if isinstance(step.action, SetProperties))
OWN_KINDS = (("v1", "Service"), ("v1", "ConfigMap"), ("policy/v1", "PodDisruptionBudget"))


class Run(NamedTuple):
    """Pods of one configuration: their Pinot version (None: unknown), the known steps it has done,
    and their image."""

    version: PinotVersion | None
    steps: frozenset[str]
    image: str

    def __str__(self) -> str:
        return "+".join([str(self.version), *sorted(self.steps)]) + f" {self.image}"


class PoolRun(NamedTuple):
    """One observed StatefulSet, as far as versions go."""

    template: Run
    template_image: str
    config: Mapping[str, str]  # the properties of the config its template mounts ({} when not read)
    settled: bool  # every pod runs the template, and the controller has seen the latest spec
    moved: bool  # some pod runs, or may move to, the template
    recorded: tuple[Run, ...]  # what pods may run besides, while its template changes
    replicas: int  # spec.replicas as observed
    reported: bool  # its controller has reported on it (it is not merely created)

    @property
    def runs(self) -> tuple[Run, ...]:
        """Every configuration a pod of the pool may run now, those it may leave first."""
        if self.settled or not self.recorded:
            return (self.template,)
        if self.moved and self.template not in self.recorded:
            return (*self.recorded, self.template)
        return self.recorded

    @property
    def versions(self) -> frozenset[PinotVersion | None]:
        return frozenset(run.version for run in self.runs)

    def stating(self, version: PinotVersion | None) -> PoolRun:
        """The same, its template's version as the spec states it (the image is the same)."""
        if version is None or version == self.template.version:
            return self
        return self._replace(template=Run(version, satisfied(version, self.config), self.template_image))


class SeenPool(NamedTuple):
    """One pool's observed StatefulSet, read once per sync for everything that looks at what it runs
    (hooks.cluster.featurephases, `pool_run`, the rollout plan)."""

    role: Role
    sts: Mapping[str, Any]
    pod: Mapping[str, Any]  # its pod template's spec
    observation: Observation
    config: Mapping[str, str] | None  # the properties of the config its template mounts (None: not observed)


def seen_pools(observed: Observed, cluster: str, pools: Mapping[str, Role]) -> dict[str, SeenPool]:
    """Every existing pool of `pools` (name -> role), as its StatefulSet says."""
    found = {}
    statefulsets, config_maps = observed.of("apps/v1", "StatefulSet"), observed.of("v1", "ConfigMap")
    for name, role in pools.items():
        sts = statefulsets.get(naming.statefulset_name(cluster, name))
        if sts is not None:
            pod = as_object(as_object(as_object(sts.get("spec")).get("template")).get("spec"))
            found[name] = SeenPool(
                role, sts, pod, Observation.of(sts), mounted_config(pod, role, config_maps)
            )
    return found


def pool_runs(seen: Mapping[str, SeenPool]) -> dict[str, PoolRun]:
    """What every existing pool runs."""
    return {name: pool_run(pool) for name, pool in seen.items()}


def pool_run(seen: SeenPool) -> PoolRun:
    role = seen.role
    annotations = as_object(as_object(seen.sts.get("metadata")).get("annotations"))
    containers = as_list(seen.pod.get("containers"))
    image = str(
        next((c.get("image") for c in containers if as_object(c).get("name") == role.value), "") or ""
    )
    stated = annotations.get(naming.PINOT_VERSION_ANNOTATION)
    version = (parse_version(stated) if isinstance(stated, str) else None) or version_of_image(image)
    config = (seen.config or {}) if role is Role.SERVER and _read(version) else {}
    observation = seen.observation
    recorded = annotations.get(naming.RUNNING_VERSIONS_ANNOTATION)
    return PoolRun(
        Run(version, satisfied(version, config), image),
        image,
        config,
        settled(observation),
        observation.partition < observation.spec_replicas
        or (observation.caught_up and observation.updated > 0),
        parse_runs(recorded) if isinstance(recorded, str) else (),
        observation.spec_replicas,
        observation.observed_generation > 0,
    )


def settled(observation: Observation) -> bool:
    """Every pod runs the StatefulSet's template and its controller has seen its latest spec."""
    return (
        observation.observed_generation > 0
        and observation.caught_up
        and observation.spec_replicas == observation.replicas == observation.ready == observation.updated
        and observation.current_revision == observation.update_revision
    )


@lru_cache(maxsize=64)
def _read(version: PinotVersion | None) -> bool:
    """Whether a server at `version` may be asked to act by a known step (else its config is not read)."""
    return version is None or any(version in step.old for step in SET_STEPS)


# The keys the known steps set: whether a config has done them depends on its values of these alone.
SET_KEYS = tuple(
    dict.fromkeys(
        key
        for step in SET_STEPS
        if isinstance(step.action, SetProperties)
        for key, _ in step.action.properties
    )
)


def satisfied(version: PinotVersion | None, config: Mapping[str, str]) -> frozenset[str]:
    """The known steps a server at `version` with `config` has done, of those that cover `version`."""
    return _satisfied(version, tuple(config.get(key) for key in SET_KEYS))


@lru_cache(maxsize=256)
def _satisfied(version: PinotVersion | None, values: tuple[str | None, ...]) -> frozenset[str]:
    """`satisfied` for a config with `values` at SET_KEYS (and no other key): computed once per pair,
    as every sync asks it for every pool and the same few pairs come each time."""
    config = {key: value for key, value in zip(SET_KEYS, values, strict=True) if value is not None}
    return frozenset(
        step.name
        for step in SET_STEPS
        if version in step.old and isinstance(step.action, SetProperties) and not step.action.missing(config)
    )


def mounted_config(
    pod: Mapping[str, Any], role: Role, config_maps: Mapping[str, JsonObject]
) -> Mapping[str, str] | None:
    """The properties of the config file a pod template mounts (None: not observed), of the observed
    `config_maps` (by name)."""
    volume = as_object(
        next((v for v in as_list(pod.get("volumes")) if as_object(v).get("name") == "config"), None)
    )
    name = as_object(volume.get("configMap")).get("name")
    found = config_maps.get(name) if isinstance(name, str) else None
    text = as_object(as_object(found).get("data")).get(CONFIG_FILES[role])
    return parse_properties(text) if isinstance(text, str) else None


@lru_cache(maxsize=256)
def parse_properties(text: str) -> Mapping[str, str]:
    """`key=value` lines of a Pinot config file (comments and blank lines skipped; the last one wins)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "!")) and "=" in stripped:
            key, value = stripped.split("=", 1)
            found[key.strip()] = value.strip()
    return found


@lru_cache(maxsize=256)
def parse_runs(text: str) -> tuple[Run, ...]:
    """The runs a `running-versions` annotation records (those whose version can be read)."""
    runs = []
    for entry in text.split(","):
        spec, _, image = entry.strip().partition(" ")
        version, *steps = spec.split("+")
        found = parse_version(version)
        if found is not None and image:
            runs.append(Run(found, frozenset(steps), image))
    return tuple(runs)


def recorded_after(
    run: PoolRun | None, observed_hash: str, emitted_hash: str, emitted: Run, released: bool
) -> tuple[Run, ...]:
    """What a pool's pods may run once the answer is applied, to record on its StatefulSet: nothing
    while it stays settled on its template (or never had a record); else everything they may run
    now, and the template given when the answer lets pods move to it (`released`)."""
    if run is None:
        return ()
    if observed_hash == emitted_hash:
        if run.settled or not run.recorded:
            return ()
        emitted = run.template
    found = [r for r in run.runs if r.version is not None]
    if released and emitted.version is not None and emitted not in found:
        found.append(emitted)
    return tuple(found)


def records_after(
    steps: list[PoolStep], runs: Mapping[str, PoolRun], held: Mapping[str, str]
) -> dict[str, tuple[Run, ...]]:
    """`recorded_after` for every pool the answer carries (a held one is carried as observed)."""
    found = {}
    for step in steps:
        run = runs.get(step.pool.name)
        if run is None or not step.emit:
            continue
        observed_hash = step.observation.template_hash if step.observation else ""
        emitted = run.template  # what recorded_after takes for an unchanged template
        if observed_hash != step.template_hash:
            version = parse_version(step.pool.version) if step.pool.version else None
            emitted = Run(version, satisfied(version, step.pool.pinot.properties), step.pool.image)
        released = step.pool.name not in held and step.partition < step.pool.replicas
        found[step.pool.name] = recorded_after(run, observed_hash, step.template_hash, emitted, released)
    return found


def record(runs: tuple[Run, ...]) -> dict[str, str]:
    """The annotation that records `runs` on a StatefulSet (none for none)."""
    return {naming.RUNNING_VERSIONS_ANNOTATION: ", ".join(map(str, runs))} if runs else {}


def running_text(run: PoolRun | None, recorded: tuple[Run, ...], target: PinotVersion | None) -> str:
    """`1.3.0`, or `0.11.0 -> 1.3.0` while pods may run either; "" for a StatefulSet its controller
    has not reported on (it has no pods to speak of yet)."""
    if run is None or not run.reported:
        return ""
    if not recorded and run.template.version == target:  # the usual case: settled on the spec's version
        return "unknown" if target is None else str(target)
    versions = [r.version for r in recorded] or [run.template.version]
    ordered = [v for v in dict.fromkeys(versions) if v != target] + [target] * (target in versions)
    return " -> ".join("unknown" if v is None else str(v) for v in ordered)


def held_children(
    observed: Observed, cluster: str, pool: str, run: PoolRun | None, recorded: tuple[Run, ...]
) -> list[JsonObject]:
    """A held pool's children as they are, and what its pods may run recorded. A StatefulSet that has
    not settled gets its partition raised to its replicas, so that no more pods move to its template
    (a pod that restarts comes back as it was)."""
    kept = []
    sts = observed.get("apps/v1", "StatefulSet", naming.statefulset_name(cluster, pool))
    if sts is not None:
        applied = as_applied(sts)
        metadata = dict(as_object(applied.get("metadata")))
        annotations = as_object(metadata.get("annotations"))
        annotations = {k: v for k, v in annotations.items() if k != naming.RUNNING_VERSIONS_ANNOTATION}
        metadata["annotations"] = {**annotations, **record(recorded)}
        spec = dict(as_object(applied.get("spec")))
        if run is None or not run.settled:
            spec["updateStrategy"] = _frozen(as_object(spec.get("updateStrategy")), spec.get("replicas", 1))
        kept.append({**applied, "metadata": metadata, "spec": spec})
    for kind in OWN_KINDS:
        for obj in observed.of(*kind).values():
            if as_object(as_object(obj.get("metadata")).get("labels")).get(naming.POOL_LABEL) == pool:
                kept.append(as_applied(obj))
    return kept


def _frozen(strategy: JsonObject, replicas: object) -> JsonObject:
    """A rolling update strategy whose partition lets no pod move."""
    rolling = as_object(strategy.get("rollingUpdate"))
    partition = rolling.get("partition", 0)
    if strategy.get("type", "RollingUpdate") != "RollingUpdate" or not isinstance(replicas, int):
        return strategy
    if isinstance(partition, int) and partition >= replicas:
        return strategy
    return {**strategy, "rollingUpdate": {**rolling, "partition": replicas}}
