"""A fake OpenAI-compatible server on 127.0.0.1 for tests, driven by the real openai client.

It serves `POST /v1/chat/completions`, `/v1/images/generations`, `/v1/images/edits` and
`/v1/audio/speech`, and records every request (headers, body, arrival time).
Scripted replies are served first, in order; after them a "story model" answers each
structured-output schema with a small, valid answer derived from the request's payload,
so a whole transformation can run.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIGEST_MARKER = "FAKE-DIGEST-NOTE"


@dataclass
class Reply:
    status: int = 200
    body: dict | str | bytes = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict  # the JSON body; {} for multipart uploads (see `raw`)
    at: float
    raw: bytes = b""

    def form_field(self, name: str) -> str:
        """A text field of a multipart body (image edits)."""
        match = re.search(
            rb'name="' + name.encode() + rb'"\r\n\r\n(.*?)\r\n--', self.raw, re.DOTALL
        )
        return match.group(1).decode() if match else ""

    @property
    def schema_name(self) -> str:
        fmt = self.body.get("response_format") or {}
        if not isinstance(fmt, dict):  # speech asks for "wav", not a schema
            return ""
        return (fmt.get("json_schema") or {}).get("name", "")

    @property
    def user_text(self) -> str:
        content = self.body["messages"][1]["content"]
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content)
        return content

    @property
    def payload(self) -> dict:
        return json.loads(self.user_text)

    @property
    def idempotency_key(self) -> str:
        return self.headers.get("idempotency-key", "")

    @property
    def input_bytes(self) -> int:
        """Bytes of every message's text plus the schema: what fills the context window."""
        total = 0
        for message in self.body["messages"]:
            content = message.get("content") or ""
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content)
            total += len(content.encode("utf-8"))
        return total + len(json.dumps(self.body.get("response_format")).encode("utf-8"))


def completion(
    answer: dict | str | None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int = 120,
    completion_tokens: int = 40,
) -> Reply:
    content = answer if isinstance(answer, str) or answer is None else json.dumps(answer)
    return Reply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "fake-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def error(status: int, message: str, *, code: str = "", headers: dict | None = None) -> Reply:
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "error", "code": code or None}},
        headers=headers or {},
    )


# The fake image model's picture: a 64x48 PNG in three colours, recognisable in tests.
FAKE_IMAGE_SIZE = (64, 48)


def fake_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", FAKE_IMAGE_SIZE, (200, 60, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 24, 64, 48), fill=(30, 70, 160))
    draw.rectangle((0, 40, 64, 48), fill=(240, 210, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def image_reply() -> Reply:
    return Reply(
        body={
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(fake_png()).decode()}],
            "usage": {"input_tokens": 50, "output_tokens": 1000, "total_tokens": 1050},
        }
    )


FAKE_SPEECH_SECONDS = 1.5


