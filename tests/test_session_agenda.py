"""The running order (议程) of a session: adding, editing, re-ordering and deleting items keeps
positions 1..n; recording offsets must increase with the running order; case items link
published cases only; the session page shows each item with its case, unit, presenter,
duration and a link into the recording. Also the people of a session (speakers, attending units).
"""
from __future__ import annotations

import pytest

from tests.test_sessions import build_world, state


def agenda_of(app, key, ids):
    return state(app)["sessions"][ids[key]]["agenda"]


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))



@pytest.fixture
def admin(auth, world):
    auth.login(world["emails"]["admin"])
    return world


def add(client, session_id, **data):
    form = {"kind": "talk", "org_id": "0", **{k: str(v) for k, v in data.items()}}
    return client.post(f"/admin/sessions/{session_id}/agenda", data=form)


def titles(app, ids, key="planned"):
    rows = agenda_of(app, key, ids)
    assert [p for p, _t in rows] == list(range(1, len(rows) + 1)), rows  # always dense 1..n
    return [t for _p, t in rows]


def item_ids(app, session_id):
    from portal.sessions import services

    with app.app_context():
        return [i.id for i in services.ordered_agenda(services.get_session(session_id))]


def flashed(client, response) -> str:
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_adding_moving_and_deleting_keep_positions_dense(app, client, admin):
    ids = admin["ids"]
    planned = ids["planned"]
    for title in ("第三项", "第四项", "第五项"):
        assert add(client, planned, title=title).status_code == 302
    assert titles(app, ids) == ["主持人开场", "社区食堂助老服务", "第三项", "第四项", "第五项"]
    order = item_ids(app, planned)

    # Moving the first item up is refused, with a message; nothing changes.
    page = flashed(client, client.post(f"/admin/sessions/{planned}/agenda/{order[0]}/move", data={"direction": "up"}))
    assert "已经是第一项，无法上移。" in page
    page = flashed(client, client.post(f"/admin/sessions/{planned}/agenda/{order[-1]}/move",
                                       data={"direction": "down"}))
    assert "已经是最后一项，无法下移。" in page
    assert titles(app, ids) == ["主持人开场", "社区食堂助老服务", "第三项", "第四项", "第五项"]

    client.post(f"/admin/sessions/{planned}/agenda/{order[2]}/move", data={"direction": "up"})
    assert titles(app, ids) == ["主持人开场", "第三项", "社区食堂助老服务", "第四项", "第五项"]
    client.post(f"/admin/sessions/{planned}/agenda/{order[0]}/move", data={"direction": "down"})
    assert titles(app, ids) == ["第三项", "主持人开场", "社区食堂助老服务", "第四项", "第五项"]
    # The position form: the item goes there, the others shift.
    client.post(f"/admin/sessions/{planned}/agenda/{order[4]}/move", data={"position": "1"})
    assert titles(app, ids) == ["第五项", "第三项", "主持人开场", "社区食堂助老服务", "第四项"]
    client.post(f"/admin/sessions/{planned}/agenda/{order[4]}/move", data={"position": "4"})
    assert titles(app, ids) == ["第三项", "主持人开场", "社区食堂助老服务", "第五项", "第四项"]
    for bad in ("0", "6", "x"):
        page = flashed(client, client.post(f"/admin/sessions/{planned}/agenda/{order[4]}/move",
                                           data={"position": bad}))
        assert "位置须在 1 到 5 之间。" in page
    assert titles(app, ids) == ["第三项", "主持人开场", "社区食堂助老服务", "第五项", "第四项"]

    # Deleting renumbers the rest.
    client.post(f"/admin/sessions/{planned}/agenda/{order[1]}/delete")
    assert titles(app, ids) == ["第三项", "主持人开场", "第五项", "第四项"]
    client.post(f"/admin/sessions/{planned}/agenda/{order[2]}/delete")
    assert titles(app, ids) == ["主持人开场", "第五项", "第四项"]

    # The public page follows the same order.
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    assert page.index("主持人开场") < page.index("第五项") < page.index("第四项")


def test_service_insert_at_a_position(app, world):
    from portal.extensions import db
    from portal.sessions import services
    from tests.test_sessions import admin_user

    ids = world["ids"]
    with app.app_context():
        session = services.get_session(ids["planned"])
        services.add_agenda_item(admin_user(), session, services.AgendaData(title="插在最前"), position=1)
        services.add_agenda_item(admin_user(), session, services.AgendaData(title="插在第三"), position=3)
        db.session.commit()
    assert titles(app, ids) == ["插在最前", "主持人开场", "插在第三", "社区食堂助老服务"]


