"""Where studies live: a SQLite file under the runs directory by default, or any SQLAlchemy URL.

Every process opens the storage with Optuna's heartbeat: a running trial writes a heartbeat
every ``interval`` seconds, and any worker that finds one silent for ``grace_period`` marks
it FAIL and enqueues a retry (``RetryHeartbeatStaleTrialCallback``), so a worker killed mid-trial
costs that trial's time and nothing else.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy.exc

from fitbench.errors import ConfigError, FitbenchError, did_you_mean, spelled
from fitbench.tuning._schema import HeartbeatConfig
from fitbench.tuning._tuning import Tuning

STUDIES_DB = "studies.db"
ATTR = "fitbench"  # the study's user attribute holding what the report needs
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def default_storage(runs_dir: str | Path) -> str:
    """``sqlite:///<runs_dir>/studies.db``, absolute so that every worker opens the same file."""
    return f"sqlite:///{(Path(runs_dir) / STUDIES_DB).resolve()}"


def check_study_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(f"--study {name!r}: expected 1-60 letters, digits, '.', '_' or '-' "
                          "(it also names the folder of the study's runs)")
    return name


def open_storage(url: str, heartbeat: HeartbeatConfig | None = None) -> optuna.storages.RDBStorage:
    """An ``RDBStorage`` for ``url`` (with heartbeat and retries when ``heartbeat`` is given)."""
    url = with_driver(url)
    engine = _engine_options(url)
    for attempt in range(3):
        try:
            with warnings.catch_warnings():
                # Optuna still calls the heartbeat "experimental" (since 2.9); we rely on it on purpose.
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=engine, **_heartbeat_options(heartbeat))
        except Exception as error:  # SQLAlchemy and its drivers raise many kinds
            # Two workers creating the tables of a new database at once: one loses; try again.
            if attempt < 2 and type(error).__name__ in ("IntegrityError", "OperationalError", "ProgrammingError"):
                time.sleep(0.5 + attempt)
                continue
            raise FitbenchError(_storage_message(url, error)) from None
    raise AssertionError("unreachable")


def with_driver(url: str) -> str:
    """``postgresql://`` means psycopg 3 (the ``postgres`` extra), whatever SQLAlchemy's default."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def _heartbeat_options(heartbeat: HeartbeatConfig | None) -> dict[str, Any]:
    if heartbeat is None:
        return {}
    return {
        "heartbeat_interval": heartbeat.interval, "grace_period": heartbeat.grace_period,
        "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
            max_retry=heartbeat.max_retry),
    }


def _sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite:"):
        return None
    database = url.split(":///", 1)[-1]
    return Path(database) if database and database != ":memory:" else None


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite:"):
        database = _sqlite_file(url)
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)
        if database is None:
            return {}
        return {"creator": functools.partial(_sqlite_connect, str(database))}
    # A server may drop idle connections during a long trial; check before reuse.
    return {"pool_pre_ping": True}


def _sqlite_connect(database: str) -> sqlite3.Connection:
    """A connection to a study's SQLite file in write-ahead-log mode, synced at checkpoints only.

    Optuna commits every user attribute, epoch score and state change on its own: with SQLite's
    default (a sync to disk per commit) a trial spent 0.04 s per commit on a busy machine, 0.4 s
    of its time. WAL with ``synchronous=NORMAL`` survives a killed process; a power cut may
    lose the last commits (the trials then run again). Workers share the file: each waits for
    a lock (60 s) instead of failing with "database is locked". A study shared between
    machines uses PostgreSQL, not an SQLite file on a network disk.
    """
    connection = sqlite3.connect(database, timeout=60, check_same_thread=False)  # the heartbeat thread shares the pool
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def _storage_message(url: str, error: Exception) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    shown = without_password(url)
    if isinstance(error, ModuleNotFoundError):
        return (f"--storage {shown}: the database driver is not installed ({first}); for PostgreSQL "
                "run: pip install 'fitbench[postgres]' (psycopg 3)")
    return f"--storage {shown}: cannot open the study storage: {first}"


@contextlib.contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn the storage going away mid-study (a server stopped, a network cut) into one line.

    SQLAlchemy raises OperationalError, Optuna wraps it in StorageInternalError, and when it
    happens while a trial starts, Optuna's own clean-up then fails with an UnboundLocalError
    whose context is the real cause: all three are recognised by the database error in the chain.
    """
    try:
        yield
    except Exception as error:
        cause = _database_error(error)
        if cause is None:
            raise
        first = " ".join(str(cause).split())[:200] or type(cause).__name__
        raise FitbenchError(
            f"--storage {without_password(url)}: the study storage stopped answering ({type(cause).__name__}: "
            f"{first}); finished trials are kept: run the same command again once the database is back"
        ) from None


