"""A deterministic simulator of Metacontroller and the Kubernetes parts our hooks depend on.

The real FastAPI app (`hooks.app.create_app`) is called over HTTP through `httpx.ASGITransport`;
everything around it is simulated in-process, in small modules that each cite the section of
the project's Metacontroller hook contract notes (here "the contract": what Metacontroller v4.17
sends and does with answers, drawn from its `pkg/controller/composite`, `pkg/dynamic/apply` and
`docs/src/api` sources) they implement:

- `clock`: simulated time, advanced in steps; it is also the app's clock.
- `kinds`: the resource types the simulator knows (built-ins and the CRDs in `crds/`).
- `merge`: Metacontroller's dynamic-apply three-way merge (contract §3 "Applying children").
- `defaults`: what the API server fills in and canonicalises on write.
- `apiserver`: an object store with generations, resourceVersions, immutable fields, CRD
  pruning/defaulting/validation, finalizers and background garbage collection.
- `controllers`: the StatefulSet and Job controllers (Pods, revisions, readiness, Job outcomes).
- `manifests`: the CompositeControllers read from `metacontroller/` at test time.
- `hookclient`: HTTP calls into the app.
- `metacontroller`: requests (v1 and v2), strict response decoding, child management, parent
  status, finalizers and resyncs (contract §§1-3).
- `world`: the whole thing wired together, stepped in time.
- `invariants`: checks run after every sync (fixed point, rollout order, immutable fields,
  condition shape).
- `pinotjobs`: Jobs that run the product's CLI in-process, against the fake Pinot.
- `specs`, `strategies`, `budget`: PinotCluster builders, Hypothesis strategies, example counts.

Randomness is seeded (the order of objects in request maps, for instance); no wall clock is read.
"""
