"""The files kept per published version beside an embedded store (competency_kg/store/kept.py),
the one mechanism under the validation report's, the search index's and the hash IRIs' kept
files: a hostile or damaged file, or one of another version, is never served nor a crash;
a write keeps only the current version's file. No store is opened: a published version is
a folder named in ``<store>.versions/CURRENT``, which is all the module reads."""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from competency_kg.store import kept
from competency_kg.store.kept import Kept, KeptFileError
from competency_kg.store.versions import state_token

KIND = Kept("thing", "test thing", 1)


def _publish(store: Path, name: str) -> None:
    """Make ``name`` the store's current published version (as a load does, minus the data)."""
    versions = store.with_name(store.name + ".versions")
    (versions / name).mkdir(parents=True, exist_ok=True)
    (versions / "CURRENT").write_text(name, encoding="utf-8")


def _strict(value: Any) -> dict[str, list[str]]:
    """The caller's decode: an object of arrays of strings, else :class:`KeptFileError`."""
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
    ):
        raise KeptFileError("not arrays of strings")
    return value


class _Touches:
    """A pickle that touches a file when unpickled: what a pickle file could make a reader do."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.mark,))


def _envelope(**change: object) -> bytes:
    doc = {"kind": "thing", "format": 1, "version": "7", "key": "", "value": {"a": ["b"]}}
    doc.update(change)
    return json.dumps(doc).encode()


#: Files never to be served: damaged, hostile, of another kind, format or version, or whose
#: value the caller's decode refuses.
DAMAGES: dict[str, bytes] = {
    "empty": b"",
    "cut short": _envelope()[:30],
    "not UTF-8": b"\xff" + _envelope(),
    "not an object": b"[]",
    "NaN": _envelope(value={"a": float("nan")}),
    "nested too deep": b"[" * 200_000,
    "a number of 5000 digits": b'{"format": ' + b"9" * 5000 + b"}",
    "another kind": _envelope(kind="search"),
    "another format": _envelope(format=0),
    "another version": _envelope(version="6"),
    "another key": _envelope(key="k"),
    "a field more": _envelope(more=1),
    "a value of another shape": _envelope(value={"a": [1]}),
    "a decode that fails otherwise": _envelope(value={"a": ["b"], "crash": ["x"]}),
}


def _decode(value: Any) -> dict[str, list[str]]:
    if "crash" in value:
        raise IndexError("a decoder's own bug")  # not a KeptFileError: still no crash
    return _strict(value)


@pytest.mark.parametrize("damage", [*DAMAGES, "a pickle", "a folder"])
def test_a_damaged_hostile_or_other_versions_file_is_never_served(
    damage: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each file, under the current version's name: None and one log line naming it, no
    exception, a pickle never unpickled; the next write replaces it with a good file.
    Checked by breaking it once: with ``_open`` not comparing the envelope's version,
    "another version" returned the value; with ``read`` catching only ``KeptFileError``, "a
    decode that fails otherwise" and "a folder" raised; with ``pickle.loads`` in place of
    ``json.loads`` the mark was made."""
    store = tmp_path / "store"
    _publish(store, "7")
    target = KIND.file(store, "7")
    target.parent.mkdir()
    mark = tmp_path / "unpickled"
    if damage == "a pickle":
        target.write_bytes(pickle.dumps({"a": _Touches(mark)}))
    elif damage == "a folder":
        target.mkdir()
    else:
        target.write_bytes(DAMAGES[damage])
    with caplog.at_level(logging.INFO, logger=kept.__name__):
        assert KIND.read(store, "7", _decode) is None
    assert not mark.exists()
    lines = [r.getMessage() for r in caplog.records if r.name == kept.__name__]
    assert len(lines) == 1 and target.name in lines[0] and "not used" in lines[0], lines
    assert "\n" not in lines[0]
    if damage != "a folder":
        assert KIND.write(store, "7", {"a": ["b"]}) == target
        assert KIND.read(store, "7", _decode) == {"a": ["b"]}