def speech_wav() -> bytes:
    """1.5 s of a quiet tone, 16 kHz mono: what the fake speech model says to everything."""
    import math
    import wave

    rate = 16_000
    frames = b"".join(
        int(2000 * math.sin(2 * math.pi * 440 * n / rate)).to_bytes(2, "little", signed=True)
        for n in range(int(rate * FAKE_SPEECH_SECONDS))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(frames)
    return out.getvalue()


_CUE = re.compile(r"^([A-Z][A-Z .'\-]{1,30}): ", re.MULTILINE)
_PLACE = re.compile(r"^\[§\d+\] (?:INT\.|EXT\.|INT/EXT\.?)\s*(.+?)(?: - .*)?$", re.MULTILINE)


def _sentence_with(text: str, word: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    return next((sentence for sentence in sentences if word in sentence), word)[:500]


def story_answer(request: Request) -> dict:
    """A small valid answer for the request's schema, built from its payload."""
    name = request.schema_name
    payload = request.payload
    if name == "DigestAnswer":
        text = payload["text"]
        people = sorted({m.strip().title() for m in _CUE.findall(text)})
        places = sorted({m.strip().title() for m in _PLACE.findall(text)})
        return {
            "summary": f"{DIGEST_MARKER}: part covering sections {payload['sections']}.",
            "sections": [
                {"section": s, "summary": f"Section {s} happens."} for s in payload["sections"]
            ],
            "people": [{"name": p, "note": "appears here"} for p in people],
            "places": [{"name": p, "note": "a place"} for p in places],
        }
    if name == "SummaryAnswer":
        return {"summary": " / ".join(part[:60] for part in payload["parts"])}
    if name == "ReadingAnswer":
        return {
            "structure_summary": "Five short scenes that turn on a clock kept fast.",
            "voice_notes": "Spare, wry, warm.",
            "logline": "A barista keeps her clock fast until a watch repairer offers to fix it.",
        }
    if name == "IdentityAnswer":
        return {
            "theme": "Making time for the people we love",
            "tone_tags": ["Tender", "wry"],
            "genre": "Romance",
            "genre_confidence": 0.8,
            "keywords": ["clock", "time", "coffee"],
        }
    if name == "WorldAnswer":
        people = [p["name"] for p in payload["people"] if p["parts"]][:6]
        places = [p["name"] for p in payload["places"] if p["parts"]][:6]
        return {
            "characters": [
                {
                    "name": person,
                    "aliases": [],
                    "description": f"{person}, as the model describes them.",
                    "tier": "main" if index < 2 else "supporting",
                    "secret_info": "",
                    "chat_persona": f"Speaks like {person}.",
                }
                for index, person in enumerate(people)
            ],
            "locations": [
                {"name": place, "description": f"The {place}.", "int_ext": "INT"}
                for place in places
            ],
        }
    if name == "MomentTitlesAnswer":
        return {
            "cards": [
                {"day_index": card["day_index"], "title": f"Day {card['day_index']} moment"}
                for card in payload["cards"]
            ]
        }
    if name == "CardAnswer":
        day = payload["card"]["day_index"]
        return {
            "captions": [f"Caption one for day {day}.", f"Caption two for day {day}."],
            "scene_text": f"Retold for day {day}: " + payload["source_text"][:300],
            "recap_text": f"On day {day}, the clock mattered.",
            "scene_description": f"Day {day} in one frame.",
            "discussion_questions": ["What would you have done?", "Why does time matter here?"],
            "image": {
                "subject": "Two people at a counter",
                "setting": "A narrow coffee shop, rain on the windows",
                "mood": "tender",
                "palette": "amber and slate",
                "style": "storybook watercolour",
            },
        }
    if name == "ActivitiesAnswer":
        card = payload["card"]
        words = [w.strip(".,;:!?\"'()") for w in card["scene_text"].split()]
        long_words = list(dict.fromkeys(w for w in words if len(w) > 6))[:3] or ["the"] * 3
        return {
            "comprehension": [
                {
                    "question": f"Question {n} about day {card['day_index']}?",
                    "choices": [f"Choice {n}.{c}" for c in "abcd"],
                    "answer_index": 0,
                    "explanation": "The card says so.",
                }
                for n in range(1, 4)
            ],
            "discussion": ["What would you do?", "Why did it matter?"],
            "vocabulary": [
                {"word": word, "sentence": _sentence_with(card["scene_text"], word)}
                for word in long_words
            ],
            "creative_prompt": "Draw the moment.",
        }
    if name == "CharacterProfileAnswer":
        return {
            "appearance": "A woman in her thirties with paint on her sleeves.",
            "age_range": "30s",
            "hair": "dark, shoulder length",
            "clothing": "apron over a denim shirt",
            "distinguishing_features": ["paint on her sleeves"],
            "palette": ["#3a2f28", "#c8a27a", "#6b8fa3"],
            "do_not_change": ["dark shoulder-length hair", "paint on her sleeves"],
        }
    raise ValueError(f"the fake has no answer for schema {name!r}")


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.script: deque[Reply] = deque()
        # Seconds to wait before answering a schema: a slow model, for kill-mid-call tests.
        self.delays: dict[str, float] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                is_json = "json" in (self.headers.get("Content-Type") or "")
                request = Request(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw or b"{}") if is_json else {},
                    at=time.monotonic(),
                    raw=raw,
                )
                reply = fake._reply(request)
                if isinstance(reply.body, bytes):
                    data = reply.body
                elif isinstance(reply.body, str):
                    data = reply.body.encode()
                else:
                    data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def push(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def _reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            scripted = self.script.popleft() if self.script else None
        time.sleep(self.delays.get(request.schema_name, 0))
        if scripted is not None:
            return scripted
        if request.path in ("/v1/images/generations", "/v1/images/edits"):
            return image_reply()
        if request.path == "/v1/audio/speech":
            return Reply(body=speech_wav(), content_type="audio/wav")
        if request.path != "/v1/chat/completions":
            return error(404, f"no route {request.path}")
        return completion(story_answer(request))

    def calls(self, schema_name: str) -> list[Request]:
        return [r for r in self.requests if r.schema_name == schema_name]
