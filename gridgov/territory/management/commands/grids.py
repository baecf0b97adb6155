from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.models import User
from gridgov.core.exceptions import ApplicationError
from gridgov.territory import services
from gridgov.territory.models import Level, Region


class Command(BaseCommand):
    help = "Manages grids: list, add, rename, split and retire (grids are never deleted)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", help="act as this user (checked against their grants); default: the system"
        )
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("list", help="grids of a village, township or county")
        p.add_argument("region")
        p.add_argument("--retired", action="store_true", help="include retired grids")
        p = sub.add_parser("add", help="add a grid to a village")
        p.add_argument("village")
        p.add_argument("name")
        p = sub.add_parser("rename", help="rename a grid (or, for the system, any region)")
        p.add_argument("code")
        p.add_argument("name")
        p = sub.add_parser("split", help="carve new grids out of a grid")
        p.add_argument("grid")
        p.add_argument("names", nargs="+")
        p.add_argument("--keep-name", help="new name for the original grid")
        p = sub.add_parser("retire", help="retire a grid; its code stays reserved")
        p.add_argument("grid")
        p.add_argument("--reason", required=True)

    def _region(self, code: str, level: str | None = None) -> Region:
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"no region with code {code}")
        if level and region.level != level:
            raise CommandError(f"{code} is a {region.level}, not a {level}")
        return region

    def handle(self, *args, action, user=None, **options):
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user named {user!r}")
        try:
            if action == "list":
                region = self._region(options["region"])
                qs = Region.objects.under(region).grids().order_by("code")
                if not options["retired"]:
                    qs = qs.active()
                for grid in qs:
                    state = (
                        ""
                        if grid.is_active
                        else f"  (retired {grid.retired_at:%Y-%m-%d}: {grid.retired_reason})"
                    )
                    self.stdout.write(f"{grid.code}  {grid.name}{state}")
            elif action == "add":
                grid = services.grid_add(
                    actor=actor, village=self._region(options["village"], Level.VILLAGE), name=options["name"]
                )
                self.stdout.write(f"added {grid.code} {grid.name}")
            elif action == "rename":
                region = services.region_rename(
                    actor=actor, region=self._region(options["code"]), name=options["name"]
                )
                self.stdout.write(f"renamed {region.code} to {region.name}")
            elif action == "split":
                grids = services.grid_split(
                    actor=actor,
                    grid=self._region(options["grid"], Level.GRID),
                    names=options["names"],
                    keep_name=options["keep_name"],
                )
                for grid in grids:
                    self.stdout.write(f"added {grid.code} {grid.name}")
            elif action == "retire":
                grid = services.grid_retire(
                    actor=actor, grid=self._region(options["grid"], Level.GRID), reason=options["reason"]
                )
                self.stdout.write(f"retired {grid.code} {grid.name}")
        except ApplicationError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from exc
