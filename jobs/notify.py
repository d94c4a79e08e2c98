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

from cs.core.i18n import _

# Message size limits of the chat robots (bytes of UTF-8 text); a digest is split to fit. The platforms
# publish: DingTalk 20,000 bytes, WeCom text 2,048 bytes, Feishu a request body of 20 KB; the parts stay
# under them with room for the JSON around the text (escapes, mentions, the signature).
SIZE_LIMITS = {"dingtalk": 18000, "wecom": 2000, "feishu": 18000}
BODY_LIMITS = {"dingtalk": 20000, "wecom": 2048 + 1024, "feishu": 20 * 1024}
# Robots that refuse more than 20 messages a minute from one webhook.
RATE_LIMITED = {"dingtalk", "wecom"}
PER_MINUTE = 20


class DeliveryError(Exception):
    pass


def _post_within(request, timeout: float) -> bytes:
    """POST and read the answer within `timeout` seconds in all: urllib's timeout bounds each read, so a server
    answering a byte a second would hold the job for ever. The request runs in a thread the job stops waiting
    for; the process's end takes it down."""
    import threading

    outcome: dict = {}

    def send():
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                outcome["body"] = response.read()
        except BaseException as exc:  # handed to the job's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise DeliveryError(_("no complete answer within {timeout:g} s").format(timeout=timeout))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["body"]


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
            raise DeliveryError(_("{channel}: the environment variable {variable} is not set").format(
                channel=self.name, variable=variable))
        return value

    def deliver(self, recipient: dict, level: int, text: str, alerts: list[dict], alert_key: str, *,
                subject: str | None = None, html: str | None = None) -> None:
        """Send one message. `alert_key` is its idempotency key: the same when the message is sent again after a
        run was killed in flight (the X-CS-Alert-Key header, the webhook's `alert_key`, the e-mail's Message-ID)."""
        if self.name == "stdout":
            self.out.write(text + "\n\n")
            return
        if self.name == "email":
            self._email(recipient, level, text, alert_key, subject=subject, html=html)
            return
        self._respect_rate_limit()
        self._post(self._request(recipient, level, text, alerts, alert_key), alert_key)
        self.sent_times.append(self.clock())

    def _respect_rate_limit(self) -> None:
        if self.name not in RATE_LIMITED:
            return
        recent = [t for t in self.sent_times if self.clock() - t < 60]
        if len(recent) >= PER_MINUTE:
            self.sleep(60 - (self.clock() - recent[0]) + 0.1)

    def _request(self, recipient, level, text, alerts, alert_key) -> tuple[str, dict]:
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
        return url, {"alert_key": alert_key, "recipient": recipient["handle"], "level": level, "text": text,
                     "alerts": alerts}

    def _post(self, request: tuple[str, dict], alert_key: str) -> None:
        url, body = request
        data = json.dumps(body, ensure_ascii=False).encode()
        if self.name in BODY_LIMITS and len(data) > BODY_LIMITS[self.name]:
            # The platform would refuse it for good: not sent, not retried (max_bytes set too high?).
            raise DeliveryError(_("{channel}: a message of {size} bytes is over the platform's limit of {limit};"
                                  " lower [channels.{channel}] max_bytes").format(
                channel=self.name, size=len(data), limit=BODY_LIMITS[self.name]))
        headers = {"Content-Type": "application/json; charset=utf-8", "X-CS-Alert-Key": alert_key}
        token = self.secret("token_env") if self.name == "webhook" else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        retries = int(self.settings.get("retries", 2))
        last_error = ""
        for attempt in range(retries + 1):
            if attempt:
                self.sleep(min(2 ** attempt * 0.5, 10))
            try:
                self._check_answer(_post_within(urllib.request.Request(url, data=data, headers=headers,
                                                                       method="POST"),
                                                float(self.settings.get("timeout", 10))))
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
        raise DeliveryError(_("{channel}: delivery failed after {tries} tries ({error})").format(
            channel=self.name, tries=retries + 1, error=last_error))

    def _check_answer(self, payload: bytes) -> None:
        """The robots answer 200 with an error code inside; 0 means delivered."""
        if self.name == "webhook" or not payload:
            return
        try:
            answer = json.loads(payload)
        except ValueError:
            raise DeliveryError(_("{channel}: unreadable answer").format(channel=self.name)) from None
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code not in (0, "0", None):
            # The platform's own words, briefly: the error code says what a person must look up.
            words = str(answer.get("errmsg") or answer.get("msg") or "")[:100]
            raise DeliveryError(_("{channel}: refused ({code} {words})").format(channel=self.name, code=str(code)[:20],
                                                                                words=words))

    def _email(self, recipient: dict, level: int, text: str, alert_key: str, *, subject: str | None = None,
               html: str | None = None) -> None:
        import smtplib
        import ssl
        from email.message import EmailMessage

        if not recipient.get("email"):
            raise DeliveryError(_("email: {agent} has no e-mail address (cs agent update --email)").format(
                agent=recipient["handle"]))
        from email.utils import formatdate

        message = EmailMessage()
        message["From"] = self.settings["sender"]
        message["To"] = recipient["email"]
        message["Date"] = formatdate(self.clock(), localtime=True)  # RFC 5322 requires it
        # The key in the Message-ID: a message sent again after a kill is the same message to mail clients.
        message["Message-ID"] = f"<{alert_key}@{self.settings['sender'].rpartition('@')[2] or 'cs.invalid'}>"
        message["X-CS-Alert-Key"] = alert_key
        name = recipient.get("name") or recipient["handle"]
        message["Subject"] = subject or (_("[cs] Overdue callbacks ({name})") if level == 1
                                         else _("[cs] Overdue callbacks, escalated ({name})")).format(name=name)
        message.set_content(text)
        if html is not None:  # the report itself, as the body mail clients show (the text part is its summary)
            message.add_alternative(html, subtype="html")
        user, password = self.secret("user_env"), self.secret("password_env")
        implicit = self.settings.get("tls") == "implicit"  # port 465: TLS from the first byte
        timeout = float(self.settings.get("timeout", 10))
        try:
            context = ssl.create_default_context(cafile=self.settings.get("ca_file"))
            if implicit:
                smtp = smtplib.SMTP_SSL(self.settings["host"], int(self.settings.get("port", 465)), timeout=timeout,
                                        context=context)
            else:
                smtp = smtplib.SMTP(self.settings["host"], int(self.settings.get("port", 587)), timeout=timeout)
            with smtp:
                if not implicit and self.settings.get("starttls", True):
                    smtp.starttls(context=context)
                elif not implicit and user:
                    raise DeliveryError(_("email: refusing to send the password without TLS"))
                if user:
                    smtp.login(user, password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # The server's words are not repeated: a reply to AUTH may echo the credentials.
            raise DeliveryError(_("email: the server refused ({code})").format(code=exc.smtp_code)) from None
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise DeliveryError(f"email: {type(exc).__name__}: {str(exc)[:200]}") from None
