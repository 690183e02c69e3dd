"""Every back-office model, imported in one place so the metadata (and Alembic) sees them all."""

from backoffice.assistance.models import Application, StatusEvent  # noqa: F401
from backoffice.benefits.models import BenefitApplication, BenefitStatusEvent  # noqa: F401
from backoffice.cemetery.models import Cemetery, CemeteryBooking, CemeteryWaiting  # noqa: F401
from backoffice.changes.models import Change  # noqa: F401
from backoffice.child_protection.models import ChildProtectionCase, ChildProtectionWorker  # noqa: F401
from backoffice.eldercare.models import Facility
from backoffice.handbook.models import HandbookEntry  # noqa: F401
from backoffice.idempotency import IdempotencyRecord  # noqa: F401
from backoffice.identity.models import AuthorizationCode, BindingEvent, SigninCode, SmsMessage  # noqa: F401
from backoffice.marriage.models import (  # noqa: F401
    MarriageAppointment,
    MarriageClosure,
    MarriageParty,
    MarriageSlot,
    Office,
)
from backoffice.orm import Base
from backoffice.region.models import Community, District, Landmark, Street
from backoffice.residents.events import ResidentEvent
from backoffice.residents.models import Household, Resident, WechatBinding

__all__ = [
    "Base",
    "Community",
    "District",
    "Facility",
    "Household",
    "Landmark",
    "Office",
    "Resident",
    "ResidentEvent",
    "Street",
    "WechatBinding",
]
