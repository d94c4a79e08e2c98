"""Delivery channels for alerts: stdout, e-mail (SMTP + STARTTLS), DingTalk, WeCom, Feishu, webhook.

Secrets are only ever named by environment variable in the configuration; the value is read from
the `environ` the CLI passes in, used, and never stored or printed. A delivery that still fails
after its retries raises DeliveryError, so the caller does not mark the alert sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

# Message size limits of the chat robots (bytes of UTF-8 text); a digest is split to fit.
SIZE_LIMITS = {"dingtalk": 18000, "wecom": 2000, "feishu": 28000}
# Robots that refuse more than 20 messages a minute from one webhook.
RATE_LIMITED = {"dingtalk", "wecom"}
PER_MINUTE = 20


class DeliveryError(Exception):
    pass


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signing: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu robot signing: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Channel:
    """One configured channel. `deliver` sends one part of a digest to one recipient."""

    def __init__(self, name: str, settings: dict, environ, *, out=None, sleep=time.sleep, clock=time.time):
        self.name = name
        self.settings = settings
        self.environ = environ
        self.out = out
        self.sleep = sleep
        self.clock = clock
        self.sent_times: list[float] = []

    @property
    def limit(self) -> int | None:
        return self.settings.get("max_bytes", SIZE_LIMITS.get(self.name))

    def secret(self, key: str) -> str | None:
        variable = self.settings.get(key)
        if not variable:
            return None
        value = self.environ.get(variable)
        if not value:
            raise DeliveryError(f"{self.name}: the environment variable {variable} is not set")
        return value

    def deliver(self, recipient: dict, level: int, text: str, alerts: list[dict]) -> None:
        if self.name == "stdout":
            self.out.write(text + "\n\n")
            return
        if self.name == "email":
            self._email(recipient, level, text)
            return
        self._respect_rate_limit()
        self._post(self._request(recipient, level, text, alerts))
        self.sent_times.append(self.clock())

    def _respect_rate_limit(self) -> None:
        if self.name not in RATE_LIMITED:
            return
        recent = [t for t in self.sent_times if self.clock() - t < 60]
        if len(recent) >= PER_MINUTE:
            self.sleep(60 - (self.clock() - recent[0]) + 0.1)

    def _request(self, recipient, level, text, alerts) -> tuple[str, dict]:
        url = self.settings["url"]
        mobiles = [recipient["mobile"]] if recipient.get("mobile") else []
        if self.name == "dingtalk":
            secret = self.secret("secret_env")
            if secret:
                stamp = int(self.clock() * 1000)
                url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
            mention = "".join(f" @{m}" for m in mobiles)
            return url, {"msgtype": "text", "text": {"content": text + mention}, "at": {"atMobiles": mobiles}}
        if self.name == "wecom":
            return url, {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
        if self.name == "feishu":
            body = {"msg_type": "text", "content": {"text": text}}
            secret = self.secret("secret_env")
            if secret:
                stamp = int(self.clock())
                body.update(timestamp=str(stamp), sign=feishu_sign(secret, stamp))
            return url, body
        return url, {"recipient": recipient["handle"], "level": level, "text": text, "alerts": alerts}

    def _post(self, request: tuple[str, dict]) -> None:
        url, body = request
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        token = self.secret("token_env") if self.name == "webhook" else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        retries = int(self.settings.get("retries", 2))
        last_error = ""
        for attempt in range(retries + 1):
            if attempt:
                self.sleep(min(2 ** attempt * 0.5, 10))
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method="POST"),
                                            timeout=float(self.settings.get("timeout", 10))) as response:
                    self._check_answer(response.read())
                    return
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 429:
                    break  # a refusal, not a hiccup: retrying will not help
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last_error = str(getattr(exc, "reason", exc))
            except DeliveryError as exc:
                last_error = str(exc)
            except Exception as exc:  # e.g. a malformed URL: the message may hold the URL's token
                last_error = type(exc).__name__
                break
        raise DeliveryError(f"{self.name}: delivery failed after {retries + 1} tries ({last_error})")

    def _check_answer(self, payload: bytes) -> None:
        """The robots answer 200 with an error code inside; 0 means delivered."""
        if self.name == "webhook" or not payload:
            return
        try:
            answer = json.loads(payload)
        except ValueError:
            raise DeliveryError(f"{self.name}: unreadable answer") from None
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code not in (0, "0", None):
            raise DeliveryError(f"{self.name}: refused ({code} {answer.get('errmsg') or answer.get('msg') or ''})")

    def _email(self, recipient: dict, level: int, text: str) -> None:
        import smtplib
        import ssl
        from email.message import EmailMessage

        if not recipient.get("email"):
            raise DeliveryError(f"email: {recipient['handle']} has no e-mail address (cs agent update --email)")
        message = EmailMessage()
        message["From"] = self.settings["sender"]
        message["To"] = recipient["email"]
        message["Subject"] = f"[cs] {'逾期回访' if level == 1 else '逾期回访升级'} ({recipient['handle']})"
        message.set_content(text)
        user, password = self.secret("user_env"), self.secret("password_env")
        try:
            with smtplib.SMTP(self.settings["host"], int(self.settings.get("port", 587)),
                              timeout=float(self.settings.get("timeout", 10))) as smtp:
                if self.settings.get("starttls", True):
                    context = ssl.create_default_context(cafile=self.settings.get("ca_file"))
                    smtp.starttls(context=context)
                elif user:
                    raise DeliveryError("email: refusing to send the password without STARTTLS")
                if user:
                    smtp.login(user, password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise DeliveryError(f"email: {exc}") from None
