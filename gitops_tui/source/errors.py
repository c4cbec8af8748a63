"""Typed errors of the source room, and the redaction every message goes through.

Messages are meant for people: they name the repository (with credentials hidden) and say
what went wrong in words, not in git's exit codes.
"""

from __future__ import annotations

import re

# scheme://user:password@host or scheme://token@host. The userinfo may not contain "/", "@" or
# whitespace; that keeps the match inside one URL even in a long stderr blob.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def _hide_userinfo(match: re.Match[str]) -> str:
    userinfo = match.group("userinfo")
    user, sep, _password = userinfo.partition(":")
    # A lone token (https://TOKEN@host) is a secret too; a user name with a password keeps the
    # user visible because it helps people tell which account failed.
    hidden = f"{user}:***" if sep else "***"
    return f"{match.group('scheme')}{hidden}@"


def redact_url(text: str) -> str:
    """Hide passwords and tokens of every URL inside `text`.

    `https://user:secret@host/x.git` becomes `https://user:***@host/x.git`;
    `https://TOKEN@host/x.git` becomes `https://***@host/x.git`. scp-like ssh addresses
    (`git@host:org/x.git`) carry no secret and are left alone.
    """
    return _URL_USERINFO.sub(_hide_userinfo, text)


class GitError(Exception):
    """A repository problem. `.message` is human-readable, redacted, and names the repository."""

    def __init__(self, message: str, *, url: str = "", detail: str = "") -> None:
        self.url = redact_url(url)
        self.detail = redact_url(detail.strip())
        self.message = redact_url(message)
        super().__init__(self.message)


class UnreachableRemote(GitError):
    """The remote could not be contacted: no such host or path, refused, not a repository."""


class FetchTimeout(UnreachableRemote):
    """The remote did not answer within the fetch timeout."""


class AuthenticationFailed(GitError):
    """The remote wants credentials that git's own mechanisms did not supply or that were refused."""


class UnknownRevision(GitError):
    """A revision is neither a branch, a tag nor a commit of the repository."""


class EmptyRepository(GitError):
    """The repository has no commits at all."""


class PathNotFound(GitError):
    """A path does not exist at a commit (or is not what the caller needed, e.g. not a directory)."""


class RenderError(Exception):
    """One app could not be rendered. `.message` names the app, the file and, when known, the line.

    `"app 'web': manifests/deploy.yaml line 7: mapping values are not allowed here"`.
    """

    def __init__(self, app: str, problem: str, *, file: str = "", line: int | None = None) -> None:
        self.app = app
        self.file = file
        self.line = line
        self.problem = redact_url(problem)
        where = file
        if file and line is not None:
            where = f"{file} line {line}"
        prefix = f"app '{app}': "
        self.message = f"{prefix}{where}: {self.problem}" if where else f"{prefix}{self.problem}"
        super().__init__(self.message)
