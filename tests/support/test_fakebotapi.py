"""Tests for the fake Telegram Bot API server, driven by a real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from .fakebotapi import FakeBotApi, FakeUser

ANN = FakeUser(1001, "Ann", "Lee", username="ann")
BOB = FakeUser(1002, "Bob")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """A running fake Bot API."""
    async with FakeBotApi() as api:
        yield api


def build_app(fake: FakeBotApi, token: str | None = None) -> Application:
    """Build a real PTB application pointed at the fake."""
    return (
        ApplicationBuilder()
        .token(token or fake.token)
        .base_url(f"{fake.base_url}/bot")
        .base_file_url(f"{fake.base_url}/file/bot")
        .build()
    )


@asynccontextmanager
async def bot_for(fake: FakeBotApi) -> AsyncIterator[Bot]:
    """A bare initialised ``telegram.Bot`` talking to the fake."""
    async with Bot(
        fake.token, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot"
    ) as bot:
        yield bot


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Run ``app`` in polling mode and shut it down cleanly afterwards."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=10))
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user."""
    assert update.effective_user is not None and update.effective_message is not None
    await update.effective_message.reply_text(f"Welcome, {update.effective_user.first_name}!")


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask a question with an inline keyboard."""
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("A", callback_data="ans:a")],
            [InlineKeyboardButton("B", callback_data="ans:b")],
        ]
    )
    await update.effective_message.reply_text("2 + 2 = ?", reply_markup=keyboard)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record the answer: toast + edit the question."""
    query = update.callback_query
    assert query is not None and query.data is not None
    context.bot_data.setdefault("answers", []).append(query.data)
    choice = query.data.split(":")[1]
    await query.answer(f"Recorded: {choice}")
    await query.edit_message_text(f"You chose {choice.upper()}")


# ------------------------------------------------------------------ PTB end to end


async def test_polling_app_answers_start(fake: FakeBotApi) -> None:
    app = build_app(fake)
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        update = fake.user_message(ANN, "/start")
        messages = await fake.wait_for_messages(ANN.id, 1)
    assert fake.texts_to(ANN.id) == ["Welcome, Ann!"]
    sent = messages[0]
    assert sent["from"]["id"] == fake.bot_id and sent["from"]["is_bot"] is True
    assert sent["chat"] == {
        "id": ANN.id,
        "type": "private",
        "first_name": "Ann",
        "last_name": "Lee",
        "username": "ann",
    }
    assert isinstance(sent["date"], int) and abs(sent["date"] - time.time()) < 5
    assert sent["message_id"] == update["message"]["message_id"] + 1
    assert [c.method for c in fake.calls][:2] == ["getMe", "deleteWebhook"]
    # the update was confirmed by the updater's final getUpdates(offset=...)
    assert fake.pending_updates == []
    assert not fake.server_errors


async def test_process_update_path(fake: FakeBotApi) -> None:
    app = build_app(fake)
    app.add_handler(CommandHandler("start", start))
    async with app:
        data = fake.user_message(BOB, "/start", enqueue=False)
        await app.process_update(Update.de_json(data, app.bot))
    assert fake.texts_to(BOB.id) == ["Welcome, Bob!"]
    call = fake.last_call("sendMessage")
    assert call.params["chat_id"] == BOB.id
    assert call.params["text"] == "Welcome, Bob!"
    assert "reply_parameters" not in call.params  # PTB only quotes by default in groups