def test_kept_for_the_published_version_only(tmp_path: Path) -> None:
    """A value is written for the current version only, read back for it, never for another
    (its file is another's, and the envelope names its version); a write removes the kind's
    files of other versions and a stopped writer's temporary file, and leaves a running
    writer's and other kinds' files. A remote store keeps nothing. Checked by breaking it
    once: with ``write`` not comparing the version with the published one, the value
    computed for version 7 was written after 8 was published; with ``_clean`` removing
    every temporary file, the running writer's went too."""
    store = tmp_path / "store"
    _publish(store, "7")
    written = KIND.write(store, "7", {"a": ["b"]})
    assert written is not None and written.name == "thing-7-1.json"
    assert KIND.read(store, "7", _strict) == {"a": ["b"]}
    assert KIND.read(store, "8", _strict) is None  # no file of version 8
    token = state_token(store)
    assert kept.published_at(store, token) == "7"

    _publish(store, "8")  # a load published another version meanwhile
    assert kept.published_at(store, token) is None  # the cache's token is of version 7
    assert KIND.write(store, "7", {"a": ["old"]}) is None  # computed for 7: not kept
    assert KIND.read(store, "7", _strict) == {"a": ["b"]}  # the file of 7 is untouched

    folder = written.parent
    stopped = folder / ".thing-7-1.json.999999999-1.tmp"
    running = folder / f".thing-8-1.json.{os.getpid()}-2.tmp"
    other = folder / "things-7-1.json"  # another kind, of a name that starts alike
    for f in (stopped, running, other):
        f.write_bytes(b"")
    assert KIND.write(store, "8", {"a": ["new"]}, key="k") == folder / "thing-8-1-k.json"
    assert sorted(f.name for f in folder.iterdir()) == sorted(
        ["thing-8-1-k.json", running.name, other.name]
    )
    assert KIND.read(store, "8", _strict) is None  # another key
    assert KIND.read(store, "8", _strict, key="k") == {"a": ["new"]}

    remote = "http://localhost:1/sparql"
    assert KIND.write(remote, "8", {"a": []}) is None and KIND.read(remote, "8", _strict) is None
    assert kept.published(remote) is None


def test_a_value_json_cannot_hold_is_not_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An ``encode`` that fails, or a value JSON has no room for: one log line, nothing
    written, no temporary file left."""
    store = tmp_path / "store"
    _publish(store, "7")
    with caplog.at_level(logging.WARNING, logger=kept.__name__):
        assert KIND.write(store, "7", {"a": {1, 2}}) is None
        assert KIND.write(store, "7", {"a": float("nan")}) is None
    assert len([r for r in caplog.records if "not kept on disk" in r.getMessage()]) == 2
    assert not kept.kept_dir(store).exists()


def test_the_previous_releases_pickled_reports_are_removed(tmp_path: Path) -> None:
    """The previous release kept pickled reports in ``<store>.reports/``; nothing reads them
    now, so a write removes that folder when it holds only such files, and leaves one that
    holds anything else. Checked by breaking it once: with ``_remove_legacy`` not called from
    ``write``, the old folder stayed."""
    store = tmp_path / "store"
    _publish(store, "7")
    legacy = tmp_path / "store.reports"
    legacy.mkdir()
    (legacy / "6-abc.pickle").write_bytes(pickle.dumps({"old": 1}))
    (legacy / ".6-abc.pickle.123.tmp").write_bytes(b"")
    assert KIND.write(store, "7", {"a": ["b"]}) is not None
    assert not legacy.exists()

    legacy.mkdir()
    (legacy / "notes.txt").write_text("a curator's file", encoding="utf-8")
    assert KIND.write(store, "7", {"a": ["c"]}) is not None
    assert (legacy / "notes.txt").exists()


def test_a_load_keeps_for_the_version_it_publishes(tmp_path: Path) -> None:
    """A load writes what it computed for the version it is publishing, before ``CURRENT``
    names it (``write_new``): the current version's file stays for the servers reading it
    until the switch; the versions before it go. A server's write for the current version,
    racing the load, never removes the new version's file. Checked by breaking it once: with
    ``_clean`` removing every version but the one written (as before), the current
    version's file went with the load's write, and the new one with the server's."""
    store = tmp_path / "store"
    _publish(store, "00000000000000000007")
    _publish(store, "00000000000000000008")
    old = KIND.file(store, "00000000000000000007")
    old.parent.mkdir()
    old.write_bytes(b"")  # a file of the version before the current one
    current = KIND.write(store, "00000000000000000008", {"a": ["8"]})
    assert current is not None and not old.exists()

    new = "00000000000000000009"  # its folder written, CURRENT not switched yet
    written = KIND.write_new(store, new, {"a": ["9"]})
    assert written == KIND.file(store, new)
    assert current.exists()  # servers on version 8 still read it
    assert KIND.read(store, "00000000000000000008", _strict) == {"a": ["8"]}
    assert KIND.write(store, "00000000000000000008", {"a": ["8 again"]}) == current
    assert written.exists()  # the server's write left the newer version's file

    _publish(store, new)
    assert KIND.read(store, new, _strict) == {"a": ["9"]}
    assert KIND.write(store, new, {"a": ["9 again"]}) == written
    assert sorted(f.name for f in written.parent.iterdir()) == [written.name]
