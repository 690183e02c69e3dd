"""Funeral benefits (惠民殡葬) and 残疾人两项补贴 take documents by photo as assistance applications do
(docs/documents.md): the back-office's benefit applications name their documents, the platform reads
them (``BenefitApplications``), one person's cases made together share a photo of a kind both need, and
the answer to "还缺什么材料" is read from the documents."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select

from tests.documents.conftest import JPEG, PDF, PNG
from web.conversations.models import Conversation
from web.documents.intake import TEXTS
from web.documents.missing import TEXTS as ANSWERS
from web.documents.models import Document

LIVING = ["disability_card", "id_card", "hukou", "assistance_certificate", "bank_card"]
CARE = ["disability_card", "id_card", "hukou", "bank_card"]
WAIVER = ["death_certificate", "id_card", "hukou"]


def _cases(stack, *programmes: tuple[str, list[str]], openid: str = "", subject: str = "") -> tuple[str, list[str]]:
    """A resident bound to a new openid (or ``openid``), with benefit cases for one person (``subject``,
    else the resident themself): (programme, document codes) each; the case numbers, oldest first."""
    from backoffice.benefits.models import BenefitApplication
    from backoffice.residents.models import Resident, WechatBinding

    openid = openid or "o" + uuid.uuid4().hex[:27]
    case_nos = []
    with stack.backoffice_sessions.begin() as sess:
        binding = sess.get(WechatBinding, openid)
        if binding is not None:  # the resident stack.resident() bound
            resident = sess.get(Resident, binding.resident_id)
        else:
            resident = sess.scalars(select(Resident).order_by(Resident.id.desc()).offset(next(stack.taken))).first()
            sess.add(WechatBinding(openid=openid, resident_id=resident.id))
        funeral = subject or f"X{uuid.uuid4().hex[:17]}"  # a deceased's ID number: the same for both benefits
        for programme, codes in programmes:
            disability = programme.startswith("disability")
            app = BenefitApplication(
                idempotency_key=uuid.uuid4().hex,
                programme=programme,
                subject_key=f"resident:{resident.id}" if disability else funeral,
                subject_resident_id=resident.id if disability else None,
                subject_name=resident.name if disability else "王老伯",
                relation="本人" if disability else "父亲",
                details={} if disability else {"id_number": funeral, "death_date": date.today().isoformat()},
                required_documents=codes,
                district_code=resident.hukou_district_code,
                submitted_by_openid=openid,
                submitted_by_resident_id=resident.id,
                status="受理",
                created_at=datetime.now(),
                updated_at=datetime.now(),
            )
            sess.add(app)
            sess.flush()
            app.case_no = f"{'CJ' if disability else 'BZ'}{uuid.uuid4().hex[:8].upper()}{app.id:05d}"
            case_nos.append(app.case_no)
    return openid, case_nos


def _documents(stack, openid: str) -> list[Document]:
    with stack.sessions() as sess:
        return list(sess.scalars(select(Document).where(Document.sender_id == openid).order_by(Document.id)))


def _ask_missing(stack, openid: str) -> str:
    """The ``documents`` side effect, as the router applies it when the bot answers documents_missing."""
    effects = stack.app.extensions["services"].side_effects
    with stack.sessions.begin() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
        if conv is None:
            conv = Conversation(sender_id=openid, channel="wechat", state="bot")
            sess.add(conv)
            sess.flush()
        return effects.handlers["documents"](sess, conv, {"ask": "missing"})


def test_both_disability_subsidies_take_one_photo_of_a_document_both_need(documents_stack):
    stack = documents_stack
    openid, (living, care) = _cases(stack, ("disability_living", LIVING), ("disability_care", CARE))
    both = f"困难残疾人生活补贴申请（{living}）和重度残疾人护理补贴申请（{care}）"

    asked = stack.standin.send_image(openid, JPEG)
    # one person's two cases: each kind once, no application named (there is one errand)
    assert asked.reply.splitlines() == [
        TEXTS["ask"],
        "1. 残疾证",
        "2. 身份证",
        "3. 户口本",
        "4. 低保、低收入或特困供养证明",
        "5. 银行卡或社保卡",
    ]
    said = stack.standin.send_text(openid, "1").reply
    assert (
        said
        == f"收到了，残疾证已经放进您的{both}。还差：身份证、户口本、低保、低收入或特困供养证明、银行卡或社保卡。可以接着拍照发过来。"
    )
    first, copy = _documents(stack, openid)
    assert {(d.application_id, d.kind) for d in (first, copy)} == {
        (living, "disability_card"),
        (care, "disability_card"),
    }
    assert first.storage_key != copy.storage_key and first.sha256 == copy.sha256  # each case keeps its own file
    assert (stack.store_dir / copy.storage_key).read_bytes() == JPEG

    for photo, name in ((PNG, "身份证"), (PDF, "户口本"), (JPEG, "银行卡")):
        stack.standin.send_image(openid, photo)
        stack.standin.send_text(openid, name)
    assert "还差：低保、低收入或特困供养证明" in _ask_missing(stack, openid)
    # only the living subsidy still needs one kind: the next photo is that one, for that case alone
    last = stack.standin.send_image(openid, PNG).reply
    assert (
        last
        == f"收到了，低保、低收入或特困供养证明已经放进您的困难残疾人生活补贴申请（{living}）。"
        + TEXTS["complete_several"]
    )
    kinds = {}
    for doc in _documents(stack, openid):
        kinds.setdefault(doc.application_id, set()).add(doc.kind)
    assert kinds == {living: set(LIVING), care: set(CARE)}
    answer = _ask_missing(stack, openid)
    assert (
        answer.startswith(f"您的{both}：\n已经收到：残疾证、身份证、户口本、银行卡或社保卡、低保")
        and ANSWERS["complete"] in answer
    )
    assert ANSWERS["how"] not in answer


def test_with_a_funeral_case_and_an_assistance_case_open_the_choices_name_the_application(documents_stack):
    stack = documents_stack
    openid, assistance_case = stack.resident()
    _, (waiver,) = _cases(stack, ("funeral_waiver", WAIVER), openid=openid)
    asked = stack.standin.send_image(openid, JPEG).reply.splitlines()
    assert asked == [
        TEXTS["ask"],
        f"1. 身份证（低保申请（{assistance_case}））",
        f"2. 户口本（低保申请（{assistance_case}））",
        f"3. 收入证明（低保申请（{assistance_case}））",
        f"4. 死亡证明（基本殡葬服务费减免申请（{waiver}））",
        f"5. 身份证（基本殡葬服务费减免申请（{waiver}））",
        f"6. 户口本（基本殡葬服务费减免申请（{waiver}））",
    ]
    said = stack.standin.send_text(openid, "死亡证明").reply  # the name alone is one choice
    assert said.startswith(f"收到了，死亡证明已经放进您的基本殡葬服务费减免申请（{waiver}）。还差：身份证、户口本。")
    assert [(d.application_kind, d.application_id, d.kind) for d in _documents(stack, openid)] == [
        ("funeral", waiver, "death_certificate")
    ]
    answer = _ask_missing(stack, openid)
    assert f"您的低保申请（{assistance_case}）：\n{ANSWERS['nothing_yet']}\n还差：身份证、户口本、收入证明" in answer
    assert f"您的基本殡葬服务费减免申请（{waiver}）：\n已经收到：死亡证明\n还差：身份证、户口本" in answer
    assert answer.endswith(ANSWERS["how"])


def test_both_funeral_benefits_of_one_deceased_share_their_photos(documents_stack):
    stack = documents_stack
    eco = ["death_certificate", "cremation_certificate", "eco_burial_certificate", "id_card", "bank_card"]
    openid, (waiver, burial) = _cases(stack, ("funeral_waiver", WAIVER), ("eco_burial", eco))
    asked = stack.standin.send_image(openid, JPEG).reply.splitlines()
    assert asked[1:] == [
        "1. 死亡证明",
        "2. 身份证",
        "3. 户口本",
        "4. 火化证明",
        "5. 生态安葬证明（安葬凭证）",
        "6. 银行卡或社保卡",
    ]
    stack.standin.send_text(openid, "1")
    assert sorted(d.application_id for d in _documents(stack, openid)) == sorted([waiver, burial])


def test_no_application_or_not_verified_is_told_what_each_application_needs(documents_stack):
    stack = documents_stack
    verified, _ = stack.resident(case_no="")
    answer = _ask_missing(stack, verified)
    assert answer.startswith(ANSWERS["no_application"])
    assert "· 低保：身份证、户口本、收入证明" in answer
    assert "· 基本殡葬服务费减免：死亡证明、身份证、户口本" in answer
    assert "· 重度残疾人护理补贴：残疾证、身份证、户口本、银行卡或社保卡" in answer
    assert answer.endswith(ANSWERS["start"])

    stranger = "o" + uuid.uuid4().hex[:27]
    answer = _ask_missing(stack, stranger)
    assert answer.startswith(ANSWERS["not_verified"]) and "· 低保：身份证、户口本、收入证明" in answer
    assert "点这里进行实名认证" in answer  # the link, which resumes with this question once verified


def test_a_closed_case_takes_no_more_photos(documents_stack):
    from backoffice.benefits.models import BenefitApplication

    stack = documents_stack
    openid, (care,) = _cases(stack, ("disability_care", CARE))
    with stack.backoffice_sessions.begin() as sess:
        sess.scalar(select(BenefitApplication).where(BenefitApplication.case_no == care)).status = "发放"
    assert stack.standin.send_image(openid, JPEG).reply == TEXTS["no_application"]
    assert _documents(stack, openid) == []