async def test_command_from_group_chat(fake: FakeBotApi) -> None:
    group = fake.group_chat(-4001, "Year 7 maths")
    app = build_app(fake)
    app.add_handler(CommandHandler("start", start))
    async with app:
        data = fake.user_message(ANN, f"/start@{fake.bot_username}", chat=group)
        await app.process_update(Update.de_json(data, app.bot))
    assert fake.texts_to(-4001) == ["Welcome, Ann!"]
    reply = fake.sent_to(-4001)[0]
    assert reply["chat"]["type"] == "group"
    assert reply["reply_to_message"]["message_id"] == data["message"]["message_id"]
    assert reply["reply_to_message"]["from"]["id"] == ANN.id
    assert data["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 23}]


async def test_inline_keyboard_click_answer_and_edit(fake: FakeBotApi) -> None:
    app = build_app(fake)
    app.add_handler(CommandHandler("quiz", quiz))
    app.add_handler(CallbackQueryHandler(answer, pattern=r"^ans:"))
    async with polling(app):
        fake.user_message(ANN, "/quiz")
        [question] = await fake.wait_for_messages(ANN.id, 1)
        assert fake.buttons(question)[1][0] == {"text": "B", "callback_data": "ans:b"}
        fake.user_click(ANN, question, "ans:b")
        await fake.wait_for_calls("editMessageText")
    assert app.bot_data["answers"] == ["ans:b"]
    assert fake.callback_answers[-1]["text"] == "Recorded: b"
    assert fake.callback_answers[-1]["data"] == "ans:b"
    assert fake.callback_answers[-1]["user_id"] == ANN.id
    # edited in place; editing without reply_markup removes the keyboard, like Telegram
    assert fake.texts_to(ANN.id) == ["You chose B"]
    assert "reply_markup" not in question and "edit_date" in question
    with pytest.raises(AssertionError, match=r"(?i)no button"):
        fake.user_click(ANN, question, "ans:a")


async def test_edit_message_text_updates_stored_message(fake: FakeBotApi) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    async with bot_for(fake) as bot:
        sent = await bot.send_message(ANN.id, "Draft", reply_markup=keyboard)
        edited = await bot.edit_message_text(
            "Final", chat_id=ANN.id, message_id=sent.message_id, reply_markup=keyboard
        )
        assert edited.text == "Final" and edited.edit_date is not None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text(
                "Final", chat_id=ANN.id, message_id=sent.message_id, reply_markup=keyboard
            )
        await bot.edit_message_reply_markup(chat_id=ANN.id, message_id=sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=ANN.id, message_id=999)
        assert await bot.delete_message(ANN.id, sent.message_id) is True
    [stored] = fake.sent_to(ANN.id)
    assert stored["text"] == "Final" and "reply_markup" not in stored
    assert fake.is_deleted(ANN.id, sent.message_id) and fake.visible_to(ANN.id) == []


async def test_edit_caption_and_reply_keyboard_is_kept_for_inspection(fake: FakeBotApi) -> None:
    fake.add_file("known-photo", b"jpeg")
    keyboard = ReplyKeyboardMarkup([["Yes", "No"]], one_time_keyboard=True)
    async with bot_for(fake) as bot:
        sent = await bot.send_photo(ANN.id, "known-photo", caption="old", reply_markup=keyboard)
        assert sent.reply_markup is None  # Telegram only echoes inline keyboards
        await bot.edit_message_caption(chat_id=ANN.id, message_id=sent.message_id, caption="new")
    [stored] = fake.sent_to(ANN.id)
    assert stored["caption"] == "new"
    assert stored["photo"][0]["file_id"] == "known-photo"
    assert stored["reply_markup"]["keyboard"][0][1] == {"text": "No"}


# ------------------------------------------------------------------ faults


async def test_fail_next_429_raises_retry_after(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # no deprecation warning about int retry_after
    fake.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    async with bot_for(fake) as bot:
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(ANN.id, "hi")
        assert info.value.retry_after == dtm.timedelta(seconds=7)
        await bot.send_message(ANN.id, "hi again")  # only the next call fails
    assert fake.texts_to(ANN.id) == ["hi again"]
    failed = fake.calls_for("sendMessage")[0]
    assert failed.status == 429
    assert failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }


async def test_fail_next_403_and_400_for_one_chat(fake: FakeBotApi) -> None:
    fake.fail_next("sendmessage", status=403, description="Forbidden: bot was blocked by the user")
    fake.fail_next(
        "sendMessage",
        status=400,
        description="Bad Request: chat not found",
        chat_id=BOB.id,
        times=2,
    )
    async with bot_for(fake) as bot:
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(ANN.id, "one")
        await bot.send_message(ANN.id, "two")
        for _ in range(2):
            with pytest.raises(BadRequest, match=r"(?i)chat not found"):
                await bot.send_message(BOB.id, "three")
        await bot.send_message(BOB.id, "four")
        fake.fail_next("sendMessage", status=502)
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await bot.send_message(ANN.id, "five")
    assert fake.texts_to(ANN.id) == ["two"]
    assert fake.texts_to(BOB.id) == ["four"]


async def test_blocked_user_gets_403_and_my_chat_member(fake: FakeBotApi) -> None:
    update = fake.user_blocks_bot(ANN)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    async with bot_for(fake) as bot:
        assert Update.de_json(update, bot).my_chat_member is not None
        with pytest.raises(Forbidden):
            await bot.send_message(ANN.id, "reminder")
        fake.user_unblocks_bot(ANN)
        await bot.send_message(ANN.id, "reminder")
    assert fake.texts_to(ANN.id) == ["reminder"]


async def test_delay_next_provokes_client_timeout(fake: FakeBotApi) -> None:
    fake.delay_next("sendMessage", 5.0)
    async with bot_for(fake) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ANN.id, "slow", read_timeout=0.1)
        await bot.send_message(ANN.id, "fast")
    assert fake.texts_to(ANN.id) == ["fast"]
    # the fake is stopped by the fixture while the slow request still waits: no hang, no leak


