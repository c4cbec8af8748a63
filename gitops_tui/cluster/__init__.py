"""Cluster access: the console's eyes and hands on Kubernetes, through the official `kubernetes` client.

    kubeconfig.py  load_kubeconfig(), KubeConfig.context_for_destination()   (kubectl's merge rules)
    clusters.py    Clusters: one ClusterClient and one LiveCache per context
    client.py      ClusterClient: get / list / apply (server-side) / delete / ensure_namespace (blocking)
    discovery.py   RESTMapper: group/version/kind → resource plural and scope
    cache.py       LiveCache: list+watch threads, indexes by key / app / owner, events on the asyncio loop
    watch.py       WatchWorker: one thread per watched (resource, namespace)
    store.py       ObjectStore: objects kept once as compact JSON, indexes hold keys
    tracking.py    tracking annotation parsing and stamping (Argo CD's value format)
    errors.py      typed errors (ForbiddenError, ConflictError, ReadOnlyError, UnknownKindError, ...)

Submodules are imported directly (`from gitops_tui.cluster.cache import LiveCache`): importing this package
does not load the kubernetes client.
"""
