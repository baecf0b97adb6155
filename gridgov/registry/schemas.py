"""Schemas of the registry API. Personal numbers only ever leave as their masked form (``*_masked``); the clear
values come only from the unmask endpoints, which log every use (ARCHITECTURE §7)."""

import datetime as dt
from typing import Annotated, Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import StringConstraints

from gridgov.registry.models import Licence, Place, Resident
from gridgov.registry.selectors import EXPIRY_WARNING_DAYS

# --- input types ------------------------------------------------------------------------------------------

#: PostgreSQL text cannot hold NUL: refuse it at the door (a 400 naming the field) rather than in the database.
NO_NUL = r"^[^\x00]*$"
MAX_ID = 2**63 - 1  # BigAutoField; a larger number would overflow the database driver


def text(max_length: int, *, required: bool = False, pattern: str = NO_NUL):
    """Free text, stripped; ``required`` means not blank."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1 if required else 0, max_length=max_length, pattern=pattern
        ),
    ]


def choice(choices) -> type:
    """One of a TextChoices' values (as a Literal, so the OpenAPI schema lists them)."""
    return Literal[tuple(choices.values)]


def choice_or_blank(choices) -> type:
    return Literal[("", *choices.values)]


RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,15}$")]
HouseholdCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[^\s\x00]+$")
]
#: Tags are stored "|a|b|" (see registry.models.tags_to_text), so a tag cannot contain "|".
Tag = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50, pattern=r"^[^|\x00]*$")]
Tags = Annotated[list[Tag], Field(max_length=20)]
PersonalNumber = text(40)
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]

PlaceKind = choice(Place.Kind)
PlaceIndustry = choice_or_blank(Place.Industry)
PlaceRisk = choice(Place.Risk)
PlaceRegistration = choice(Place.Registration)
LicenceKind = choice(Licence.Kind)
Expiry = Literal["expired", "expiring", "valid"]

#: WGS-84 degrees; the range (China's) and "both or neither" are checked by the service, in Chinese.
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="经度（73–136）")]
Latitude = Annotated[
    float, Field(ge=-90, le=90, allow_inf_nan=False, description="纬度（3–54），与经度同时填写")
]

EXPIRY_LABELS = {"expired": _("已过期"), "expiring": _("即将到期"), "valid": _("有效")}

# Patch schemas: a field left out is left unchanged. Fields typed without "| None" default to None only to mark
# "not sent" (pydantic does not validate defaults): an explicit null for them is a 400, not a silent no-op.


class HouseholdIn(Schema):
    code: HouseholdCode = Field(..., description="户编号，全县唯一")
    grid: RegionCode = Field(..., description="网格编码（15 位）")
    address: text(200, required=True)
    head_name: text(50, required=True)
    head_id: PersonalNumber = Field("", description="户主身份证号（明文只进不出，返回时为掩码）")
    phone: PersonalNumber = Field("", description="联系电话")
    members: int = Field(1, ge=0, le=99)
    tags: Tags = []
    longitude: Longitude | None = None
    latitude: Latitude | None = None


class HouseholdPatch(Schema):
    code: HouseholdCode = None
    grid: RegionCode = None
    address: text(200, required=True) = None
    head_name: text(50, required=True) = None
    head_id: PersonalNumber | None = Field(None, description="省略则不变；空串或 null 清除")
    phone: PersonalNumber | None = Field(None, description="省略则不变；空串或 null 清除")
    members: int = Field(None, ge=0, le=99)
    tags: Tags = None
    is_active: bool = None
    longitude: Longitude | None = Field(None, description="省略则不变；null 与纬度同时清除")
    latitude: Latitude | None = Field(None, description="省略则不变；null 与经度同时清除")


class ResidentIn(Schema):
    household: HouseholdCode = Field(..., description="户编号")
    name: text(50, required=True)
    id_number: text(40, required=True) = Field(..., description="身份证号（明文只进不出，返回时为掩码）")
    relation: text(20) = ""
    phone: PersonalNumber = ""
    tags: Tags = []


class ResidentPatch(Schema):
    household: HouseholdCode = None
    name: text(50, required=True) = None
    id_number: text(40, required=True) = Field(None, description="省略则不变")
    relation: text(20) = None
    phone: PersonalNumber | None = Field(None, description="省略则不变；空串或 null 清除")
    tags: Tags = None
    is_active: bool = None


class PlaceIn(Schema):
    kind: PlaceKind
    industry: PlaceIndustry = Field("", description="行业（重点企业必填）")
    name: text(100, required=True)
    credit_code: text(40) = Field("", description="统一社会信用代码")
    grid: RegionCode = Field(..., description="网格编码（15 位）")
    address: text(200, required=True)
    person_in_charge: text(50) = ""
    phone: PersonalNumber = ""
    risk_level: PlaceRisk = "low"
    sells_fireworks: bool = False
    tags: Tags = []
    longitude: Longitude | None = None
    latitude: Latitude | None = None


class PlacePatch(Schema):
    kind: PlaceKind = None
    industry: PlaceIndustry = None
    name: text(100, required=True) = None
    credit_code: text(40) = None
    grid: RegionCode = None
    address: text(200, required=True) = None
    person_in_charge: text(50) = None
    phone: PersonalNumber | None = Field(None, description="省略则不变；空串或 null 清除")
    risk_level: PlaceRisk = None
    sells_fireworks: bool = None
    tags: Tags = None
    is_active: bool = None
    longitude: Longitude | None = Field(None, description="省略则不变；null 与纬度同时清除")
    latitude: Latitude | None = Field(None, description="省略则不变；null 与经度同时清除")


