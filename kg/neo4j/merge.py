"""Merge rules: what a second load does to what the database already holds.

Pure functions, the same for the driver load and any other writer; the rules and their
limits are in docs/neo4j.md ("Merge rules").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..normalize import choose_name, choose_title, is_abbreviation, is_expansion, pmid_sort_key

__all__ = ["NAME_KEYS", "merge_entity", "merge_relationship", "merge_title", "none_if_empty"]


def none_if_empty(value: Any) -> Any:
    """An empty list or string is stored as no property (as neo4j-admin import does).

    >>> none_if_empty([]), none_if_empty(""), none_if_empty(["1"]), none_if_empty(0)
    (None, None, ['1'], 0)
    """
    return None if value == [] or value == "" else value


def _sorted_pmids(pmids: Iterable[str]) -> list[str]:
    return sorted(set(pmids), key=pmid_sort_key)


def _merged_name(old: str | None, new: str | None, synonyms: dict[str, int]) -> str | None:
    """The name after a merge: a name that is no mention form (a vocabulary's) stays;
    otherwise kg's own rule (:func:`~kg.normalize.choose_name`) over the merged counts
    (the database does not keep which forms were in titles)."""
    if not synonyms:
        return old or new
    for name in (new, old):
        if name and name not in synonyms:
            return name
    # The database keeps no texts: a stored long-form name stands for the pairing that chose it.
    pairs = [(short, name) for name in (old, new) if name and not is_abbreviation(name)
             for short in synonyms if is_abbreviation(short) and is_expansion(short, name)]
    return choose_name({form: [count, count] for form, count in synonyms.items()}, pairs)


#: Entity properties from the vocabularies (kg.vocab); in a merge's result only when a side has them.
NAME_KEYS = ("name_source", "symbol", "full_name", "xrefs")
_NAME_RANK = {"pubtator3": 0, "vocabulary": 1, "builtin": 2}  # "mentions": the vote of the synonyms


def _with_vocabulary_names(old: dict[str, Any] | None, new: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """A name from PubTator3 or a vocabulary beats the mentions' vote (the stronger source
    wins, the incoming one on a tie); ``symbol``/``full_name`` the incoming ones when
    given; ``xrefs`` the union, stored ones first."""
    old = old or {}
    if all(old.get(k) is None and new.get(k) is None for k in NAME_KEYS):
        return out
    best = min((new, old), key=lambda d: _NAME_RANK.get(d.get("name_source"), len(_NAME_RANK)))
    if best.get("name_source") in _NAME_RANK:
        out["name"], out["name_source"] = best.get("name"), best["name_source"]
    else:
        out["name_source"] = new.get("name_source") or old.get("name_source")
    out["symbol"] = new.get("symbol") or old.get("symbol")
    out["full_name"] = new.get("full_name") or old.get("full_name")
    out["xrefs"] = none_if_empty(list(dict.fromkeys([*(old.get("xrefs") or []), *(new.get("xrefs") or [])])))
    return out


def merge_entity(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The properties an entity gets when `new` is loaded onto `old` (``None``: absent).

    Both are property dicts (``type, name, synonyms, synonym_counts, mentions, pmids``);
    the result has the same keys, empty values as ``None``. See docs/neo4j.md for
    the rules.

    >>> old = {"type": "Disease", "name": "lupus", "synonyms": ["lupus", "SLE"],
    ...        "synonym_counts": [2, 1], "mentions": 3, "pmids": ["2", "10"]}
    >>> merge_entity(old, dict(old, pmids=["10"])) == old  # a reload changes nothing
    True
    >>> m = merge_entity(old, {"type": "Gene", "name": "SLE", "synonyms": ["SLE"],
    ...                        "synonym_counts": [4], "mentions": 4, "pmids": ["9"]})
    >>> m["pmids"], m["mentions"], m["synonyms"], m["synonym_counts"], m["type"], m["name"]
    (['2', '9', '10'], 7, ['SLE', 'lupus'], [5, 2], 'Disease', 'SLE')
    """
    keys = ("type", "name", "synonyms", "synonym_counts", "mentions", "pmids")
    given_old, given_new = old, new
    new = {k: none_if_empty(new.get(k)) for k in keys}
    if old is None:
        return _with_vocabulary_names(None, given_new, new)
    old = {k: old.get(k) for k in keys}
    old_pmids = old["pmids"] or []
    new_pmids = new["pmids"] or []
    if set(new_pmids) <= set(old_pmids):  # a reload: only fill what is missing
        out = dict(old)
        for k in ("type", "name"):
            if out[k] is None:
                out[k] = new[k]
        return _with_vocabulary_names(given_old, given_new, out)
    synonyms: dict[str, int] = {}
    for forms, counts in ((old["synonyms"], old["synonym_counts"]), (new["synonyms"], new["synonym_counts"])):
        for form, count in zip(forms or [], counts or []):
            synonyms[form] = synonyms.get(form, 0) + int(count)
    synonyms = dict(sorted(synonyms.items(), key=lambda fc: (-fc[1], fc[0])))
    return _with_vocabulary_names(given_old, given_new, {
        "type": old["type"] or new["type"],
        "name": _merged_name(old["name"], new["name"], synonyms),
        "synonyms": none_if_empty(list(synonyms)),
        "synonym_counts": none_if_empty(list(synonyms.values())),
        "mentions": (old["mentions"] or 0) + (new["mentions"] or 0),
        "pmids": none_if_empty(_sorted_pmids([*old_pmids, *new_pmids])),
    })


def merge_relationship(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``pmids``, ``count`` and ``source_types`` of a relationship after loading `new`.

    >>> merge_relationship({"pmids": ["10", "2"], "source_types": ["CID"]},
    ...                    {"pmids": ["3"], "source_types": []})
    {'pmids': ['2', '3', '10'], 'count': 3, 'source_types': ['CID']}
    """
    pmids = _sorted_pmids([*((old or {}).get("pmids") or []), *(new.get("pmids") or [])])
    types = sorted({*((old or {}).get("source_types") or []), *(new.get("source_types") or [])})
    return {"pmids": none_if_empty(pmids), "count": len(pmids), "source_types": none_if_empty(types)}


def merge_title(old: str | None, new: str | None) -> str | None:
    """The title kept for an article: :func:`~kg.normalize.choose_title` (order-independent).

    >>> merge_title("Short.", "A longer title."), merge_title(None, ""), merge_title("B", "A")
    ('A longer title.', None, 'B')
    """
    return choose_title(old or None, new) if new else old or None
