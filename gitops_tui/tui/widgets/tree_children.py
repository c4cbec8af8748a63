"""The tree's child rows: what controllers made below a resource (Deployment → ReplicaSets → Pods), as values.

The children come from the reconciler's `resource_tree(app, key)` (the live cache's owner index), read when
a resource is opened and again while it stays open, since a Pod coming and going does not change the
app's compared state. Old ReplicaSets scaled to zero are rollout history: they fold into one dim row
("3 old ReplicaSets (scaled to 0)") that opens on enter, so the running ReplicaSet and its Pods lead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gitops_tui.engine.resource_tree import TreeNode
from gitops_tui.model import ResourceKey

ChildrenReader = Callable[[str, ResourceKey], Sequence[TreeNode]]
"""`Reconciler.resource_tree`: the nodes below one of an app's resources, depth first."""

PARENT_KINDS = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
    }
)
"""Kinds whose objects controllers make children for: their rows open (▸) to show them."""

SHORT_KIND = {"ReplicaSet": "rs", "Pod": "pod", "Job": "job", "ControllerRevision": "rev"}
"""kubectl's short names, so a child row's kind costs a few cells of the name column."""

NodeRef = tuple[str, ResourceKey]
"""(app, resource key)."""


def can_have_children(key: ResourceKey) -> bool:
    return (key.group, key.kind) in PARENT_KINDS


@dataclass
class ChildrenView:
    """Which resources are open to their children, the children last read, and what the user folded."""

    opened: set[NodeRef] = field(default_factory=set)
    nodes: dict[NodeRef, tuple[TreeNode, ...]] = field(default_factory=dict)
    closed: set[NodeRef] = field(default_factory=set)
    """Child nodes the user closed (children show open by default: a ReplicaSet's Pods are the point)."""
    show_retired: set[NodeRef] = field(default_factory=set)
    """Resources whose old, scaled-to-zero ReplicaSets the user unfolded."""

    def read(self, reader: ChildrenReader | None, ref: NodeRef) -> bool:
        """Read the children of an open resource again; True when they changed."""
        if reader is None:
            return False
        try:
            fresh = tuple(reader(*ref))
        except Exception:  # the app went away or its cluster is not known yet: nothing to show, not a crash
            fresh = ()
        if self.nodes.get(ref) == fresh:
            return False
        self.nodes[ref] = fresh
        return True

    def forget_app(self, app: str) -> None:
        for ref in [r for r in self.opened if r[0] == app]:
            self.opened.discard(ref)
            self.nodes.pop(ref, None)


@dataclass(frozen=True)
class ChildLine:
    """One row below a resource: a node, or the fold of its old ReplicaSets (`node` None)."""

    root: ResourceKey
    """The app's resource this row hangs under."""
    node: TreeNode | None
    depth: int
    parent: ResourceKey
    folded: int = 0
    """For the fold row: how many old ReplicaSets it stands for."""

    @property
    def key(self) -> ResourceKey:
        return self.node.key if self.node is not None else self.parent


def child_lines(app: str, root: ResourceKey, view: ChildrenView) -> list[ChildLine]:
    """The rows under an open resource: nodes depth first; closed nodes hide theirs; old ReplicaSets folded."""
    nodes = view.nodes.get((app, root), ())
    lines: list[ChildLine] = []
    hidden_below: int | None = None  # depth of a closed node whose subtree is being skipped
    retired: dict[ResourceKey, list[TreeNode]] = {}
    for node in nodes:
        if hidden_below is not None:
            if node.depth > hidden_below:
                continue
            hidden_below = None
        if node.retired and (app, root) not in view.show_retired:
            retired.setdefault(node.parent, []).append(node)
            continue
        lines.append(ChildLine(root, node, node.depth, node.parent))
        if (app, node.key) in view.closed:
            hidden_below = node.depth
    folded = sum(len(members) for members in retired.values())
    if folded:  # after the live ones: history comes last (old ReplicaSets hang off the Deployment)
        parent = next(iter(retired))
        lines.append(ChildLine(root, None, retired[parent][0].depth, parent, folded))
    return lines


def has_children(app: str, line: ChildLine, view: ChildrenView) -> bool:
    if line.node is None:
        return False
    return any(node.parent == line.node.key for node in view.nodes.get((app, line.root), ()))


def child_label(line: ChildLine) -> str:
    if line.node is None:
        plural = "s" if line.folded != 1 else ""
        return f"{line.folded} old ReplicaSet{plural}"
    key = line.node.key
    return f"{SHORT_KIND.get(key.kind, key.kind)} {key.name}"


def fit_name(label: str, room: int) -> str:
    """Cut the middle of the name, not the end (sibling Pods differ in their last characters); a short kind
    prefix ("pod ", "rs ") stays whole."""
    if len(label) <= room:
        return label
    kind, _, name = label.partition(" ")
    prefix = f"{kind} " if name and kind in SHORT_KIND.values() and room > len(kind) + 4 else ""
    name = label[len(prefix) :]
    space = room - len(prefix)
    if space <= 1:
        return label[:room]
    head = max(1, (space - 1) // 3)
    tail = space - 1 - head
    return prefix + name[:head] + "…" + name[len(name) - tail :]