def test_recording_offsets_must_increase_with_the_running_order(app, client, admin):
    ids = admin["ids"]
    planned = ids["planned"]
    order = item_ids(app, planned)
    client.post(f"/admin/sessions/{planned}/agenda/{order[0]}/edit",
                data={"kind": "talk", "title": "主持人开场", "org_id": "0", "recording_offset": "0:00"})
    client.post(f"/admin/sessions/{planned}/agenda/{order[1]}/edit",
                data={"kind": "case", "case_id": str(ids["published2"]), "org_id": "0", "recording_offset": "10:00"})
    before = state(app)

    for offset, message in (("05:00", "录像时间点必须随议程顺序递增且不能重复"),
                            ("10:00", "录像时间点必须随议程顺序递增且不能重复"),
                            ("abc", "录像时间点请写成“分:秒”"),
                            ("1:75:00", "分和秒须小于 60"),
                            ("24:00:00", "录像时间点须在 0:00 到 23:59:59 之间")):
        page = add(client, planned, title="总结", recording_offset=offset)
        assert page.status_code == 422, offset
        assert message in page.get_data(as_text=True), offset
    # Editing the first item to overlap the second is refused too.
    page = client.post(f"/admin/sessions/{planned}/agenda/{order[0]}/edit",
                       data={"kind": "talk", "title": "主持人开场", "org_id": "0", "recording_offset": "15:00"})
    assert page.status_code == 422 and "录像时间点必须随议程顺序递增" in page.get_data(as_text=True)
    # Re-ordering that would put 10:00 before 0:00 is refused.
    page = flashed(client, client.post(f"/admin/sessions/{planned}/agenda/{order[1]}/move",
                                       data={"direction": "up"}))
    assert "调整后录像时间点将不再随议程顺序递增" in page
    assert state(app) == before

    # Later items without an offset are fine; h:mm:ss works; offsets are stored in seconds.
    assert add(client, planned, title="自由交流").status_code == 302
    assert add(client, planned, title="总结", recording_offset="1:05:30").status_code == 302
    from portal.sessions import services

    with app.app_context():
        agenda = services.ordered_agenda(services.get_session(planned))
        assert [i.recording_offset for i in agenda] == [0, 600, None, 3930]
        assert [services.format_offset(i.recording_offset) for i in agenda] == ["00:00", "10:00", "", "1:05:30"]


def test_case_items_link_published_cases_only(app, client, admin):
    ids = admin["ids"]
    planned = ids["planned"]
    before = state(app)
    page = add(client, planned, kind="case", case_id=ids["draft"])
    assert page.status_code == 422
    assert "只能把已发布的案例加入议程" in page.get_data(as_text=True)
    page = add(client, planned, kind="case", case_id="999999")
    assert page.status_code == 422 and "未找到编号为 999999 的案例" in page.get_data(as_text=True)
    page = add(client, planned, kind="case", case_id="")
    assert page.status_code == 422 and "案例分享须选择一个已发布的案例" in page.get_data(as_text=True)
    page = add(client, planned, kind="case", case_id=ids["published2"])
    assert page.status_code == 422 and "该案例已在本场议程中（第 2 项）" in page.get_data(as_text=True)
    page = add(client, planned, kind="talk", title="")
    assert page.status_code == 422 and "请填写议程标题。" in page.get_data(as_text=True)
    assert state(app) == before

    # A case link (as copied from the address bar) prefills the title and the presenting unit.
    assert add(client, planned, kind="case", case_id=f"http://localhost/cases/{ids['published']}",
               presenter="王社工", duration_minutes=15).status_code == 302
    assert titles(app, ids)[-1] == "老旧小区加装电梯议事会"
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    item = page[page.index("老旧小区加装电梯议事会") - 400:]
    assert f'href="/cases/{ids["published"]}"' in item
    assert f'href="/orgs/{ids["unit"]}">贵阳市阳光社工服务中心</a>' in item
    assert "分享人：王社工" in item and "15 分钟" in item


