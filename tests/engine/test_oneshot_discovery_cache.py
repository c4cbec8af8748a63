"""One-shot `status`/`diff` start from discovery kept on disk (cluster/discovery_cache.py); a copy that is out
of date never changes their answer: the server's 404 makes them compare again with what it serves now."""

from __future__ import annotations

import json

from gitops_tui.cluster.discovery_cache import DiscoveryCache
from tests.engine.test_status_and_diff import World, sandbox, world

__all__ = ["sandbox", "world"]  # fixtures, re-exported for pytest

GADGET = "apiVersion: example.test/v1\nkind: Gadget\nmetadata: {name: spare}\nspec: {size: 3}\n"


def test_a_kind_the_copy_on_disk_names_but_the_server_no_longer_serves(world: World) -> None:
    world.remote.commit({"shop/gadget.yaml": GADGET}, "a gadget of a kind this cluster does not serve")
    code, fresh, err = world.run("status", "shop", "-o", "json", "--no-console")  # writes the copy
    assert code == 0, err
    gadget = next(r for r in json.loads(fresh)["apps"][0]["resources"] if r["kind"] == "Gadget")
    assert gadget["sync"] == "Unknown" and "Gadget" in gadget["reason"]

    copy = DiscoveryCache(world.client.api_client.configuration.host)
    document = json.loads(copy.path.read_text())
    assert "Gadget" not in {row[2] for row in document["resources"]}
    # As if the kind had been served when the copy was written, and its CRD deleted since.
    document["resources"].append(["example.test", "v1", "Gadget", "gadgets", True, ["get", "list", "patch"], True])
    copy.path.write_text(json.dumps(document))

    assert world.run("status", "shop", "-o", "json", "--no-console") == (0, fresh, err)
    assert "Gadget" not in {row[2] for row in json.loads(copy.path.read_text())["resources"]}  # rewritten
    code, out, _ = world.run("diff", "shop", "--no-console")
    assert code == 2 and out == ""  # Unknown, as without the copy
