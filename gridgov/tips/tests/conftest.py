import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases.defaults import ensure_default_categories
from gridgov.cases.models import Category, CategoryGroup
from gridgov.tips.services import ensure_default_reward_rules


@pytest.fixture
def categories(db):
    ensure_default_categories(CategoryGroup, Category)
    ensure_default_reward_rules()
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def sale(categories):
    return categories["fireworks_illegal_sale"]


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def photo():
    return SimpleUploadedFile("张三的照片.png", png_bytes(), content_type="image/png")


def close_case(territory, case):
    """Walks a case through the loop to 已结案: register, dispatch to the department, accept, resolve, close."""
    from gridgov.cases.services import loop

    u = territory.user
    loop.case_register(actor=u("supervisor"), case=case)
    loop.case_dispatch(actor=u("commander"), case=case, department=territory.department)
    loop.case_accept(actor=u("officer"), case=case)
    loop.case_resolve(actor=u("officer"), case=case, note="已查扣违法物品")
    return loop.case_close(actor=u("supervisor"), case=case, note="核查属实").case
