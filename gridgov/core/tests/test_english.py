"""English UI: the catalogues are complete and compiled, and the pages switch language.

The source language is Chinese (zh-hans, the default); English comes from gridgov/locale/en/LC_MESSAGES/django.po
for the core apps and from gridgov/<app>/locale/en/LC_MESSAGES/django.po for an app that keeps its own catalogue,
each compiled to django.mo (committed, so that CI and users need no GNU gettext). See gridgov/locale/README.md.
"""

import ast
import gettext
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management.utils import is_ignored_path
from django.utils import translation
from django.utils.translation.template import templatize

from gridgov.conftest import COUNTY, GRID_A1_1, VILLAGE_A1

REPO = Path(settings.BASE_DIR)
LOCALE_DIR = REPO / "gridgov" / "locale"
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

HOW_TO_UPDATE = """
How to update an English catalogue (details: gridgov/locale/README.md), from the repository root
(GNU gettext is needed for this step only: apt-get install -y gettext):

  make messages            # the core catalogue, gridgov/locale
  make messages APP=tips   # an app with its own catalogue, gridgov/tips/locale

then write English into every empty msgstr of the .po file it names (keep each %(name)s placeholder, fill both
msgstr[0] and msgstr[1] of plural entries, leave no "#, fuzzy" flag), run the same command again to compile,
and commit both django.po and django.mo.
"""

# The makemessages command above: its --ignore patterns and Django's default ones.
IGNORE_PATTERNS = [".venv", "bench", "*/tests/*", "test-artifacts", "CVS", ".*", "*~", "*.pyc"]
SOURCE_EXTENSIONS = {".py", ".html", ".txt"}

# xgettext's Python keywords plus the ones makemessages adds: name -> (context arg, msgid arg, plural arg).
PY_KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


# --- the .po file, parsed with plain Python -------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def where(self) -> str:
        refs = " ".join(self.references[:2]) or f"django.po:{self.line}"
        return f"{refs}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file as GNU gettext writes it; the header and obsolete ("#~") entries are left out."""
    entries: list[Entry] = []
    entry = Entry(line=1)
    field_name, index = "", 0  # the field that a continuation line ("...") extends

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        starts_entry = line.startswith(("#", "msgctxt ", "msgid "))
        if starts_entry and entry.msgstr:  # the previous entry is complete
            entries.append(entry)
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#:"):
            entry.references.extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            _set(entry, field_name, index, ast.literal_eval(line), append=True)
        else:
            keyword, _space, literal = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            field_name, index = ("msgstr", int(match[1])) if match else (keyword, 0)
            _set(entry, field_name, index, ast.literal_eval(literal), append=False)
    entries.append(entry)
    return [e for e in entries if e.msgid or e.msgctxt is not None]


def _set(entry: Entry, field_name: str, index: int, value: str, *, append: bool) -> None:
    if field_name == "msgstr":
        entry.msgstr[index] = (entry.msgstr.get(index, "") if append else "") + value
    elif field_name in ("msgctxt", "msgid", "msgid_plural"):
        setattr(entry, field_name, ((getattr(entry, field_name) or "") if append else "") + value)
    else:
        raise ValueError(f"unknown .po keyword {field_name!r}")


# --- the strings marked for translation in the source, found without GNU gettext ------------------------------


def source_files() -> list[Path]:
    """The files makemessages reads: .py, .html and .txt under the repository, less the ignored ones, the
    static and media roots and locale directories."""
    skipped_roots = {os.path.normpath(p) for p in (settings.STATIC_ROOT, settings.MEDIA_ROOT) if p}
    found = []
    for dirpath, dirnames, filenames in os.walk(REPO):
        rel_dir = os.path.relpath(dirpath, REPO)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d != "locale"
            and os.path.join(dirpath, d) not in skipped_roots
            and not is_ignored_path(os.path.normpath(os.path.join(rel_dir, d)), IGNORE_PATTERNS)
        )
        for filename in sorted(filenames):
            rel = os.path.normpath(os.path.join(rel_dir, filename))
            if os.path.splitext(filename)[1] in SOURCE_EXTENSIONS and not is_ignored_path(
                rel, IGNORE_PATTERNS
            ):
                found.append(Path(rel))
    return found


