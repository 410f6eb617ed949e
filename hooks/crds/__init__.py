"""The CustomResourceDefinitions in `crds/`, generated from the pydantic models the hooks read.

One source of truth: a spec field exists in the CRD because it exists in a model, with what the
model says about it. `make crds` rewrites `crds/*.yaml`; a test fails when they differ from what
the models generate. Nothing here runs while serving.

How a model field reaches the CRD (`hooks.crds.openapi` turns pydantic's JSON Schema into a
structural OpenAPI schema):

- `Field(description=...)` is the field's `kubectl explain` text; every field has one.
- Constraints (`ge`, `le`, `min_length`, `max_length`, `pattern`, `Literal`/`StrEnum` choices)
  become `minimum`, `maxLength`, `pattern`, `enum`, ... and bind the hook as well as the API
  server. Patterns are RE2-compatible (no look-around): pydantic, the API server and CEL agree.
- A scalar or list default is the CRD's default. A default model instance is not (the API server
  would store every field of it); `json_schema_extra=defaulted()` asks for `default: {}` so
  that the API server fills the object's own defaults.
- `json_schema_extra` carries what pydantic cannot say: `rules(...)` (CEL
  `x-kubernetes-validations`), `int32`/`int64` formats (`Int32`, `Int64`), list-map keys
  (`list_map("name")`), and bounds that only the CRD should enforce.
- `dict[str, Any]` (and models with `extra="allow"`) keep unknown fields
  (`x-kubernetes-preserve-unknown-fields`): Kubernetes objects passed through to children and
  Pinot's own JSON documents.
- `X | None = None` is an optional field (no `nullable`: the API server drops a null).

Descriptions come from `Field(description=...)` only; model docstrings are for developers.
"""