def _database_error(error: BaseException | None) -> BaseException | None:
    """The SQLAlchemy/driver or Optuna storage error in ``error``'s chain of causes, if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                              sqlalchemy.exc.DisconnectionError)):
            return error
        if isinstance(error, optuna.exceptions.StorageInternalError) and error.__cause__ is None:
            return error
        error = error.__cause__ or error.__context__
    return None


def without_password(url: str) -> str:
    """The URL as it may be printed: ``postgresql://user:***@host/db``."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def open_study(tuning: Tuning, storage: optuna.storages.BaseStorage, name: str,
               sampler: optuna.samplers.BaseSampler | None = None,
               pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """Create the study, or continue it when it exists (refusing one made from another search)."""
    study = optuna.create_study(storage=storage, study_name=name, sampler=sampler, pruner=pruner,
                                directions=tuning.search.directions, load_if_exists=True)
    recorded = study.user_attrs.get(ATTR)
    if recorded is None:
        study.set_user_attr(ATTR, study_record(tuning))
    else:
        check_same_search(recorded, tuning, name)
    return study


def load_study(name: str, storage_url: str) -> optuna.Study:
    """An existing study, for reports; the message lists the studies that are there."""
    database = _sqlite_file(storage_url)
    if database is not None and not database.is_file():
        raise FitbenchError(f"no study {name!r}: there is no storage {without_password(storage_url)} yet "
                            f"(no file {database}); run fitbench tune first, or give "
                            f"{spelled('storage= / runs_dir=', '--storage / --runs-dir')}")
    storage = open_storage(storage_url)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        names = [summary.study_name for summary in optuna.get_all_study_summaries(storage, include_best_trial=False)]
        listed = ", ".join(names) if names else "none yet: run fitbench tune first"
        raise FitbenchError(f"no study {name!r} in {without_password(storage_url)}{did_you_mean(name, names)}; "
                            f"studies there: {listed}") from None


def study_record(tuning: Tuning) -> dict[str, Any]:
    """What the study keeps about its tuning file: enough for reports and for resuming safely."""
    search = tuning.search
    return {
        "objective": search.objective, "force_test": search.force_test,
        "multi_objective": search.multi_objective, "space": search.space,
        "experiment": _comparable(tuning.document), "source": tuning.source,
    }


def check_same_search(recorded: dict[str, Any], tuning: Tuning, name: str) -> None:
    """Continuing a study with another objective, space or experiment would mix incomparable trials."""
    current = study_record(tuning)
    for key in ("objective", "multi_objective", "force_test", "space", "experiment"):
        if recorded.get(key) != current[key]:
            raise ConfigError(
                f"study {name!r} already exists with a different {key} (from {recorded.get('source')}); "
                "continue it with the same tuning file, or start a new study with --study NEW_NAME"
            )


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    # Machines sharing a study keep their data in different folders: paths and the name may differ.
    dataset = {key: value for key, value in document.get("dataset", {}).items()
               if key not in ("data_dir", "images", "labels")}
    return {**{key: value for key, value in document.items() if key != "name"}, "dataset": dataset}