class PlaceCheckIn(Schema):
    registration_status: PlaceRegistration = Field(..., description="排查登记状态")
    sells_fireworks: bool | None = Field(None, description="省略则不变")


class LicenceIn(Schema):
    kind: LicenceKind
    number: text(64, required=True)
    place_id: ObjectId | None = Field(None, description="持证场所（可选）")
    grid: RegionCode | None = Field(None, description="网格编码；省略时取持证场所的网格")
    holder_name: text(100, required=True)
    issuing_authority: text(100, required=True)
    valid_from: dt.date
    valid_to: dt.date
    product_types: text(200) = ""
    max_storage: text(50) = ""
    consignor: text(100) = ""
    carrier: text(100) = ""
    origin: text(100) = ""
    destination: text(100) = ""
    route: text(200) = ""
    quantity: text(50) = ""


class LicencePatch(Schema):
    kind: LicenceKind = None
    number: text(64, required=True) = None
    place_id: ObjectId | None = Field(None, description="省略则不变；null 解除与场所的关联")
    grid: RegionCode = None
    holder_name: text(100, required=True) = None
    issuing_authority: text(100, required=True) = None
    valid_from: dt.date = None
    valid_to: dt.date = None
    product_types: text(200) = None
    max_storage: text(50) = None
    consignor: text(100) = None
    carrier: text(100) = None
    origin: text(100) = None
    destination: text(100) = None
    route: text(200) = None
    quantity: text(50) = None
    is_revoked: bool = None


class UnmaskIn(Schema):
    reason: text(200) = Field(..., description="查看事由（写入个人信息访问日志）")


# --- output -----------------------------------------------------------------------------------------------


class RegistryGridRef(Schema):
    code: str
    name: str


class RegistryHouseholdRef(Schema):
    id: int
    code: str


class RegistryPlaceRef(Schema):
    id: int
    name: str


class RegistryUserRef(Schema):
    id: int
    display_name: str

    @staticmethod
    def resolve_display_name(obj) -> str:
        return obj.display_name or obj.username


class TaggedOut(Schema):
    tags: list[str]

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return obj.tag_list


class LocatedOut(Schema):
    longitude: float | None
    latitude: float | None
    location_source: str = Field(description="import / visit / edit，无坐标时为空")
    location_at: dt.datetime | None


class HouseholdOut(TaggedOut, LocatedOut):
    id: int
    code: str
    grid: RegistryGridRef
    address: str
    head_name: str
    head_id_masked: str
    phone_masked: str
    members: int
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ResidentOut(TaggedOut):
    id: int
    household: RegistryHouseholdRef
    grid: RegistryGridRef
    name: str
    id_number_masked: str
    gender: str
    gender_label: str
    birth_date: dt.date
    phone_masked: str
    relation: str
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_grid(obj: Resident):
        return obj.household.grid

    @staticmethod
    def resolve_id_number_masked(obj: Resident) -> str:
        return obj.id_masked

    @staticmethod
    def resolve_gender_label(obj: Resident) -> str:
        return str(obj.get_gender_display())


class PlaceOut(TaggedOut, LocatedOut):
    id: int
    kind: str
    kind_label: str
    industry: str
    industry_label: str
    name: str
    credit_code: str
    grid: RegistryGridRef
    address: str
    person_in_charge: str
    phone_masked: str
    risk_level: str
    risk_level_label: str
    sells_fireworks: bool
    registration_status: str
    registration_status_label: str
    checked_by: RegistryUserRef | None
    checked_at: dt.datetime | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Place) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_industry_label(obj: Place) -> str:
        return str(obj.get_industry_display()) if obj.industry else ""

    @staticmethod
    def resolve_risk_level_label(obj: Place) -> str:
        return str(obj.get_risk_level_display())

    @staticmethod
    def resolve_registration_status_label(obj: Place) -> str:
        return str(obj.get_registration_status_display())

    @staticmethod
    def resolve_checked_by(obj: Place):
        return obj.checked_by if obj.checked_by_id else None


def licence_expiry(licence: Licence, today: dt.date | None = None) -> str:
    """The same three states as ``licence_list(expiry=...)``."""
    today = today or timezone.localdate()
    if licence.valid_to < today:
        return "expired"
    if licence.valid_to <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return "valid"


class LicenceOut(Schema):
    id: int
    kind: str
    kind_label: str
    number: str
    place: RegistryPlaceRef | None
    holder_name: str
    grid: RegistryGridRef
    issuing_authority: str
    valid_from: dt.date
    valid_to: dt.date
    expiry: Expiry
    expiry_label: str
    product_types: str
    max_storage: str
    consignor: str
    carrier: str
    origin: str
    destination: str
    route: str
    quantity: str
    is_revoked: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Licence) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_place(obj: Licence):
        return obj.place if obj.place_id else None

    @staticmethod
    def resolve_expiry(obj: Licence) -> str:
        return licence_expiry(obj)

    @staticmethod
    def resolve_expiry_label(obj: Licence) -> str:
        return str(EXPIRY_LABELS[licence_expiry(obj)])


class HouseholdUnmaskOut(Schema):
    head_id: str
    phone: str


class ResidentUnmaskOut(Schema):
    id_number: str
    phone: str


class PlaceUnmaskOut(Schema):
    phone: str
