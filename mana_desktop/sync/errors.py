"""What can go wrong talking to mana-sync, sorted by what the engine must do about it.

ARCHITECTURE decision 6 maps each HTTP outcome to one reaction; the exception classes here are
those reactions, so the engine never inspects status codes itself. Messages are for people and
never contain tokens (they are built from server text and our own words only).
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error the protocol client raises."""


class RetryableError(SyncError):
    """Network trouble, 408, 429, 5xx or an unreadable 2xx: try again after a backoff.

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    `network` is True when no HTTP answer arrived at all (the client is offline).
    """

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None, network: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.network = network


class SignedOutError(SyncError):
    """401 even after a token refresh, or no usable credentials: ask the user to sign in."""


class PaymentRequiredError(SyncError):
    """402: sync is inactive for this account; pause with the server's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.server_message = message


class RejectedError(SyncError):
    """Another 4xx: the request itself is wrong; quarantine what was sent, with this reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class AuthError(SyncError):
    """Login or refresh failed at the auth server (wrong password, locked account...)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 network: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.network = network


def describe_transport_error(exc: BaseException) -> tuple[str, bool]:
    """Words for an httpx transport failure, and whether it means "no network".

    Our own words only (httpx texts may carry URLs). A TLS certificate the system does not
    trust is named as such: it is not "offline", and retrying will not fix it.
    """
    import ssl

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            detail = seen.verify_message or "verify failed"
            return f"the server's TLS certificate is not trusted ({detail})", False
        if isinstance(seen, ssl.SSLError):
            return f"TLS error talking to the server ({seen.reason or 'handshake failed'})", False
        seen = seen.__cause__ or seen.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "the server's TLS certificate is not trusted", False
    import httpx

    network = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.NetworkError)
    return f"network error ({type(exc).__name__})", network