async def test_wrong_token_is_invalid_token(fake: FakeBotApi) -> None:
    requests = (HTTPXRequest(), HTTPXRequest())
    bot = Bot(
        "999:WRONG",
        base_url=f"{fake.base_url}/bot",
        request=requests[0],
        get_updates_request=requests[1],
    )
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:
        for request in requests:
            await request.shutdown()
    assert fake.calls[-1].status == 401
    assert fake.calls[-1].response == {
        "ok": False,
        "error_code": 401,
        "description": "Unauthorized",
    }


async def test_application_with_wrong_token_fails_to_initialize(fake: FakeBotApi) -> None:
    app = build_app(fake, token="999:WRONG")
    with pytest.raises(InvalidToken):
        await app.initialize()
    # release the two HTTP clients PTB opened before the token was rejected
    for request in app.bot._request:
        await request.shutdown()


async def test_unknown_method_and_case_insensitive_names(fake: FakeBotApi) -> None:
    async with bot_for(fake) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("noSuchMethod")
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post(f"/bot{fake.token}/GETME")
        assert response.json()["result"]["username"] == fake.bot_username
        response = await client.get(f"/bot{fake.token}/nosuchmethod")
        assert response.status_code == 404
        assert response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        response = await client.post(
            f"/bot{fake.token}/sendMessage", json={"chat_id": ANN.id, "text": "json body"}
        )
        assert response.json()["result"]["text"] == "json body"
    # canonical names for known methods, the client's spelling for unknown ones
    assert [c.method for c in fake.calls[-3:]] == ["getMe", "nosuchmethod", "sendMessage"]
    assert fake.calls_for("noSuchMethod")[0].status == 404


# ------------------------------------------------------------------ getUpdates


async def test_get_updates_offset_semantics(fake: FakeBotApi) -> None:
    first = fake.user_message(ANN, "one")
    second = fake.user_message(ANN, "two")
    third = fake.user_message(BOB, "three")
    ids = [u["update_id"] for u in (first, second, third)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    async with bot_for(fake) as bot:
        assert [u.update_id for u in await bot.get_updates()] == ids
        assert [u.update_id for u in await bot.get_updates()] == ids  # not confirmed yet
        assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
        # the first one was confirmed and is gone for good
        assert [u.update_id for u in await bot.get_updates()] == ids[1:]
        assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
        assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
        assert await bot.get_updates(offset=ids[2] + 1) == ()
        assert fake.pending_updates == []
        fourth = fake.push_update({"message": dict(third["message"], message_id=99)})
        assert fourth["update_id"] == ids[2] + 1
        got = await bot.get_updates(offset=ids[2] + 1)
        assert got[0].message is not None and got[0].message.text == "three"


async def test_get_updates_long_poll_returns_when_update_arrives(fake: FakeBotApi) -> None:
    async with bot_for(fake) as bot:
        started = time.monotonic()
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await fake.wait_for(lambda: bool(fake.calls_for("getUpdates")), what="getUpdates")
        fake.user_message(ANN, "wake up")
        updates = await poll
        assert time.monotonic() - started < 1
        assert updates[0].message is not None and updates[0].message.text == "wake up"
        # an empty long poll that is still waiting when the fake stops is answered promptly
        waiting = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=10))
        await fake.wait_for(lambda: len(fake.calls_for("getUpdates")) == 2, what="2nd poll")
        await fake.stop()
        assert await waiting == ()


