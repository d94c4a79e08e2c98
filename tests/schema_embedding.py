"""Self-contained schemas (SPEC section 2): where one schema uses another (a customer's tickets, a
report's deductions), the other file is embedded whole in its `$defs`, under the other file's name
(`"$defs": {"ticket.schema.json": {...}}`, referred to as `#/$defs/ticket.schema.json/...`), so a stock
validator checks an output with nothing but the one file.

test_schemas checks that every embedded copy is exactly its source file as it is today; after changing
a schema, `python tests/schema_embedding.py` embeds it anew wherever it is used."""

from __future__ import annotations

import copy
import json
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
SUFFIX = ".schema.json"


def _rewrite(node, change):
    if isinstance(node, dict):
        return {k: change(v) if k == "$ref" and isinstance(v, str) else _rewrite(v, change) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v, change) for v in node]
    return node


def _external(ref: str) -> bool:
    return not ref.startswith("#")


def _to_local(ref: str) -> str:
    """'ticket.schema.json#/properties/channel' -> '#/$defs/ticket.schema.json/properties/channel'."""
    if not _external(ref):
        return ref
    filename, _, pointer = ref.partition("#")
    return f"#/$defs/{filename}{pointer}"


def external_refs(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and _external(node["$ref"]):
            found.add(node["$ref"].partition("#")[0])
        for value in node.values():
            found |= external_refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= external_refs(value)
    return found


def embedded(filename: str, document: dict) -> dict:
    """`document` (the self-contained schema in `filename`) as it sits in another schema's $defs."""
    body = {k: v for k, v in copy.deepcopy(document).items() if k not in ("$schema", "$id")}
    return _rewrite(body, lambda ref: f"#/$defs/{filename}{ref[1:]}")


def self_contained(document: dict, sources: dict) -> dict:
    """The document with every other schema it uses embedded (each of those made self-contained first)."""
    document = copy.deepcopy(document)
    for filename in sorted(external_refs(document)):
        inner = self_contained(sources[filename], sources)
        document.setdefault("$defs", {})[filename] = embedded(filename, inner)
    return _rewrite(document, _to_local)


def refreshed(document: dict, sources: dict) -> dict:
    """The document with the copies it embeds replaced by their sources as they are today."""
    document = copy.deepcopy(document)
    for filename in [key for key in document.get("$defs", {}) if key.endswith(SUFFIX)]:
        document["$defs"][filename] = embedded(filename, refreshed(sources[filename], sources))
    return self_contained(document, sources)


def sources_on_disk() -> dict:
    return {path.name: json.loads(path.read_text("utf-8")) for path in sorted(SCHEMAS.glob("*" + SUFFIX))}


if __name__ == "__main__":
    on_disk = sources_on_disk()
    for name, schema in on_disk.items():
        fresh = refreshed(schema, on_disk)
        if fresh != schema:
            (SCHEMAS / name).write_text(json.dumps(fresh, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print("wrote", name)
