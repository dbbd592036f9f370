"""A cable's REF chain: what it cites and what cites it, followed to a given depth, with which of
those cables the index holds (for ``qa refs``, the app's paragraph view and the MCP server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from qa.corpus.refs import RefLink


class RefSource(Protocol):
    """What a chain is read from (``qa.store.sqlite.Store`` is the real one)."""

    def cites(self, doc_id: str) -> list[RefLink]: ...

    def cited_by(self, doc_id: str) -> list[str]: ...

    def brief(self, doc_id: str) -> dict[str, Any] | None: ...


@dataclass
class ChainNode:
    """One cable in a chain. ``item`` is the REF text that named it (None for the root and for citing
    cables); ``doc_id`` is None for an item that names no cable (a telecon, an e-mail)."""

    doc_id: str | None
    item: str | None = None
    in_index: bool = False
    subject: str | None = None
    created: str | None = None
    origin: str | None = None
    cites: list[ChainNode] = field(default_factory=list)
    cited_by: list[ChainNode] = field(default_factory=list)
    seen_above: bool = False  # already shown higher in the chain: not expanded again

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"doc_id": self.doc_id, "in_index": self.in_index}
        if self.item is not None:
            out["item"] = self.item
        for key in ("subject", "created", "origin"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.seen_above:
            out["seen_above"] = True
        if self.cites:
            out["cites"] = [c.to_json() for c in self.cites]
        if self.cited_by:
            out["cited_by"] = [c.to_json() for c in self.cited_by]
        return out


def _node(source: RefSource, doc_id: str | None, item: str | None = None) -> ChainNode:
    brief = source.brief(doc_id) if doc_id else None
    if brief is None:
        return ChainNode(doc_id, item)
    return ChainNode(brief["doc_id"], item, True, brief.get("subject"), brief.get("created"), brief.get("origin"))


def ref_chain(source: RefSource, doc_id: str, depth: int = 1) -> ChainNode:
    """The chain around ``doc_id``: its REFs and its citing cables, each followed ``depth`` levels in
    its own direction (what the cited cables cite; what cites the citing ones). A cable met twice is
    listed again but not expanded again, so loops end."""
    root = _node(source, doc_id)
    seen = {(root.doc_id or doc_id).upper()}
    level = [root]
    for step in range(max(depth, 1)):
        nxt: list[ChainNode] = []
        for node in level:
            if not node.in_index or node.doc_id is None:
                continue
            if step == 0 or node.item is not None:  # a cited cable: follow what it cites
                for link in source.cites(node.doc_id):
                    child = _node(source, link.ref_id, link.item)
                    child.seen_above = bool(child.doc_id) and child.doc_id.upper() in seen
                    node.cites.append(child)
            if step == 0 or node.item is None:  # a citing cable: follow what cites it
                for citing in source.cited_by(node.doc_id):
                    child = _node(source, citing)
                    child.seen_above = citing.upper() in seen
                    node.cited_by.append(child)
            for child in node.cites + node.cited_by:
                if child.doc_id and not child.seen_above:
                    seen.add(child.doc_id.upper())
                    nxt.append(child)
        level = nxt
    return root


def chain_lines(node: ChainNode, indent: int = 0) -> list[str]:
    """The chain as indented text lines (``qa refs``)."""
    lines: list[str] = []
    if indent == 0:
        head = node.doc_id or "?"
        lines.append(_describe(node, head) if node.in_index else f"{head}  (not in the index)")
    pad = "  " * (indent + 1)
    if node.cites:
        lines.append(f"{pad}cites:")
        for child in node.cites:
            label = f"{child.item} -> {child.doc_id}" if child.doc_id else f"{child.item} (not a cable ID)"
            lines.append(f"{pad}  {_describe(child, label)}")
            lines += chain_lines(child, indent + 2)
    if node.cited_by:
        lines.append(f"{pad}cited by:")
        for child in node.cited_by:
            lines.append(f"{pad}  {_describe(child, child.doc_id or '?')}")
            lines += chain_lines(child, indent + 2)
    return lines


def _describe(node: ChainNode, label: str) -> str:
    if node.doc_id is None:
        return label
    if not node.in_index:
        return f"{label}  (not in the index)"
    bits = [b for b in (node.created[:10] if node.created else None, node.origin, node.subject) if b]
    more = "  [shown above]" if node.seen_above else ""
    return f"{label}  {' | '.join(bits)}{more}".rstrip()