def python_msgids(source: str) -> list[tuple[tuple[str | None, str], int]]:
    """Calls of the gettext functions whose message arguments are string literals, as xgettext finds them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in PY_KEYWORDS:
            continue
        ctx_arg, id_arg, _plural = PY_KEYWORDS[name]
        literals = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args
        ]
        msgid = literals[id_arg] if len(literals) > id_arg else None
        if msgid:
            context = literals[ctx_arg] if ctx_arg is not None else None
            found.append(((context, msgid), node.lineno))
    return found


def template_msgids(source: str, origin: str) -> list[tuple[tuple[str | None, str], int]]:
    """makemessages turns a template into Python-like code with gettext() calls for xgettext (templatize): so do we,
    and read the calls' string arguments with Python's tokenizer."""
    code = templatize(source, origin=origin)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type != tokenize.NL]
    found = []
    for i, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in PY_KEYWORDS or tokens[i + 1].string != "(":
            continue
        args: list[str] = []
        pieces: list[str] = []
        for tok in tokens[i + 2 :]:
            if tok.type == tokenize.STRING:
                pieces.append(ast.literal_eval(tok.string))
            elif tok.string == "," and pieces:
                args.append("".join(pieces))
                pieces = []
            else:
                break
        if pieces:
            args.append("".join(pieces))
        ctx_arg, id_arg, _plural = PY_KEYWORDS[token.string]
        if len(args) > id_arg and args[id_arg]:
            context = args[ctx_arg] if ctx_arg is not None else None
            found.append(((context, args[id_arg]), token.start[0]))
    return found


def _file_line(where: str) -> tuple[str, int]:
    path, _colon, line = where.rpartition(":")
    return path, int(line)


def source_msgids(catalogue: str = "gridgov/locale") -> dict[tuple[str | None, str], str]:
    """Every (context, msgid) marked in the sources of one catalogue -> its first file:line."""
    found: dict[tuple[str | None, str], str] = {}
    for rel in source_files():
        if catalogue_of(rel) != catalogue:
            continue
        text = (REPO / rel).read_text(encoding="utf-8")
        pairs = python_msgids(text) if rel.suffix == ".py" else template_msgids(text, str(rel))
        for key, lineno in pairs:
            found.setdefault(key, f"{rel}:{lineno}")
    return found


# --- the catalogue ---------------------------------------------------------------------------------------------


def app_catalogues() -> dict[str, Path]:
    """Apps that keep their own catalogue (gridgov/<app>/locale): app directory -> its .po file."""
    return {
        f"gridgov/{locale.parent.name}": locale / "en" / "LC_MESSAGES" / "django.po"
        for locale in sorted((REPO / "gridgov").glob("*/locale"))
        if locale.is_dir() and locale != LOCALE_DIR
    }


CATALOGUES = {"gridgov/locale": PO_FILE, **app_catalogues()}


def catalogue_of(rel: Path) -> str:
    """The catalogue that holds a source file's strings: its app's own, else the core one."""
    for app_dir in CATALOGUES:
        if app_dir != "gridgov/locale" and rel.as_posix().startswith(app_dir + "/"):
            return app_dir
    return "gridgov/locale"


@pytest.fixture(scope="module", params=sorted(CATALOGUES))
def catalogue(request) -> tuple[str, Path, list[Entry]]:
    po = CATALOGUES[request.param]
    assert po.exists(), f"{po.relative_to(REPO)} is missing.\n{HOW_TO_UPDATE}"
    return request.param, po, parse_po(po)


@pytest.fixture(scope="module")
def entries(catalogue) -> list[Entry]:
    return catalogue[2]


def test_the_core_catalogue_is_the_projects_locale_path():
    assert [Path(p) for p in settings.LOCALE_PATHS] == [LOCALE_DIR]
    assert {"zh-hans", "en"} <= {code for code, _name in settings.LANGUAGES}
    assert settings.LANGUAGE_CODE == "zh-hans"
    # An app's own catalogue is found by Django only if the app is installed.
    installed = {app.path for app in apps.get_app_configs()}
    for app_dir in app_catalogues():
        assert str(REPO / app_dir) in installed, app_dir


def test_every_catalogue_entry_has_an_english_translation(catalogue):
    name, po_file, entries = catalogue
    if name == "gridgov/locale":
        assert len(entries) > 200  # the parser really read the catalogue
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy (a guess, not compiled; check it and remove the flag): {entry.where()}")
            continue
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        expected_forms = [0] if entry.msgid_plural is None else [0, 1]
        if sorted(entry.msgstr) != expected_forms:
            problems.append(f"wrong msgstr forms {sorted(entry.msgstr)}: {entry.where()}")
            continue
        for index in expected_forms:
            text = entry.msgstr[index]
            source = sources[min(index, len(sources) - 1)]
            if not text.strip():
                problems.append(f"untranslated: {entry.where()}")
            elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ in {text!r}: {entry.where()}")
            elif len(text) > 20 and text[: len(text) // 2] == text[len(text) // 2 :]:
                problems.append(f"the English is written twice in {text!r}: {entry.where()}")
    if problems:
        pytest.fail(
            f"{len(problems)} entries of {po_file.relative_to(REPO)} need work:\n  "
            + "\n  ".join(problems)
            + "\n"
            + HOW_TO_UPDATE,
            pytrace=False,
        )


def test_every_string_marked_in_the_source_is_in_the_catalogue(catalogue):
    name, po_file, entries = catalogue
    in_catalogue = {entry.key for entry in entries}
    marked = source_msgids(name)
    if name == "gridgov/locale":
        assert (None, "工作台") in marked  # the extractor really found the marked strings
    else:
        assert marked, f"{name} keeps a catalogue but marks no strings"
    missing = [
        f"{where}: {key[1]!r}"
        for key, where in sorted(marked.items(), key=lambda kv: _file_line(kv[1]))
        if key not in in_catalogue
    ]
    if missing:
        pytest.fail(
            f"{len(missing)} strings marked for translation are not in {po_file.relative_to(REPO)} "
            "(makemessages has not been run since they were added):\n  "
            + "\n  ".join(missing)
            + "\n"
            + HOW_TO_UPDATE,
            pytrace=False,
        )


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    _name, po_file, entries = catalogue
    mo_file = po_file.with_suffix(".mo")
    assert mo_file.exists(), f"{mo_file.relative_to(REPO)} is missing: run compilemessages.\n{HOW_TO_UPDATE}"
    with mo_file.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in entries:
        if "fuzzy" in entry.flags or not all(entry.msgstr.values()):
            continue  # not compiled: reported by test_every_catalogue_entry_has_an_english_translation
        if entry.msgid_plural is None:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr.get(0):
                stale.append(entry.where())
        else:
            for n, index in ((1, 0), (2, 1)):
                if entry.msgctxt:
                    got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                else:
                    got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                if got != entry.msgstr.get(index):
                    stale.append(f"{entry.where()} (msgstr[{index}])")
    if stale:
        pytest.fail(
            f"{mo_file.relative_to(REPO)} is older than django.po for {len(stale)} entries "
            "(run compilemessages):\n  " + "\n  ".join(stale[:30]) + "\n" + HOW_TO_UPDATE,
            pytrace=False,
        )


def test_django_translates_with_the_catalogue():
    with translation.override("en"):
        assert translation.gettext("网格员") == "Grid worker"
        assert translation.ngettext("%(n)s 个下级", "%(n)s 个下级", 1) == "%(n)s subordinate unit"
        assert translation.ngettext("%(n)s 个下级", "%(n)s 个下级", 3) == "%(n)s subordinate units"
    with translation.override("zh-hans"):
        assert translation.gettext("网格员") == "网格员"


# --- the pages -------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """Requests activate a language in this thread; leave the default behind for the next test."""
    yield
    translation.deactivate()


def switch_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_chinese_is_the_default(territory, client_for):
    client = client_for(territory.user("admin"))
    home = page(client, "/")
    assert '<html lang="zh-hans">' in home
    for text in ("工作台", "审计日志", "工作日历", "我的辖区", "网格化综合治理平台", "退出", "admin，您好"):
        assert text in home, text
    region = page(client, f"/regions/{COUNTY}/")
    for text in ("下辖乡镇(街道)", "搜索名称或编码", "县(区)"):
        assert text in region, text
    assert "Dashboard" not in home and "Township (subdistrict)" not in region


def test_the_login_page_is_chinese_by_default_and_english_after_the_switch(client, db):
    login = page(client, "/accounts/login/")
    assert '<html lang="zh-hans">' in login
    for text in ("<h1>登录</h1>", "用户名", "密码"):
        assert text in login, text
    login = page(switch_to_english(client), "/accounts/login/")
    assert '<html lang="en">' in login
    for text in ("<h1>Sign in</h1>", "Username", "Password", "Grid Governance Platform"):
        assert text in login, text
    for text in ("登录", "用户名", "密码"):
        assert text not in login, text


def test_the_home_page_in_english(territory, client_for):
    client = switch_to_english(client_for(territory.user("admin")))
    home = page(client, "/")
    assert '<html lang="en">' in home
    for text in (
        ">Dashboard</a>",
        ">Grid</a>",
        ">Audit log</a>",
        ">Working calendar</a>",
        "Hello, admin",
        "My areas of responsibility",
        "System administrator",
        "Sign out",
        "Township (subdistrict) units: 2",
        "County Grid-Based Integrated Governance Platform",
    ):
        assert text in home, text
    for text in ("工作台", "审计日志", "工作日历", "我的辖区", "您好", "退出", "系统管理员"):
        assert text not in home, text


def test_the_region_pages_in_english(territory, client_for):
    client = switch_to_english(client_for(territory.user("admin")))
    county = page(client, f"/regions/{COUNTY}/")
    for text in (
        "County (district)",
        "Township (subdistrict) units",
        "Search by name or code",
        "2 subordinate units",
        "grids: 4",
    ):
        assert text in county, text
    village = page(client, f"/regions/{VILLAGE_A1}/")
    for text in (
        "Village (community)",
        "Grid units",
        "Grid management",
        "Add a grid",
        "Name of the new grid",
    ):
        assert text in village, text
    grid = page(client, f"/regions/{GRID_A1_1}/")
    for text in ("Grid staff", "Grid worker", "Split the grid", "Retire the grid", "Reason for retiring"):
        assert text in grid, text
    for text in (
        "下辖",
        "搜索",
        "个下级",
        "网格管理",
        "新增网格",
        "网格人员",
        "拆分网格",
        "撤销网格",
        "编码",
    ):
        assert text not in county + village + grid, text


def test_switching_back_to_chinese(territory, client_for):
    client = switch_to_english(client_for(territory.user("admin")))
    assert "Dashboard" in page(client, "/")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    home = page(client, "/")
    assert "工作台" in home and "Dashboard" not in home
