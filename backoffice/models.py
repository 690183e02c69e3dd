"""Every back-office model, imported in one place so the metadata (and Alembic) sees them all."""
from backoffice.eldercare.models import Facility
from backoffice.marriage.models import Office
from backoffice.orm import Base
from backoffice.region.models import Community, District, Landmark, Street
from backoffice.residents.models import Household, Resident, WechatBinding

__all__ = ["Base", "Community", "District", "Facility", "Household", "Landmark", "Office", "Resident", "Street", "WechatBinding"]
