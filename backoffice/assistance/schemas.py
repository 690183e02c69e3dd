"""The assistance API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from backoffice.assistance.models import TYPES
from backoffice.assistance.rules import CIRCUMSTANCES
from backoffice.assistance.standards import STATUSES
from backoffice.contract import Request
from backoffice.documents import RequiredDocument


class AssistanceStandard(Schema):
    """the version in force (backoffice/seed/assistance_standards.yaml); further figures may follow"""

    class Meta:
        unknown = INCLUDE

    district_code = fields.String(required=True)
    effective_from = fields.Date(required=True)
    city = fields.String()
    source = fields.String()
    dibao_per_person_month = fields.Integer(required=True)
    low_income_line = fields.Integer(required=True)
    low_income_multiplier = fields.Float()
    savings_per_person_max = fields.Dict()
    vehicles_max = fields.Integer()
    homes_max = fields.Integer()
    tekun = fields.Dict()
    temporary = fields.Dict()
    medical = fields.Dict()
    spending_poverty = fields.Dict()


class StandardQuery(Request):
    district = fields.String(required=True, metadata={"description": "district code, name or alias"})
    on = fields.Date(metadata={"description": "default today"})


class StandardAnswer(Schema):
    standard = fields.Nested(AssistanceStandard)
    programs = fields.Dict(metadata={"description": "by programme: its documents to bring and how to apply"})


class EligibilityQuery(Request):
    on = fields.Date(metadata={"description": "the day whose standards apply; default today"})


class BenefitEligibility(Schema):
    """who may be eligible for one benefit, as an audience rule (docs/campaigns.md, *The rule language*)"""

    benefit = fields.String(required=True, metadata={"description": "the registry's name of the benefit, e.g. 低保"})
    summary = fields.String(required=True, metadata={"description": "the rule in plain Chinese"})
    districts = fields.List(fields.String(), required=True, metadata={"description": "where it applies"})
    rule = fields.Dict(required=True, metadata={"description": "the audience rule the campaign builder starts from"})
    source = fields.String(required=True)
    as_of = fields.Date(required=True)


class EligibilityAnswer(Schema):
    benefits = fields.List(fields.Nested(BenefitEligibility), required=True)


class Precheck(Request):
    district = fields.String(required=True)
    on = fields.Date()
    household_size = fields.Integer(required=True, validate=validate.Range(min=1))
    monthly_income = fields.Integer(validate=validate.Range(min=0), metadata={"description": "household total, yuan"})
    savings = fields.Integer(validate=validate.Range(min=0))
    vehicles = fields.Integer(validate=validate.Range(min=0))
    circumstances = fields.List(fields.String(validate=validate.OneOf(CIRCUMSTANCES)))
    medical_expenses_month = fields.Integer(
        validate=validate.Range(min=0), metadata={"description": "self-paid medical costs per month, yuan"}
    )


class AssistanceReason(Schema):
    rule = fields.String(
        required=True, metadata={"description": "the rule applied, e.g. 低保：家庭人均月收入不高于当地低保标准"}
    )
    figure = fields.String(required=True, metadata={"description": "the figure used and since when"})
    text = fields.String(
        required=True, metadata={"description": "the resident's own numbers against it, in plain Chinese"}
    )


class PrecheckAnswer(Schema):
    outcome = fields.String(
        required=True, validate=validate.OneOf(("likely_eligible", "likely_not", "needs_assessment"))
    )
    programs = fields.List(fields.String())
    reasons = fields.List(fields.Nested(AssistanceReason), required=True)
    standard = fields.Nested(AssistanceStandard)
    caveat = fields.String(required=True)


class NamedPlace(Schema):
    code = fields.String()
    name = fields.String()


class AdvisorStreet(NamedPlace):
    service_center = fields.Dict()


class Advisor(Schema):
    name = fields.String()
    phone = fields.String()


class AssistanceAdvisor(Schema):
    community = fields.Nested(NamedPlace)
    street = fields.Nested(AdvisorStreet)
    district_code = fields.String()
    advisor = fields.Nested(Advisor)


class AdvisorQuery(Request):
    community = fields.String(required=True, metadata={"description": "code, name, alias or a sentence naming it"})


class Applicant(Request):
    id_number = fields.String(required=True, metadata={"description": "18 characters, checksum-validated"})
    relation = fields.String(
        load_default="本人", metadata={"description": "the applicant to the person applying: 本人, 母亲 …"}
    )
    phone = fields.String(required=True, metadata={"description": "11-digit mobile"})


class Consent(Request):
    economic_check = fields.Boolean(
        required=True, metadata={"description": "consent to 家庭经济状况核对; must be true"}
    )


class AssistanceApplicationRequest(Request):
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    applicant = fields.Nested(Applicant, required=True)
    community = fields.String(
        required=True, metadata={"description": "community code, name or alias (a sentence naming it is accepted)"}
    )
    hardship = fields.String(required=True, validate=validate.Length(max=500))
    consent = fields.Nested(Consent, required=True)
    submitted_by_openid = fields.String(
        allow_none=True,
        metadata={
            "description": "the sender who applies: must be verified (实名绑定); the applicant is that resident or a "
            "member of their registry household"
        },
    )
    channel = fields.String()


class MaskedApplicant(Schema):
    id_number_masked = fields.String()
    relation = fields.String()
    phone_masked = fields.String()


class StatusStep(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    reason = fields.String()
    at = fields.DateTime()


class AssistanceApplication(Schema):
    case_no = fields.String(required=True, metadata={"example": "JZ2026112300012"})
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    applicant = fields.Nested(MaskedApplicant)
    community_code = fields.String()
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    status_reason = fields.String()
    status_text = fields.String(required=True, metadata={"description": "the status in plain words"})
    next_step = fields.String(required=True)
    history = fields.List(fields.Nested(StatusStep), required=True)
    documents = fields.List(fields.String())
    required_documents = fields.List(
        fields.Nested(RequiredDocument), metadata={"description": "the documents a resident can send as photos"}
    )
    advisor = fields.Nested(Advisor)
    street = fields.String()
    created_at = fields.DateTime()


class AssistanceApplicationList(Schema):
    applications = fields.List(fields.Nested(AssistanceApplication))


class ApplicationsQuery(Request):
    openid = fields.String(metadata={"description": "a bound sender id"})
    id_number = fields.String(metadata={"description": "the applicant's ID number"})


class CaseQuery(Request):
    openid = fields.String(metadata={"description": "the asking sender"})


class AssistanceStatusChange(Request):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(metadata={"description": "needed for 退回 and 不予批准"})