async def test_newer_get_updates_terminates_older_one(fake: FakeBotApi) -> None:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}/bot{fake.token}") as client:
        old = asyncio.create_task(client.post("/getUpdates", data={"timeout": "10"}))
        await fake.wait_for(lambda: bool(fake.calls_for("getUpdates")), what="getUpdates")
        new = await client.post("/getUpdates", data={"timeout": "0"})
        assert new.json() == {"ok": True, "result": []}
        response = await old
        assert response.status_code == 409
        assert "terminated by other getUpdates request" in response.json()["description"]


# ------------------------------------------------------------------ files


async def test_send_photo_upload_is_recorded_and_downloadable(fake: FakeBotApi) -> None:
    content = bytes(range(256)) * 4 + b"\r\n--boundary-like\r\n"
    async with bot_for(fake) as bot:
        message = await bot.send_photo(
            ANN.id,
            photo=content,
            caption="<b>Look</b> here",
            parse_mode=ParseMode.HTML,
            filename="chart.png",
        )
        assert message.caption == "Look here"
        assert message.caption_entities[0].type == "bold"
        call = fake.last_call("sendPhoto")
        upload = call.files["photo"]
        assert upload.content == content
        assert upload.filename == "chart.png"
        assert call.params["caption"] == "<b>Look</b> here"
        assert call.params["parse_mode"] == "HTML"
        stored = fake.sent_to(ANN.id)[0]
        file_id = stored["photo"][-1]["file_id"]
        assert fake.file_content(file_id) == content
        telegram_file = await bot.get_file(file_id)
        assert bytes(await telegram_file.download_as_bytearray()) == content
        again = await bot.send_photo(BOB.id, photo=file_id)  # re-send by file_id
        assert again.photo[-1].file_id == file_id


async def test_get_file_downloads_registered_bytes(fake: FakeBotApi) -> None:
    info = fake.add_file("essay-1", b"student essay bytes", file_path="documents/essay.txt")
    assert info == {
        "file_id": "essay-1",
        "file_unique_id": info["file_unique_id"],
        "file_size": 19,
        "file_path": "documents/essay.txt",
    }
    async with bot_for(fake) as bot:
        telegram_file = await bot.get_file("essay-1")
        assert (
            telegram_file.file_path == f"{fake.base_url}/file/bot{fake.token}/documents/essay.txt"
        )
        assert bytes(await telegram_file.download_as_bytearray()) == b"student essay bytes"
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("nope")


