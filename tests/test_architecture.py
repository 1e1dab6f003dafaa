"""SQL lives in repositories (DESIGN.md section 2).

A repository module is ``app/<package>/repository.py``, or any module of an
``app/<package>/repository/`` package when one file is not enough. Outside those (and
``app/db.py``, which owns the engine; migrations live outside ``app/``), no module may build or run
a SQL statement. The check reads each module's syntax tree:

- a call of ``select``/``insert``/``update``/``delete``/``text`` (and the other statement
  builders in ``STATEMENTS``) imported from SQLAlchemy or SQLModel, however it was imported
  (``from sqlmodel import select``, ``sa.select``, ``insert as pg_insert``...);
- ``.execute(...)``, ``.exec(...)``, ``.executemany(...)``, ``.exec_driver_sql(...)`` on anything;
- a table's own statement methods: ``TABLE.insert()``, ``Model.__table__.delete()``, or
  ``x.update()``/``x.select()`` chained into ``.where(...)``/``.values(...)``.

``dict.update(...)``, ``set.update(...)``, ``list.insert(i, x)``, ``Path.read_text()`` and
``write_text()`` are not SQL and are not flagged.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"

SQL_PACKAGES = ("sqlalchemy", "sqlmodel")
STATEMENTS = frozenset(
    {"select", "insert", "update", "delete", "text", "union", "union_all", "exists"}
)
RUNNERS = frozenset({"execute", "executemany", "exec", "exec_driver_sql"})
TABLE_METHODS = frozenset({"select", "insert", "update", "delete"})
STATEMENT_CHAIN = frozenset(
    {"where", "values", "returning", "on_conflict_do_update", "on_conflict_do_nothing"}
)
ALLOWED = (APP / "db.py",)
# SQL that has not moved into a repository yet: none. Keep it empty; a file listed here must
# still hold SQL (the test fails once it is clean), so an exception is never forgotten.
NOT_YET_MOVED: frozenset[Path] = frozenset()


def is_repository(path: Path) -> bool:
    relative = path.relative_to(APP)
    return path.name == "repository.py" or "repository" in relative.parts[:-1]


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    construct: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.construct}"


def _sql_names(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """Names bound to SQLAlchemy/SQLModel modules (``sa``), and names bound to their
    statement builders (``pg_insert`` -> ``insert``)."""
    modules: set[str] = set()
    builders: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SQL_PACKAGES:
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] not in SQL_PACKAGES:
                continue
            for alias in node.names:
                if alias.name in STATEMENTS:
                    builders[alias.asname or alias.name] = alias.name
                else:  # e.g. ``from sqlalchemy import sql`` or ``from sqlalchemy import func``
                    modules.add(alias.asname or alias.name)
    return modules, builders


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_table(node: ast.expr) -> bool:
    """``REQUEST_LOGS`` or ``Model.__table__``: how tables are named in this code base."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        return True
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name.isupper() and len(name) > 1


def _is_sql(call: ast.Call, modules: set[str], builders: dict[str, str], chained: set[int]) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in builders
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in RUNNERS:
        return True
    if func.attr in STATEMENTS and _root_name(func.value) in modules:
        return True
    return (
        func.attr in TABLE_METHODS
        and not call.args
        and (_is_table(func.value) or id(call) in chained)
    )


def sql_constructs(source: str, path: str = "<string>") -> list[Finding]:
    tree = ast.parse(source)
    modules, builders = _sql_names(tree)
    chained = {  # calls whose result is used as ``call.where(...)`` and the like
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in STATEMENT_CHAIN
        and isinstance(node.value, ast.Call)
    }
    found: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_sql(node, modules, builders, chained):
            found.append(Finding(path, node.lineno, f"{ast.unparse(node.func)}("))
    return sorted(found)


def app_modules_outside_repositories() -> list[Path]:
    return sorted(
        path for path in APP.rglob("*.py") if not is_repository(path) and path not in ALLOWED
    )


class TestSqlConstructs:
    @pytest.mark.parametrize(
        "source",
        [
            "from sqlmodel import select\nselect(User)",
            "import sqlalchemy as sa\nsa.select(T.c.id)",
            "import sqlalchemy\nsqlalchemy.text('SELECT 1')",
            "from sqlalchemy import text\ntext('DELETE FROM t')",
            "from sqlalchemy.dialects.postgresql import insert as pg_insert\npg_insert(T)",
            "import sqlalchemy as sa\nsa.update(T).values(x=1)",
            "import sqlalchemy as sa\nsa.delete(T)",
            "await session.execute(query)",
            "await session.exec(query)",
            "await connection.exec_driver_sql('VACUUM')",
            "REQUEST_LOGS.insert()",
            "Model.__table__.delete()",
            "rollups.update().where(x)",
            "from sqlalchemy import sql\nsql.select(T)",
        ],
    )
    def test_statement_is_found(self, source: str) -> None:
        assert sql_constructs(source)

    @pytest.mark.parametrize(
        "source",
        [
            "error.update({'a': 1})",
            "seen.update(ids)",
            "totals.update(a=1)",
            "rows.insert(0, row)",
            "Path('x').read_text()",
            "Path('x').write_text('y')",
            "text = 'hi'\ntext.upper()",
            "def select(x): ...\nselect(1)",
            "import sqlalchemy as sa\nsa.Column(sa.String)",
            "import sqlalchemy as sa\nsa.func.count()",
            "parts.delete(key)",
        ],
    )
    def test_code_that_is_not_sql_is_not_flagged(self, source: str) -> None:
        assert sql_constructs(source) == []

    def test_repository_modules_are_recognised(self) -> None:
        assert is_repository(APP / "audit" / "repository.py")
        assert is_repository(APP / "request_log" / "repository" / "rollups.py")
        assert not is_repository(APP / "request_log" / "writer.py")
        assert not is_repository(APP / "repository_helpers.py")


class TestSqlOutsideRepositories:
    def test_app_modules_outside_repositories_build_no_sql(self) -> None:
        findings = {
            path: sql_constructs(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
            for path in app_modules_outside_repositories()
        }
        new = [f for path, found in findings.items() if path not in NOT_YET_MOVED for f in found]
        assert not new, "SQL outside repository modules:\n" + "\n".join(map(str, new))
        cleaned = sorted(str(path) for path in NOT_YET_MOVED if not findings.get(path))
        assert not cleaned, f"No SQL left in {cleaned}: remove them from NOT_YET_MOVED"
