"""Answers and summaries as CSV and XLSX, read back; pseudonymised exports name nobody."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from support.world import LAST_WEEK, World


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _xlsx(content: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def test_a_facilitator_exports_their_circles_answers_as_csv(world: World, as_role) -> None:
    response = await as_role("facilitator_a").get("/v1/exports/answers")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="answers.csv"' in response.headers["content-disposition"]
    rows = _csv(response.text)
    assert rows and {r["circle"] for r in rows} == {"Demo circle"}  # never circle B
    assert int(response.headers["x-row-count"]) == len(rows)
    voice = next(r for r in rows if r["question"] == "help")
    assert voice["kind"] == "voice" and voice["voice_seconds"] == "12"
    assert any(r["name"] == "Ana Souza" for r in rows)


async def test_xlsx_has_the_same_rows_as_csv(world: World, as_role) -> None:
    client = as_role("admin")
    params = {"circle": world.a.circle, "from_week": LAST_WEEK, "to_week": LAST_WEEK}
    as_csv = _csv((await client.get("/v1/exports/answers", params=params)).text)
    xlsx = await client.get("/v1/exports/answers", params={**params, "format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = _xlsx(xlsx.content)
    assert len(rows) == len(as_csv) > 0
    assert {r["week"] for r in rows} == {LAST_WEEK}
    assert [r["question"] for r in rows] == [r["question"] for r in as_csv]
    ratings = [r["number"] for r in rows if r["question"] == "how_well"]
    assert ratings and all(isinstance(n, int | float) and 1 <= n <= 5 for n in ratings)


async def test_a_pseudonymised_export_has_no_names_ids_or_free_text(world: World, as_role) -> None:
    client = as_role("coordinator")
    params = {"pseudonymise": "true", "country": "BR"}
    first = await client.get("/v1/exports/answers", params=params)
    text = first.text
    rows = _csv(text)
    assert rows and "name" not in rows[0] and "text" not in rows[0] and "person_id" not in rows[0]
    for secret in ("Ana Souza", "Efua", "exit tickets", "Most exit tickets", "Kofi"):
        assert secret not in text
    assert all(r["participant"].startswith("p_") for r in rows)
    assert len({r["participant"] for r in rows}) == 10  # ten teachers answered
    second = _csv((await client.get("/v1/exports/answers", params=params)).text)
    assert [r["participant"] for r in second] == [r["participant"] for r in rows]  # stable
    with_text = _csv(
        (await client.get("/v1/exports/answers", params={**params, "include_text": "true"})).text
    )
    assert any(r["text"] == "Photo of two exit tickets" for r in with_text)


async def test_summaries_export_one_row_per_circle_and_week(world: World, as_role) -> None:
    response = await as_role("coordinator").get(
        "/v1/exports/summaries", params={"format": "xlsx", "to_week": LAST_WEEK}
    )
    rows = _xlsx(response.content)
    assert len(rows) == 2 * 8  # two circles, eight weeks
    last = next(r for r in rows if r["circle"] == "Demo circle" and r["week"] == LAST_WEEK)
    assert last["answered"] == 8 and last["missed"] == 2 and last["response_rate"] == 0.8
    assert last["rating_mean"] == 3.625 and last["rating_count"] == 8
    assert "Ana Souza" not in response.text


async def test_spreadsheet_formulas_in_answers_stay_text(world: World, as_role, sessions) -> None:
    from sqlalchemy import update

    from circles.db import transaction
    from circles.models import Answer

    async with transaction(sessions) as session:
        await session.execute(
            update(Answer)
            .where(Answer.question_key == "adjust")
            .values(value_text='=HYPERLINK("http://evil","x")\x07')
        )
    client = as_role("admin")
    rows = _csv((await client.get("/v1/exports/answers")).text)
    adjust = next(r for r in rows if r["question"] == "adjust")
    assert adjust["text"].startswith("'=")
    xlsx = _xlsx((await client.get("/v1/exports/answers", params={"format": "xlsx"})).content)
    cell = next(r for r in xlsx if r["question"] == "adjust")
    assert cell["text"] == '=HYPERLINK("http://evil","x")'  # a string, not a formula


async def test_a_union_rep_may_not_pull_teachers_answers(world: World, as_role) -> None:
    rep = as_role("union_rep_a")
    for params in (
        {},
        {"format": "xlsx"},
        {"pseudonymise": "true"},
        {"circle": world.a.circle},
        {"circle": world.b.circle},
    ):
        response = await rep.get("/v1/exports/answers", params=params)
        assert response.status_code == 403, params
        assert response.headers["content-type"] == "application/problem+json"
        assert "Ana Souza" not in response.text
    summaries = await rep.get("/v1/exports/summaries", params={"to_week": LAST_WEEK})
    assert summaries.status_code == 200
    assert {r["circle"] for r in _csv(summaries.text)} == {"Demo circle"}


async def test_a_large_export_streams_in_batches_with_the_same_rows(
    world: World, as_role, monkeypatch
) -> None:
    from circles.services import exports

    client = as_role("coordinator")
    weeks = {"from_week": "2026-W33", "to_week": LAST_WEEK}
    whole = await client.get("/v1/exports/answers", params=weeks)
    whole_xlsx = await client.get("/v1/exports/answers", params={**weeks, "format": "xlsx"})
    monkeypatch.setattr(exports, "BATCH", 3)
    monkeypatch.setattr(exports, "READ_BYTES", 1000)
    batched = await client.get("/v1/exports/answers", params=weeks)
    assert batched.content == whole.content
    rows = _csv(batched.text)
    assert {r["week"] for r in rows} == {"2026-W33", "2026-W34", LAST_WEEK}
    assert int(batched.headers["x-row-count"]) == len(rows) > 3 * 10
    batched_xlsx = await client.get("/v1/exports/answers", params={**weeks, "format": "xlsx"})
    assert _xlsx(batched_xlsx.content) == _xlsx(whole_xlsx.content)
    assert int(batched_xlsx.headers["x-row-count"]) == len(rows)


async def test_a_busy_server_asks_the_next_export_to_come_back_later(
    world: World, as_role, monkeypatch
) -> None:
    import asyncio

    from api import streaming
    from circles.services import booklet

    monkeypatch.setattr(streaming, "MAX_STREAMS", 1)
    reached, go_on = asyncio.Event(), asyncio.Event()
    rows = booklet._rows

    async def slow(session, ids):  # the first booklet stops halfway until told to go on
        reached.set()
        await go_on.wait()
        return await rows(session, ids)

    monkeypatch.setattr(booklet, "_rows", slow)
    await as_role("facilitator_a").post(f"/v1/practices/{world.a.practice}/approve")
    first = asyncio.create_task(as_role("facilitator_a").get("/v1/repository/booklet"))
    await asyncio.wait_for(reached.wait(), 30)

    client = as_role("admin", **{"Accept-Language": "en"})
    for url in ("/v1/exports/answers", "/v1/repository/booklet"):
        busy = await client.get(url)
        assert busy.status_code == 503, url
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.headers["retry-after"] == "10"
        assert busy.json()["detail"] == (
            "The server is making too many exports at once; try again in a few seconds."
        )
    assert (await client.get("/v1/exports/summaries")).status_code == 200  # small: no limit
    refused = await as_role("union_rep_a").get("/v1/exports/answers")
    assert refused.status_code == 403  # refused before it asks for a place

    go_on.set()
    page = await asyncio.wait_for(first, 30)
    assert page.status_code == 200 and "Mini whiteboards for hinge questions" in page.text
    for _ in range(2):  # every export gives its place back once it is sent
        assert (await client.get("/v1/exports/answers")).status_code == 200
        assert (await client.get("/v1/repository/booklet")).status_code == 200
