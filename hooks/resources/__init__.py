"""PinotSchema, PinotTable and PinotTenant: Pinot objects kept in line by Jobs the hooks return.

The hooks never talk to Pinot. Sync answers a ConfigMap holding the desired JSON and a Job that runs
`pinot-control-plane apply`; the Job's name carries a hash of everything the run depends on, so an
unchanged spec never runs twice and every change runs exactly once. The Job's outcome line (read
back from its Pod's termination message) becomes the resource's conditions, with Pinot's own words.

Layering, left to right, each module pure:

    spec -> schema, table, tenant (-> target) -> kinds -> naming -> runs -> jobs
    observation, retry, gates -> status -> context -> sync -> finalize; customize -> routes

`routes` is the only module that reads the environment (the Job image, once).
"""