async def test_user_media_reach_handlers_and_can_be_downloaded(
    fake: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    seen: list[bytes] = []

    async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.voice is not None
        voice_file = await update.message.voice.get_file()
        seen.append(bytes(await voice_file.download_as_bytearray()))
        await update.message.reply_text(f"{update.message.voice.duration.seconds}s received")

    async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None
        kind = (
            "photo"
            if message.photo
            else "document"
            if message.document
            else "sticker"
            if message.sticker
            else "location"
            if message.location
            else "contact"
            if message.contact
            else "?"
        )
        await message.reply_text(kind)

    app = build_app(fake)
    app.add_handler(MessageHandler(filters.VOICE, on_voice))
    app.add_handler(MessageHandler(~filters.VOICE, on_other))
    async with app:
        updates = [
            fake.user_voice(ANN, duration=4, content=b"OggS voice"),
            fake.user_photo(ANN, caption="homework"),
            fake.user_document(ANN, file_name="essay.docx", mime_type="application/msword"),
            fake.user_sticker(ANN),
            fake.user_location(ANN, 51.5, -0.12),
            fake.user_contact(ANN, "+441234567"),
        ]
        for data in updates:
            await app.process_update(Update.de_json(data, app.bot))
    assert seen == [b"OggS voice"]
    assert fake.texts_to(ANN.id) == [
        "4s received",
        "photo",
        "document",
        "sticker",
        "location",
        "contact",
    ]
    assert updates[5]["message"]["contact"]["user_id"] == ANN.id


async def test_send_media_group(fake: FakeBotApi) -> None:
    async with bot_for(fake) as bot:
        messages = await bot.send_media_group(
            ANN.id, [InputMediaPhoto(b"one", caption="first"), InputMediaPhoto(b"two")]
        )
    assert len(messages) == 2 and messages[0].media_group_id == messages[1].media_group_id
    assert fake.texts_to(ANN.id) == ["first", ""]
    assert [fake.file_content(m["photo"][0]["file_id"]) for m in fake.sent_to(ANN.id)] == [
        b"one",
        b"two",
    ]


# ------------------------------------------------------------------ formatting & validation


async def test_parse_modes_and_validation(fake: FakeBotApi) -> None:
    async with bot_for(fake) as bot:
        message = await bot.send_message(
            ANN.id, "Hi <b>Ann</b> &amp; <i>co</i>\n", parse_mode=ParseMode.HTML
        )
        assert message.text == "Hi Ann & co"
        assert [(e.type, e.offset, e.length) for e in message.entities] == [
            ("bold", 3, 3),
            ("italic", 9, 2),
        ]
        message = await bot.send_message(
            ANN.id, "*Score:* 5\\.0 \\(out of 10\\)", parse_mode=ParseMode.MARKDOWN_V2
        )
        assert message.text == "Score: 5.0 (out of 10)"
        with pytest.raises(BadRequest, match=r"(?i)Character '.' is reserved"):
            await bot.send_message(ANN.id, "Score: 5.0", parse_mode=ParseMode.MARKDOWN_V2)
        with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "br"'):
            await bot.send_message(ANN.id, "line<br>break", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(ANN.id, "1 <3 maths", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(ANN.id, "   ")
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(ANN.id, "x" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(
                ANN.id,
                "too much data",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("x", callback_data="y" * 65)]]
                ),
            )
        with pytest.raises(BadRequest, match=r"(?i)Wrong HTTP URL"):
            await bot.send_message(
                ANN.id,
                "local link",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("open", url="http://localhost:8000")]]
                ),
            )
    assert fake.texts_to(ANN.id) == ["Hi Ann & co", "Score: 5.0 (out of 10)"]


# ------------------------------------------------------------------ bot settings & webhooks


async def test_commands_descriptions_chat_and_actions(fake: FakeBotApi) -> None:
    async with bot_for(fake) as bot:
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("join", "Join")])
        await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
        assert [c.command for c in await bot.get_my_commands()] == ["start", "join"]
        assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("Bad-Command", "x")])
        await bot.delete_my_commands(language_code="ru")
        assert await bot.get_my_commands(language_code="ru") == ()
        await bot.set_my_description("Formative assessment circles")
        await bot.set_my_short_description("Circles")
        assert (await bot.get_my_description()).description == "Formative assessment circles"
        assert await bot.send_chat_action(ANN.id, "typing") is True
        fake.user_message(ANN, "hello")
        chat = await bot.get_chat(ANN.id)
        assert chat.first_name == "Ann" and chat.type == "private"
        me = await bot.get_me()
        assert me.is_bot and me.username == fake.bot_username and me.can_join_groups
        assert await bot.log_out() is True and await bot.close() is True
    assert fake.commands_for() == [
        {"command": "start", "description": "Start"},
        {"command": "join", "description": "Join"},
    ]
    assert fake.descriptions == {"": "Formative assessment circles"}
    assert fake.short_descriptions == {"": "Circles"}
    assert fake.last_call("sendChatAction").params == {"chat_id": ANN.id, "action": "typing"}


