"""The agent's disk outbox for ratings."""

import time
from pathlib import Path

from drivers.outbox import Outbox


def rating(uid: str, ticket: str) -> dict[str, object]:
    return {"type": "rating", "uid": uid, "ticket_id": ticket, "level": 4, "reasons": [],
            "at": "2026-11-23T10:00:00+08:00"}


def test_kept_across_restarts_until_removed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "state" / "outbox.sqlite3")
    box.add(rating("u1", "t1"))
    box.add(rating("u2", "t2"))
    box.add(rating("u1", "t1"))  # the same uid twice is kept once
    box.close()
    box = Outbox(tmp_path / "state" / "outbox.sqlite3")
    assert [m["uid"] for m in box.pending()] == ["u1", "u2"]
    assert box.get("u2") == rating("u2", "t2")
    assert box.remove("u1") and not box.remove("u1")
    assert [m["uid"] for m in box.pending()] == ["u2"]
    assert box.get("u1") is None
    box.close()


def test_rated_tickets_are_remembered_then_forgotten(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", remember_s=0.05)
    box.add(rating("u1", "t1"))
    box.remove("u1")
    assert box.already_rated("t1")  # 一次一评 survives the delivery
    box.forget_rated("t1")
    assert not box.already_rated("t1")
    box.add(rating("u2", "t2"))
    time.sleep(0.1)
    box.add(rating("u3", "t3"))  # adding prunes memories older than remember_s
    assert not box.already_rated("t2") and box.already_rated("t3")
    box.close()
