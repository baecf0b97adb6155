from ninja import Schema


class RegionRef(Schema):
    code: str
    name: str
    level: str


class RegionOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    parent: RegionRef | None
    child_count: int
    is_active: bool

    @staticmethod
    def resolve_level_label(obj) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_parent(obj):
        return obj.parent if obj.parent_id else None
