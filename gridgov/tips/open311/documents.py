"""The GeoReport v2 documents other than service requests: discovery, services, service definitions.

Texts for client developers (discovery, datatype descriptions) are in English, as the specification is; texts a
resident reads in a client app (an attribute's label and choices, the reward note) are translatable, Chinese
first.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import Category
from gridgov.territory.models import Region
from gridgov.tips.open311.selectors import open311_changeset, township_choices

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
#: Overridden by the settings GRIDGOV_OPEN311_CONTACT and GRIDGOV_OPEN311_KEY_SERVICE.
DEFAULT_CONTACT = "The county's tip-line office (有奖举报办公室)"
DEFAULT_KEY_SERVICE = (
    "API keys are issued by the county's system administrator (gridgov create_token USERNAME) to an "
    "integration account holding the permission tips.add_tip."
)


def discovery_document(request) -> dict:
    changeset = open311_changeset() or timezone.now()
    return {
        "changeset": changeset,
        "contact": getattr(settings, "GRIDGOV_OPEN311_CONTACT", "") or DEFAULT_CONTACT,
        "key_service": getattr(settings, "GRIDGOV_OPEN311_KEY_SERVICE", "") or DEFAULT_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311:root")),
                "changeset": changeset,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }


def service_document(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.register_condition or None,
        "metadata": True,  # every service has attributes (the township at least)
        "type": "realtime",  # a POST creates the case at once
        "keywords": category.group.name,
        "group": category.group.name,
    }


def service_definition(category: Category, county: Region) -> dict:
    attributes = [
        {
            "variable": True,
            "code": "township",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": "The 9-digit code of the township (one of the values). For a more precise "
            "place, give the 12-digit code of a village or the 15-digit code of a grid of that township as "
            "address_id.",
            "order": 1,
            "description": _("发生地所在乡镇(街道)"),
            "values": [{"key": code, "name": name} for code, name in township_choices(county)],
        },
        {
            "variable": True,
            "code": "title",
            "datatype": "string",
            "required": False,
            "datatype_description": "At most 100 characters.",
            "order": 2,
            "description": _("一句话概括（可不填）"),
        },
        {
            "variable": True,
            "code": "anonymous",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "true: the reporter's name and phone are not kept.",
            "order": 3,
            "description": _("匿名举报"),
            "values": [{"key": "true", "name": _("匿名")}, {"key": "false", "name": _("留下姓名和电话")}],
        },
    ]
    if category.reward_eligible:
        attributes.append(
            {
                "variable": False,
                "code": "reward",
                "datatype": "text",
                "required": False,
                "datatype_description": None,
                "order": 4,
                "description": _(
                    "此类举报经查证属实的，按本县有奖举报标准给予奖励。请保存回执中的查询码和领奖密钥，匿名举报也可凭此领奖。"
                ),
            }
        )
    return {"service_code": category.code, "attributes": attributes}
