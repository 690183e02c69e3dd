"""The handbook API: BM25 retrieval, district awareness, administrator edits without restart, seeding."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.handbook import seed as handbook_seed
from backoffice.handbook.models import HandbookEntry
from common.db import make_engine
from tests.conftest import backoffice_test_client, seeded_backoffice

TOKEN = "handbook-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAQ_KEYS = (
    "funeral",
    "disability",
    "child_welfare",
    "charity",
    "social_org",
    "service_center",
    "homeless_help",
    "adoption",
    "volunteer",
)


@pytest.fixture(scope="module")
def backoffice_url(tmp_path_factory) -> str:
    return seeded_backoffice(tmp_path_factory, "handbook")


@pytest.fixture
def client(backoffice_url, monkeypatch):
    return backoffice_test_client(backoffice_url, TOKEN, monkeypatch)


def search(client, q, **params):
    return client.get("/handbook/search", query_string={"q": q, **params}, headers=AUTH).json["results"]


def test_every_faq_topic_and_the_issue_list_is_covered(client):
    entries = client.get("/handbook/entries", headers=AUTH).json["entries"]
    assert set(FAQ_KEYS) <= {e["topic"] for e in entries}
    text = "".join(e["title"] + e["body"] for e in entries)
    for must in (
        "惠民殡葬",
        "生态安葬",
        "祭扫",
        "两项补贴",
        "康复辅具",
        "困境儿童",
        "孤儿",
        "110",
        "慈善超市",
        "捐赠",
        "年检",
        "社会组织登记",
        "全市通办",
        "救助管理站",
        "收养",
        "志愿者",
        "时间银行",
        "结婚登记",
        "离婚",
        "低保",
        "特困",
        "临时救助",
    ):
        assert must in text, must
    assert all(e["source"] and e["effective_date"] for e in entries)


@pytest.mark.parametrize(
    "question,topic,title_part",
    [
        ("海葬有补贴吗", "funeral", "生态安葬"),
        ("清明节扫墓要预约吗", "funeral", "祭扫"),
        ("我妈走了丧葬费能报销吗", "funeral", "惠民殡葬"),
        ("残疾人护理补贴怎么申请", "disability", "两项补贴"),
        ("想租个轮椅", "disability", "康复辅具"),
        ("孤儿能领多少钱", "child_welfare", "孤儿"),
        ("想捐点旧衣服", "charity", "慈善超市"),
        ("社会组织年检什么时候", "social_org", "年检"),
        ("受理中心几点开门", "service_center", "受理服务中心"),
        ("救助站电话多少", "homeless_help", "流浪乞讨"),
        ("想领养个孩子", "adoption", "收养"),
        ("时间银行是什么", "volunteer", "时间银行"),
    ],
)
def test_questions_find_their_entry(client, question, topic, title_part):
    results = search(client, question, topic=topic)
    assert results and title_part in results[0]["title"], [r["title"] for r in results]


@pytest.mark.parametrize(
    "question,topic,title_part",
    [
        ("收養登記要什麼條件", "adoption", "收养"),  # traditional characters
        ("时间银航是什么", "volunteer", "时间银行"),  # same-sound misspellings
        ("惠民宾葬怎么报消", "funeral", "惠民殡葬"),
        ("康复辅俱租凭怎么弄", "disability", "康复辅具"),
        ("阿拉屋里老头子过世了，火葬场额铜钿好减伐", "funeral", "惠民殡葬"),  # Shanghainese
        ("我退休了屋里厢呒没事体，想去做做义工，哪能报名", "volunteer", "志愿者"),
        ("我家老头子上个礼拜走了那个火化丧葬的费用政府是不是可以报一部分", "funeral", "惠民殡葬"),  # voice
        # a story before the question
        ("我老伴中风了以后走不了路，听说可以租轮椅和护理床，便宜一点，是在哪里租的", "disability", "康复辅具"),
        (
            "我是孩子的舅舅，孩子爸妈前年车祸都走了，现在孩子跟着我外婆过，外婆年纪也大了，孩子上初中，"
            "我想问问像这种没人抚养的孩子国家有没有生活费",
            "child_welfare",
            "孤儿",
        ),
        ("天桥下面总有个流浪的人，想帮他应该找哪里", "homeless_help", "流浪乞讨"),
        ("全市通办是什么意思，我能在别的区办吗", "service_center", "全市通办"),
    ],
)
def test_questions_as_residents_write_them_find_their_entry(client, question, topic, title_part):
    results = search(client, question, topic=topic)
    assert results and title_part in results[0]["title"], [r["title"] for r in results]


def test_district_entries_only_for_their_district(client):
    baoshan = search(client, "海葬有补贴吗", topic="funeral", district="宝山区")
    assert baoshan[0]["district_code"] == "310113" and all(r["district_code"] in (None, "310113") for r in baoshan)
    putuo = search(client, "海葬有补贴吗", topic="funeral", district="310107")
    assert putuo[0]["district_code"] == "310107"
    by_openid = search(
        client, "受理中心地址", topic="service_center", openid="oDEMO_resident_0001"
    )  # a 普陀区 resident
    assert all(r["district_code"] in (None, "310107") for r in by_openid)
    assert any(r["district_code"] == "310107" for r in by_openid)


def test_questions_the_handbook_cannot_answer_get_nothing(client):
    assert search(client, "墓地能不能分期付款", topic="funeral") == []
    assert search(client, "骨灰盒多少钱", topic="funeral") == []
    # a story does not make a question the handbook cannot answer answerable
    assert search(client, "我老伴走了，骨灰盒在哪里买最便宜", topic="funeral") == []
    assert search(client, "我家孩子上学，想问问有没有补助", topic="child_welfare") == []
    assert search(client, "我儿子上初中了，学费能不能减免", topic="child_welfare") == []
    assert search(client, "今天天气怎么样") == []
    assert client.get("/handbook/search", headers=AUTH).status_code == 400


def test_an_administrators_edit_changes_the_next_answer(client):
    before = search(client, "救助站电话多少", topic="homeless_help")[0]
    resp = client.patch(
        f"/handbook/entries/{before['id']}",
        json={"contact": "上海市救助管理站 021-99990000（新号码）"},
        headers={**AUTH, "X-Editor": "王科长"},
    )
    assert (
        resp.status_code == 200
        and resp.json["version"] == before["version"] + 1
        and resp.json["updated_by"] == "王科长"
    )
    after = search(client, "救助站电话多少", topic="homeless_help")[0]
    assert after["contact"] == "上海市救助管理站 021-99990000（新号码）"
    created = client.post(
        "/handbook/entries",
        headers=AUTH,
        json={
            "topic": "funeral",
            "title": "骨灰盒购买指引",
            "body": "骨灰盒可以在殡仪馆或正规殡葬用品店购买，价格从几百元到几千元不等。",
            "source": "区殡葬管理所",
            "effective_date": "2026-01-01",
            "keywords": ["骨灰盒"],
            "district": "普陀区",
        },
    )
    assert created.status_code == 201 and created.json["district_code"] == "310107"
    assert search(client, "骨灰盒在哪里买", topic="funeral", district="310107")[0]["title"] == "骨灰盒购买指引"
    assert (
        search(client, "骨灰盒在哪里买", topic="funeral", district="310113") == []
        or search(client, "骨灰盒在哪里买", topic="funeral", district="310113")[0]["title"] != "骨灰盒购买指引"
    )
    assert client.delete(f"/handbook/entries/{created.json['id']}", headers=AUTH).status_code == 204
    assert client.get(f"/handbook/entries/{created.json['id']}", headers=AUTH).status_code == 404


def test_invalid_edits_are_refused_in_chinese(client):
    resp = client.post(
        "/handbook/entries", json={"topic": "Funeral!", "title": "x", "body": "y", "source": "z"}, headers=AUTH
    )
    assert resp.status_code == 400 and resp.json["error"] == "invalid" and "topic" in resp.json["message"]
    resp = client.post("/handbook/entries", json={"topic": "funeral", "title": "x"}, headers=AUTH)
    assert resp.status_code == 400 and "不能为空" in resp.json["message"]
    first = client.get("/handbook/entries", headers=AUTH).json["entries"][0]
    assert (
        client.patch(f"/handbook/entries/{first['id']}", json={"effective_date": "明年"}, headers=AUTH).status_code
        == 400
    )
    assert client.patch("/handbook/entries/999999", json={}, headers=AUTH).status_code == 404
    assert client.post("/handbook/entries", json={"topic": "funeral"}).status_code == 401


def test_reseeding_keeps_administrators_edits(backoffice_url):
    engine = make_engine(backoffice_url)
    with Session(engine) as sess, sess.begin():
        edited = sess.scalar(select(HandbookEntry).where(HandbookEntry.slug == "adoption-registration"))
        edited.body, edited.updated_by = "管理员改过的正文", "admin"
        untouched = sess.scalar(select(HandbookEntry).where(HandbookEntry.slug == "volunteer-register"))
        untouched.body = "被误改"
        count = sess.query(HandbookEntry).count()
    with Session(engine) as sess, sess.begin():
        handbook_seed.load(sess)
    with Session(engine) as sess:
        assert sess.query(HandbookEntry).count() == count
        assert (
            sess.scalar(select(HandbookEntry.body).where(HandbookEntry.slug == "adoption-registration"))
            == "管理员改过的正文"
        )
        assert sess.scalar(select(HandbookEntry.body).where(HandbookEntry.slug == "volunteer-register")) != "被误改"
