"""The benefits API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backoffice.benefits import disability, funeral
from backoffice.benefits.programmes import PROGRAMMES, STATUSES, TOPICS
from backoffice.contract import Request
from backoffice.documents import RequiredDocument


class BenefitReason(Schema):
    rule = fields.String(required=True, metadata={"description": "the rule applied"})
    figure = fields.String(required=True, metadata={"description": "the figure used"})
    text = fields.String(required=True, metadata={"description": "the case against it, in plain Chinese"})


class FuneralPrecheck(Request):
    district = fields.String(
        required=True, metadata={"description": "the deceased's hukou district (code, name or alias), or 外地"}
    )
    status = fields.String(validate=validate.OneOf(funeral.STATUSES), load_default="无")
    burial = fields.String(
        load_default=funeral.UNDECIDED, metadata={"description": "海葬, 树葬, 花坛葬, 草坪葬, 深埋, 壁葬, 墓穴 or 未定"}
    )


class FuneralEstimate(Schema):
    eligible = fields.Boolean(
        required=True, allow_none=True, metadata={"description": "null: the way of burial is not chosen yet"}
    )
    amount = fields.Integer(required=True, metadata={"description": "yuan, once"})
    services = fields.List(fields.String(), metadata={"description": "the basic services waived"})
    reasons = fields.List(fields.Nested(BenefitReason), required=True)


class FuneralPrecheckAnswer(Schema):
    funeral_waiver = fields.Nested(FuneralEstimate, required=True)
    eco_burial = fields.Nested(FuneralEstimate, required=True)
    documents = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(RequiredDocument)),
        required=True,
        metadata={"description": "by programme: the documents to bring"},
    )
    caveat = fields.String(required=True)
    source = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DisabilityEstimate(Schema):
    eligible = fields.Boolean(required=True)
    monthly = fields.Integer(required=True, metadata={"description": "yuan per month"})
    reasons = fields.List(fields.Nested(BenefitReason), required=True)


class DisabilityMember(Schema):
    id = fields.Integer(required=True, metadata={"description": "registry id, for an application's member_id"})
    name = fields.String(required=True, metadata={"description": "masked"})
    self = fields.Boolean(required=True)
    age = fields.Integer()
    grade = fields.Integer(required=True, metadata={"description": "残疾等级 1-4"})
    category = fields.String(
        metadata={"description": "、".join(("视力", "听力", "言语", "肢体", "智力", "精神", "多重"))}
    )
    household_status = fields.String(validate=validate.OneOf((*disability.STATUSES, disability.NONE)))
    receiving = fields.Boolean(required=True, metadata={"description": "the two subsidies are paid already"})
    subsidies = fields.Dict(keys=fields.String(), values=fields.Nested(DisabilityEstimate), required=True)
    open_cases = fields.List(fields.String(), metadata={"description": "case numbers of applications under way"})


class DisabilityPrecheckQuery(Request):
    openid = fields.String(required=True, metadata={"description": "a bound sender id"})


class DisabilityPrecheckAnswer(Schema):
    members = fields.List(
        fields.Nested(DisabilityMember),
        required=True,
        metadata={"description": "the household members with a disability record (empty: none)"},
    )
    no_record = fields.Nested(DisabilityEstimate, metadata={"description": "why nothing applies without a record"})
    documents = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(RequiredDocument)), required=True)
    caveat = fields.String(required=True)
    source = fields.String(required=True)


class DisabilityStandards(Schema):
    living = fields.Dict(
        required=True, metadata={"description": "困难残疾人生活补贴: monthly by household status, grade"}
    )
    care = fields.Dict(required=True, metadata={"description": "重度残疾人护理补贴: monthly by grade"})
    source = fields.String(required=True)
    effective_from = fields.Date()


class FuneralDeceased(Request):
    name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "18 characters, checksum-validated"})
    death_date = fields.Date(required=True)


class FuneralFacts(Request):
    district = fields.String(required=True, metadata={"description": "the deceased's hukou district"})
    status = fields.String(validate=validate.OneOf(funeral.STATUSES))
    burial = fields.String()


class BenefitApplicationRequest(Request):
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    submitted_by_openid = fields.String(required=True, metadata={"description": "the verified sender who applies"})
    channel = fields.String()
    member_id = fields.Integer(
        metadata={"description": "disability: the household member (registry id); default the resident"}
    )
    deceased = fields.Nested(FuneralDeceased, metadata={"description": "funeral: who died"})
    relation = fields.String(metadata={"description": "funeral: the deceased to the resident: 父亲, 母亲, 配偶 …"})
    facts = fields.Nested(FuneralFacts, metadata={"description": "funeral: as the resident declares them"})


class BenefitStatusStep(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    reason = fields.String()
    at = fields.DateTime()


class BenefitSubject(Schema):
    name = fields.String(required=True, metadata={"description": "masked"})
    relation = fields.String(required=True)
    ref = fields.String(
        required=True,
        metadata={
            "description": "who the case is for, the same in every case of one person (their documents are the same "
            "photos): resident:<id> (disability), deceased:<n> (funeral; never the ID number)",
            "example": "resident:1024",
        },
    )
    id_number = fields.String(metadata={"description": "funeral: the deceased's, masked"})
    death_date = fields.Date()


class BenefitApplication(Schema):
    case_no = fields.String(required=True, metadata={"example": "CJ2026120600012"})
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    title = fields.String(required=True)
    subject = fields.Nested(BenefitSubject, required=True)
    facts = fields.Dict(required=True, metadata={"description": "what the estimate used"})
    estimate = fields.Dict(required=True, metadata={"description": "amount (once) or monthly, and the reasons"})
    phone_masked = fields.String()
    district_code = fields.String()
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status_reason = fields.String()
    status_text = fields.String(required=True)
    next_step = fields.String(required=True)
    history = fields.List(fields.Nested(BenefitStatusStep), required=True)
    required_documents = fields.List(
        fields.Nested(RequiredDocument),
        required=True,
        metadata={"description": "the documents the case needs, which a resident can send as photos"},
    )
    source = fields.String()
    created_at = fields.DateTime()


class BenefitApplicationList(Schema):
    applications = fields.List(fields.Nested(BenefitApplication), required=True)


class BenefitApplicationsQuery(Request):
    openid = fields.String(required=True, metadata={"description": "a bound sender id"})
    topic = fields.String(validate=validate.OneOf(tuple(TOPICS)), metadata={"description": "funeral or disability"})


class BenefitCaseQuery(Request):
    openid = fields.String(metadata={"description": "the asking sender"})


class BenefitStatusChange(Request):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String()
