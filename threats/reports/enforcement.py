"""Enforcement figures of reports, in SQL: actions by kind, cases opened and closed, verdicts, penalties.

Counts only: no suspect, no name, no case number ever leaves here (reports go to analysts and donors).
- An action counts on its day (`taken_at`), with its team (or its patrol's), at its place (actions with no
  place count for the reserve, a team or a month, never for a zone or valley).
- A case counts as opened on `opened_on`, closed on `closed_on`; its verdict and penalty count on
  `verdict_on` (or `closed_on` when no verdict date was entered). The conviction rate is convicted cases
  over cases with a verdict in the period. A case belongs to the teams and places of its incidents and
  actions; grouped by team or place, a case linked to two counts in each.
- Penalties: fines by currency (court fines of cases and administrative fines of protocols), prison
  months and conditional sentences.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from patrol.patrols.models import Patrol
from patrol.reserves.models import Team
from threats.enforcement.models import Case, EnforcementAction
from threats.records.models import Incident
from threats.reports.figures import Frame, _ctes, _key, _rows

_ACTION_TEAMS = (
    f"LEFT JOIN {Patrol._meta.db_table} p ON p.id = a.patrol_id "
    f"LEFT JOIN {Team._meta.db_table} t ON t.id = COALESCE(a.team_id, p.team_id)"
)


def _action_sql(frame: Frame) -> str:
    teams = frame.team_ids is not None or frame.by in ("team", "post")
    ctes, _params = _ctes(frame)
    return f"""{ctes}
    SELECT {_key(frame, "a.taken_at")} AS key, a.kind, count(*), a.fine_currency, sum(a.fine_amount)
    FROM {EnforcementAction._meta.db_table} a
    {"JOIN sl ON a.taken_at >= sl.ss AND a.taken_at < sl.se" if frame.by == "month" else ""}
    {_ACTION_TEAMS if teams else ""}
    {"JOIN g ON ST_Covers(g.geom, a.location)" if frame.areas is not None else ""}
    WHERE a.reserve_id = %(reserve)s AND a.taken_at >= %(start)s AND a.taken_at < %(end)s
      {"AND t.id = ANY(%(teams)s)" if frame.team_ids is not None else ""}
    GROUP BY 1, 2, 4"""  # noqa: S608 - table names from model metadata, values as parameters


def _case_sql(frame: Frame) -> str:
    ctes, _params = _ctes(frame)
    linked = frame.team_ids is not None or frame.by in ("team", "post") or frame.areas is not None
    links = f"""links AS (
      SELECT ci.case_id, p.team_id, i.location FROM {Case.incidents.through._meta.db_table} ci
        JOIN {Incident._meta.db_table} i ON i.id = ci.incident_id
        LEFT JOIN {Patrol._meta.db_table} p ON p.id = i.patrol_id
      UNION
      SELECT a.case_id, COALESCE(a.team_id, p.team_id), a.location FROM {EnforcementAction._meta.db_table} a
        LEFT JOIN {Patrol._meta.db_table} p ON p.id = a.patrol_id WHERE a.case_id IS NOT NULL),"""  # noqa: S608 - table names from model metadata, values as parameters
    join = ""
    if linked:
        join = f"JOIN links l ON l.case_id = c.id LEFT JOIN {Team._meta.db_table} t ON t.id = l.team_id"
        if frame.areas is not None:
            join += " JOIN g ON ST_Covers(g.geom, l.location)"
    key = "to_char(e.d, 'YYYY-MM')" if frame.by == "month" else _key(frame, None)
    return f"""{ctes}, {links if linked else ""}
    e AS (
      SELECT id, 'opened' AS ev, opened_on AS d, verdict, fine_amount, fine_currency, prison_months, conditional
        FROM {Case._meta.db_table} WHERE reserve_id = %(reserve)s
      UNION ALL
      SELECT id, 'closed', closed_on, verdict, fine_amount, fine_currency, prison_months, conditional
        FROM {Case._meta.db_table} WHERE reserve_id = %(reserve)s AND closed_on IS NOT NULL
      UNION ALL
      SELECT id, 'verdict', COALESCE(verdict_on, closed_on), verdict, fine_amount, fine_currency, prison_months,
             conditional
        FROM {Case._meta.db_table} WHERE reserve_id = %(reserve)s AND verdict <> ''
          AND COALESCE(verdict_on, closed_on) IS NOT NULL),
    k AS (
      SELECT DISTINCT {key} AS key, e.*
      FROM e JOIN {Case._meta.db_table} c ON c.id = e.id {join}
      WHERE e.d >= (%(start)s AT TIME ZONE %(tz)s)::date AND e.d < (%(end)s AT TIME ZONE %(tz)s)::date
        {"AND t.id = ANY(%(teams)s)" if frame.team_ids is not None else ""})
    SELECT key, ev, verdict, fine_currency, count(*), sum(fine_amount), sum(prison_months),
           count(*) FILTER (WHERE conditional)
    FROM k GROUP BY 1, 2, 3, 4"""  # noqa: S608 - table names from model metadata, values as parameters


def empty() -> dict[str, Any]:
    return {"actions": {}, "cases": {}}


def enforcement_figures(frame: Frame) -> dict[str, Any]:
    """{"actions": {key: rows}, "cases": {key: rows}}: two queries."""
    _ctes_sql, params = _ctes(frame)
    actions: dict[str, list[tuple]] = defaultdict(list)
    for key, *rest in _rows(_action_sql(frame), params):
        actions[key].append(tuple(rest))
    cases: dict[str, list[tuple]] = defaultdict(list)
    for key, *rest in _rows(_case_sql(frame), params):
        cases[key].append(tuple(rest))
    return {"actions": actions, "cases": cases}


def _money(total: dict[str, Decimal]) -> dict[str, str]:
    return {currency: f"{amount:.2f}" for currency, amount in sorted(total.items()) if currency}


def figures_for(raw: dict[str, Any], key: str) -> dict[str, Any]:
    by_kind: dict[str, int] = defaultdict(int)
    fines: dict[str, Decimal] = defaultdict(Decimal)
    for kind, n, currency, amount in raw["actions"].get(key, []):
        by_kind[kind] += n
        if amount is not None:
            fines[currency] += amount
    opened = closed = convicted = with_verdict = prison = conditional = 0
    verdicts: dict[str, int] = defaultdict(int)
    court_fines: dict[str, Decimal] = defaultdict(Decimal)
    for ev, verdict, currency, n, amount, months, n_conditional in raw["cases"].get(key, []):
        if ev == "opened":
            opened += n
        elif ev == "closed":
            closed += n
        else:
            verdicts[verdict] += n
            with_verdict += n
            convicted += n if verdict == Case.Verdict.CONVICTED else 0
            if amount is not None:
                court_fines[currency] += amount
            prison += months or 0
            conditional += n_conditional
    return {
        "actions": sum(by_kind.values()),
        "actions_by_kind": dict(sorted(by_kind.items())),
        "cases_opened": opened,
        "cases_closed": closed,
        "verdicts": dict(sorted(verdicts.items())),
        "conviction_rate": round(convicted / with_verdict, 3) if with_verdict else None,
        "penalties": {
            "court_fines": _money(court_fines),
            "protocol_fines": _money(fines),
            "prison_months": prison,
            "conditional_sentences": conditional,
        },
    }