async def test_strict_chats_report_unknown_chat() -> None:
    async with FakeBotApi(strict_chats=True) as fake, bot_for(fake) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(777, "hi")
        fake.user_message(FakeUser(777, "Zed"), "hi")
        await bot.send_message(777, "hi")
        assert fake.texts_to(777) == ["hi"]


async def test_webhook_set_info_and_delivery(fake: FakeBotApi) -> None:
    received: list[tuple[str | None, dict]] = []

    async def endpoint(request: Request) -> JSONResponse:
        received.append(
            (request.headers.get("x-telegram-bot-api-secret-token"), await request.json())
        )
        return JSONResponse({})

    webhook_app = Starlette(routes=[Route("/tg/hook", endpoint, methods=["POST"])])
    async with bot_for(fake) as bot:
        with pytest.raises(BadRequest, match=r"(?i)HTTPS URL must be provided"):
            await bot.set_webhook("http://circles.example.org/tg/hook")
        await bot.set_webhook(
            "https://circles.example.org/tg/hook", secret_token="s3cret", max_connections=10
        )
        info = await bot.get_webhook_info()
        assert info.url == "https://circles.example.org/tg/hook" and info.max_connections == 10
        assert fake.webhook_secret == "s3cret"
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        update = fake.user_message(ANN, "/start", enqueue=False)
        status = await fake.deliver_webhook(update, app=webhook_app)
        assert status == 200
        assert received == [("s3cret", update)]
        await bot.delete_webhook(drop_pending_updates=True)
        assert fake.webhook_url is None and (await bot.get_webhook_info()).url == ""


async def test_user_edit_reply_and_double_callback_answer(fake: FakeBotApi) -> None:
    edits: list[str] = []

    async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.edited_message is not None and update.edited_message.text is not None
        edits.append(update.edited_message.text)

    app = build_app(fake)
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))
    async with app:
        question = await app.bot.send_message(ANN.id, "Your answer?")
        stored_question = fake.sent_to(ANN.id)[0]
        reply = fake.user_message(ANN, "42", reply_to=stored_question)
        assert reply["message"]["reply_to_message"]["text"] == "Your answer?"
        assert Update.de_json(reply, app.bot).message.reply_to_message.message_id == (  # type: ignore[union-attr]
            question.message_id
        )
        edited = fake.user_edit(ANN, reply, "43")
        await app.process_update(Update.de_json(edited, app.bot))
        assert [m["text"] for m in fake.history(ANN.id)] == ["Your answer?", "43"]

        await app.bot.edit_message_reply_markup(
            ANN.id,
            question.message_id,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]]),
        )
        click = fake.user_click(ANN, stored_question, "ok", enqueue=False)
        query_id = click["callback_query"]["id"]
        assert await app.bot.answer_callback_query(query_id, "Thanks") is True
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await app.bot.answer_callback_query(query_id, "Again")
    assert edits == ["43"]
    assert fake.callback_answers == [
        {"callback_query_id": query_id, "text": "Thanks", "data": "ok", "user_id": ANN.id}
    ]


async def test_send_document_upload(fake: FakeBotApi) -> None:
    async with bot_for(fake) as bot:
        message = await bot.send_document(
            ANN.id, b"name,score\nAnn,5\n", filename="scores.csv", caption="Results"
        )
    assert message.document is not None and message.document.file_name == "scores.csv"
    upload = fake.last_call("sendDocument").files["document"]
    assert upload.content == b"name,score\nAnn,5\n" and upload.content_type == "text/csv"
    assert fake.sent_to(ANN.id)[0]["document"]["mime_type"] == "text/csv"


async def test_wait_for_messages_reports_what_it_has_and_no_signal_handlers() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    async with FakeBotApi() as fake, bot_for(fake) as bot:
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
        await bot.send_message(ANN.id, "only one")
        with pytest.raises(AssertionError, match=r"expected >= 2 message\(s\).*'only one'"):
            await fake.wait_for_messages(ANN.id, 2, timeout=0.05)
    assert not fake.running
