"""The Authorization header of one cluster's requests, kept between requests instead of rebuilt for each.

The official client asks its Configuration for the header on every request, and the kubeconfig and
in-cluster loaders hang a refresh hook on that question (`Configuration.refresh_api_key_hook`): it checks
whether the credential has expired (re-running an exec plugin, re-reading the service account token) and
then writes the whole loaded configuration back, host included, whose setter reads every proxy variable
of the environment again. That is a good part of a request's CPU on loopback, for an answer that changes
every few minutes at most.

So the header is asked for at most every `check_interval` seconds, through the same hook, and reused in
between. Nothing is lost by the wait: the loaders refresh ahead of expiry (kubeconfig credentials 5
minutes before their `expirationTimestamp`, the in-cluster token file every minute), far longer than the
interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from kubernetes.client import Configuration
from kubernetes.config.config_exception import ConfigException

DEFAULT_CHECK_INTERVAL = 5.0


class AuthHeaders:
    """Headers carrying the configuration's credential (none without one), refreshed through its hook."""

    def __init__(
        self,
        configuration: Configuration,
        check_interval: float = DEFAULT_CHECK_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._configuration = configuration
        self._check_interval = check_interval
        self._clock = clock
        self._headers: Mapping[str, str] = {}
        self._next_check = float("-inf")
        # One refresh at a time: concurrent requests at expiry would otherwise each run the exec plugin.
        self._lock = threading.Lock()

    def current(self) -> Mapping[str, str]:
        """The headers to send now; raises what the refresh raises (ConfigException, OSError) uncached."""
        if self._clock() < self._next_check:
            return self._headers
        with self._lock:
            if self._clock() >= self._next_check:  # another thread may have refreshed while this one waited
                self._headers = self._ask_configuration()
                self._next_check = self._clock() + self._check_interval
        return self._headers

    def expire(self) -> None:
        """Ask the configuration again on the next request."""
        self._next_check = float("-inf")

    def _ask_configuration(self) -> Mapping[str, str]:
        # auth_settings() runs the refresh hook, as the client's own update_params_for_auth does.
        headers: dict[str, str] = {}
        for name, setting in self._configuration.auth_settings().items():
            if setting.get("in") != "header":  # the kubernetes Configuration only ever puts it in a header
                raise ConfigException(f"unsupported placement of credential {name}: {setting.get('in')}")
            if setting.get("value"):
                headers[str(setting["key"])] = str(setting["value"])
        return headers