def test_session_page_links_into_the_recording(app, client, world):
    from portal.extensions import db
    from portal.sessions import services
    from tests.test_sessions import admin_user

    ids = world["ids"]
    page = client.get(f"/sessions/{ids['archived']}").get_data(as_text=True)
    # recording https://video.example.org/watch?v=abc, the case item at 12:30 (750 s); an unknown
    # platform gets the start time as a fragment, which never changes what its server is asked for.
    assert 'href="https://video.example.org/watch?v=abc#t=750"' in page
    assert "观看回放（从 12:30 开始）" in page
    # The talk has no offset: no link for it.
    assert page.count("观看回放（从") == 1
    with app.app_context():
        session = services.get_session(ids["archived"])
        services.update_record(admin_user(), session, services.RecordData(
            recording_url="https://cdn.example.org/replay.mp4", participants=300))
        db.session.commit()
    page = client.get(f"/sessions/{ids['archived']}").get_data(as_text=True)
    assert 'href="https://cdn.example.org/replay.mp4#t=750"' in page


def test_agenda_item_of_a_case_later_archived_keeps_its_title_without_link(app, client, world):
    from portal.cases.models import Case
    from portal.cases.services import transition
    from portal.extensions import db
    from tests.test_sessions import admin_user

    ids = world["ids"]
    with app.app_context():
        transition(admin_user(), db.session.get(Case, ids["published"]), "archive")
        db.session.commit()
    page = client.get(f"/sessions/{ids['archived']}").get_data(as_text=True)
    assert "老旧小区加装电梯议事会" in page
    assert f'href="/cases/{ids["published"]}"' not in page


# People ----------------------------------------------------------------------------------------------

def test_speakers_link_only_active_reviewers(app, client, admin, factory):
    ids = admin["ids"]
    planned = ids["planned"]
    plain_id, _email = factory.user(name="普通用户")
    before = state(app)
    page = client.post(f"/admin/sessions/{planned}/speakers", data={"role": "commentator", "user_id": str(plain_id)})
    assert page.status_code == 422 and "只能关联在册的点评专家。" in page.get_data(as_text=True)
    page = client.post(f"/admin/sessions/{planned}/speakers", data={"role": "boss", "name": "某人", "user_id": "0"})
    assert page.status_code == 422 and "请选择角色" in page.get_data(as_text=True)
    page = client.post(f"/admin/sessions/{planned}/speakers", data={"role": "remarks", "name": "", "user_id": "0"})
    assert page.status_code == 422 and "请填写姓名。" in page.get_data(as_text=True)
    assert state(app) == before

    for role, name in (("host", "张主持"), ("remarks", "李会长"), ("summary", "陈秘书长")):
        client.post(f"/admin/sessions/{planned}/speakers", data={"role": role, "name": name, "affiliation": "促进会",
                                                                 "user_id": "0"})
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    speakers = page[page.index('id="speakers"'):page.index('id="agenda"')]
    # Grouped by role in the order 主持, 致辞, 案例分享, 点评, 总结.
    assert speakers.index("主持") < speakers.index("致辞") < speakers.index("点评") < speakers.index("总结")
    assert "李会长" in speakers and "（促进会）" in speakers
    assert f'<a href="/experts/{ids["reviewer_id"]}">点评专家甲</a>' in speakers

    # Once the expert role is revoked, the name stays but the link goes.
    from portal.admin.services import revoke_reviewer
    from portal.auth.models import User
    from portal.extensions import db
    from tests.test_sessions import admin_user

    with app.app_context():
        revoke_reviewer(admin_user(), db.session.get(User, ids["reviewer_id"]))
        db.session.commit()
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    assert "点评专家甲" in page and f'href="/experts/{ids["reviewer_id"]}"' not in page


def test_attending_units_must_be_verified(app, client, admin, factory):
    ids = admin["ids"]
    planned = ids["planned"]
    pending = factory.org(admin["emails"]["practitioner"], name="待审核的社工站", status="pending")
    before = state(app)
    response = client.post(f"/admin/sessions/{planned}/orgs", data={"org_ids": [str(ids["unit"]), str(pending)]})
    assert "只能选择已认证的成员单位。" in flashed(client, response)
    assert state(app) == before
    client.post(f"/admin/sessions/{planned}/orgs", data={"org_ids": [str(ids["unit"])]})
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    assert "参会单位" in page and f'href="/orgs/{ids["unit"]}"' in page
    # The close form proposes the number of linked units when no figure was recorded yet.
    close = client.get(f"/admin/sessions/{planned}/close").get_data(as_text=True)
    assert 'name="orgs_count" type="number" value="1"' in close
