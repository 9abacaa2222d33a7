"""AB岗: posts named in the hall configuration; sign-in as B by the named B or an override."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.clock import ManualClock
from server.core import Core
from server.errors import Invalid
from server.halls import flows as hall_flows
from server.halls import service as halls
from tests.conftest import login
from tests.factories import hall_config
from tests.staffing.conftest import ab_windows

H = "/api/v1/halls/h1"


def sign_in(client: TestClient, job_no: str, window: str, post: str) -> int:
    """Sign in and return the status code."""
    r = client.post(f"{H}/windows/{window}/sign-in", json={"post": post},
                    headers=login(client, job_no))
    return r.status_code


def test_a_named_post_is_for_the_named_staff_only(ab_core: Core, client: TestClient) -> None:
    assert sign_in(client, "s4", "2", "B") == 403
    r = client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=login(client, "s3"))
    assert r.status_code == 403 and r.json()["code"] == "post_named"
    assert sign_in(client, "s3", "2", "B") == 200
    assert sign_in(client, "s2", "2", "A") == 200  # the A post takes the window back
    # a window that names nobody (window 1), or a post left unnamed (3's B), is open to all
    assert sign_in(client, "s5", "1", "A") == 200
    assert sign_in(client, "s6", "3", "B") == 200
    assert sign_in(client, "s6", "3", "A") == 403


def test_an_operator_lets_someone_stand_in_for_the_day(ab_core: Core,
                                                       client: TestClient) -> None:
    op = login(client, "op")
    r = client.post(f"{H}/windows/2/post-override",
                    json={"job_no": "s4", "post": "B", "reason": "员工3 病假"}, headers=op)
    assert r.status_code == 201 and r.json()["day"] == "2026-11-23"
    assert sign_in(client, "s4", "2", "B") == 200
    assert sign_in(client, "s5", "2", "B") == 403  # only the one named in the override
    with ab_core.db.read_session() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post_override"))
        assert entry is not None and entry.detail["job_no"] == "s4"
        assert entry.detail["reason"] == "员工3 病假" and entry.window_id is not None
    # staff cannot grant themselves a post; bad requests get clear answers
    s5 = login(client, "s5")
    assert client.post(f"{H}/windows/2/post-override",
                       json={"job_no": "s5", "post": "B", "reason": "x"},
                       headers=s5).status_code == 403
    assert client.post(f"{H}/windows/2/post-override",
                       json={"job_no": "nobody", "post": "B", "reason": "x"},
                       headers=op).status_code == 404
    assert client.post(f"{H}/windows/2/post-override",
                       json={"job_no": "s5", "post": "C", "reason": "x"},
                       headers=op).status_code == 422
    assert client.post(f"{H}/windows/9/post-override",
                       json={"job_no": "s5", "post": "B", "reason": "x"},
                       headers=op).status_code == 404


def test_the_override_lasts_one_day(ab_core: Core, client: TestClient,
                                    clock: ManualClock) -> None:
    client.post(f"{H}/windows/2/post-override",
                json={"job_no": "s4", "post": "B", "reason": "代岗"}, headers=login(client, "op"))
    clock.advance(days=1)
    assert sign_in(client, "s4", "2", "B") == 403


def test_the_counter_and_the_screens_see_who_holds_each_post(ab_core: Core,
                                                           client: TestClient) -> None:
    queue = client.get(f"{H}/queue", headers=login(client, "op")).json()
    w2 = next(w for w in queue["windows"] if w["number"] == "2")
    assert w2["a_staff"] == "员工2" and w2["b_staff"] == "员工3"
    listing = client.get(f"{H}/counter", headers=login(client, "s2"))
    rows = {w["number"]: w for w in listing.json()["windows"]}
    assert rows["2"]["a_staff"] == "员工2" and rows["2"]["b_staff"] == "员工3"
    assert rows["1"]["a_staff"] is None


def test_the_configuration_names_known_staff_and_two_people(core: Core) -> None:
    windows = ab_windows()
    windows[0]["a_staff"] = "ghost"
    with pytest.raises(Invalid, match="ghost"):
        hall_flows.load(core, config=hall_config(windows=windows))
    windows = ab_windows()
    windows[1]["b_staff"] = "s2"
    with pytest.raises(ValidationError, match="two people"):
        hall_config(windows=windows)


def test_export_keeps_the_posts(ab_core: Core) -> None:
    with ab_core.db.read_session() as db:
        exported = halls.export_config(db, halls.get_hall(db, "h1"))
    rows = {w.number: w for w in exported.windows}
    assert (rows["2"].a_staff, rows["2"].b_staff) == ("s2", "s3")
    assert (rows["3"].a_staff, rows["3"].b_staff) == ("s4", None)
