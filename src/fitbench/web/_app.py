"""``create_app(runs_dir)``: the FastAPI app behind ``fitbench serve``, pages and JSON API.

Every run folder is untrusted input, read by ``fitbench.runs.read_run``: the server reads only
the files a run folder is made of, never follows a symlink out of the runs directory, imports no code and
opens no path a folder names, and a GET writes nothing. User mistakes (an unknown run, a bad
upload, an empty canvas) answer 4xx with a one-line ``detail``; the API's shapes are at
``/openapi.json`` (Swagger UI is not bundled offline, so ``/docs`` is off).

Slow work never holds up the rest: reports are drawn in processes of their own (``_drawers``)
and models load on threads of their own (``_isolation``), each with a time limit, a few at a time (503 past that),
and requests wait for them without holding a thread; the listing, the pages and the static files
answer meanwhile. Every answer, a 500 included, carries the security headers (``_security.Guard``
wraps the whole app).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import BackgroundTasks, FastAPI, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import TypeAdapter
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp

from fitbench import _templates
from fitbench.errors import FitbenchError
from fitbench.web import _audits, _models
from fitbench.web._attribution import attribution
from fitbench.web._catalog import Catalog, RunInfo, RunNotFound, resolve_run, root_of, run_detail
from fitbench.web._isolation import Busy, Crashed, Limits, TooSlow
from fitbench.runs import read_run
from fitbench.runs._label_audit import LabelAudit
from fitbench.web._limits import UPLOAD_LIMIT, BodyLimit
from fitbench.web._models import CannotPredict, ModelCache
from fitbench.prediction._prepare import to_color_mode
from fitbench.web._preprocess import ImageTooLarge, NothingDrawn, UnreadableImage, preprocess
from fitbench.web._reports import ReportCache
from fitbench.web._schemas import ModelState, Prediction, Problem, RunDetail, RunSummary
from fitbench.web._security import LOOPBACK, Guard

PREDICT = "/api/predict"
LISTING = TypeAdapter(list[RunSummary])
RETRY_S = 30  # what a 503 (every drawer or loader busy) asks the client to wait
MAX_COMPARED = 12  # a comparison draws every run's curves on one figure
STATIC = Path(__file__).parent / "static"
# Each user error's status: the most specific first (exception handlers match by class).
STATUS = ((RunNotFound, 404), (ImageTooLarge, 413), (UnreadableImage, 415), (NothingDrawn, 422),
          (CannotPredict, 422), (Busy, 503), (TooSlow, 504), (Crashed, 500), (FitbenchError, 422))
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such run under the runs directory"},
    413: {"model": Problem, "description": "upload over 2 MB or over 4096x4096 pixels"},
    415: {"model": Problem, "description": "not a PNG/JPEG, or a damaged one"},
    422: {"model": Problem, "description": "nothing drawn, or this run's model cannot read a 28x28 image"},
    503: {"model": Problem, "description": "the server is loading other models; try again in a moment"},
    504: {"model": Problem, "description": "the model is still loading; try again in a moment"},
}


class _App(FastAPI):
    """FastAPI with ``Guard`` around everything, Starlette's error middleware included: its 500s
    carry the security headers too."""

    def build_middleware_stack(self) -> ASGIApp:
        return cast(ASGIApp, Guard(super().build_middleware_stack()))  # Guard types its scope as a dict


def create_app(runs_dir: str | Path, *, cache_dir: str | Path | None = None,
               allow_hosts: Sequence[str] = (), limits: Limits = Limits()) -> FastAPI:
    """The web app serving the runs under ``runs_dir``.

    Args:
        cache_dir: scratch space for drawing reports (never a run folder); default a temporary
            folder that lives as long as the app.
        allow_hosts: host names the page answers besides the loopback ones (``--allow-host``).
        limits: how many reports are drawn and models loaded at once, and for how long.
    """
    app = _App(title="fitbench", summary="Browse training runs and let a model read your digits.",
               version=_version(), docs_url=None, redoc_url=None, lifespan=_lifespan)
    app.state.runs_dir = Path(runs_dir)
    app.state.catalog = Catalog(app.state.runs_dir)
    app.state.models = ModelCache(limits=limits)
    _models.import_soon()  # Keras and JAX ready before a draw page asks for a model
    app.state.kept = {}  # the listing's JSON and HTML, see _kept
    if cache_dir is None:
        app.state.cache_tmp = tempfile.TemporaryDirectory(prefix="fitbench-serve-")  # removed with the app
        cache_dir = app.state.cache_tmp.name
    app.state.reports = ReportCache(Path(cache_dir), limits)
    app.state.templates = Jinja2Templates(env=_templates.environment("fitbench.web"))
    app.mount("/static", StaticFiles(packages=[("fitbench.web", "static")], follow_symlink=False), name="static")
    app.add_middleware(BodyLimit, paths=(PREDICT,))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK, *allow_hosts])
    for error, status in STATUS:
        app.add_exception_handler(error, _handler(status))
    app.add_exception_handler(Exception, _handler(500))  # a bug: one line, no traceback
    _pages(app)
    _api(app)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.reports.close()  # a drawing under way would hold up the server's exit for its time limit


def _version() -> str:
    from fitbench import __version__

    return __version__


def _handler(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        detail = _no_paths(str(error), request.app) if isinstance(error, FitbenchError) else (
            f"internal error ({type(error).__name__}) answering {request.url.path[:200]}; the server's log says more")
        headers = {"retry-after": str(RETRY_S)} if status == 503 else None  # busy: ask again later
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": detail}, status_code=status, headers=headers)
        return request.app.state.templates.TemplateResponse(
            request, "error.html.j2", {"status": status, "detail": detail}, status_code=status, headers=headers)

    return handle


def _no_paths(text: str, app: FastAPI) -> str:
    """Messages name runs by id: the server's own folders are nobody's business."""
    for folder in (str(root_of(app.state.runs_dir)), str(app.state.reports.scratch), str(Path.home())):
        text = text.replace(folder + os.sep, "").replace(folder, "…")
    return text


def _pages(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request) -> Response:
        state = request.app.state
        audits = _audits.audit_ids(state.runs_dir)  # an audit saved since changes no run: looked for each time
        page = _kept(state, "runs page", lambda runs: state.templates.env.get_template("runs.html.j2").render(
            runs=runs, runs_dir=state.runs_dir.name or ".", exists=state.runs_dir.is_dir(),
            audits=audits).encode("utf-8"), also=audits)
        return HTMLResponse(page)

    @app.get("/audit/{audit_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, audit_id: str) -> Response:
        """A label audit's suspects, from the files ``fitbench audit`` saved (never audits)."""
        shown = _audits.page(request.app.state.runs_dir, audit_id)
        return request.app.state.templates.TemplateResponse(request, "audit.html.j2", shown)

    @app.get("/draw", response_class=HTMLResponse, include_in_schema=False)
    def draw_page(request: Request, background: BackgroundTasks, run: str | None = None) -> Response:
        runs = [info for info in request.app.state.catalog.runs() if info.has_model]
        ids = [info.id for info in runs]
        # Newest first: the newest run whose model reads 28x28 drawings, unless one was asked for.
        chosen = run if run in ids else next((info.id for info in runs if info.drawable), ids[0] if ids else "")
        if chosen:  # load its model while the user draws: the first answer then takes milliseconds
            path = resolve_run(request.app.state.runs_dir, chosen)
            background.add_task(_models.warm, request.app.state.models, path, *request.app.state.catalog.entry(path))
        return request.app.state.templates.TemplateResponse(request, "draw.html.j2", {
            "runs": runs, "chosen": chosen, "limit": UPLOAD_LIMIT})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    # Async pages: the folders are read on a thread, the drawing is awaited without holding one.
    @app.get("/report/{run_id:path}", response_class=HTMLResponse, include_in_schema=False)
    async def report_page(request: Request, run_id: str) -> Response:
        state = request.app.state
        _, version, info = await run_in_threadpool(_entry, state, run_id)
        return HTMLResponse(await state.reports.report(info, version, root_of(state.runs_dir).name))

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    async def compare_page(request: Request, run: Annotated[list[str] | None, Query()] = None) -> Response:
        run = run or []
        if len(run) < 2:
            raise FitbenchError("compare: tick two or more runs on the runs page")
        if len(run) > MAX_COMPARED:
            raise FitbenchError(f"compare: at most {MAX_COMPARED} runs at once; tick fewer")
        state = request.app.state
        entries = await run_in_threadpool(lambda: [_entry(state, run_id) for run_id in dict.fromkeys(run)])
        return HTMLResponse(await state.reports.comparison([(info, version) for _, version, info in entries]))


def _entry(state: Any, run_id: str) -> tuple[Path, tuple[Any, ...], RunInfo]:
    """The folder, version and listing line of ``run_id`` (reads the folder if it changed: on a thread)."""
    path = resolve_run(state.runs_dir, run_id)
    version, info = state.catalog.entry(path)
    return path, version, info


def _kept(state: Any, kind: str, make: Callable[[tuple[RunInfo, ...]], bytes], also: Any = None) -> bytes:
    """What ``make`` makes of the listing, made again only when the catalog's listing (or ``also``,
    what else it shows) changed."""
    runs = state.catalog.runs()
    kept = state.kept.get(kind)
    # the catalog returns the same tuple while nothing changed
    if kept is None or kept[0] is not runs or kept[2] != also:
        kept = state.kept[kind] = (runs, make(runs), also)
    return kept[1]


def _api(app: FastAPI) -> None:
    @app.get("/api/runs", response_model=list[RunSummary], tags=["runs"])
    def api_runs(request: Request) -> Response:
        """Every run folder under the runs directory, newest first (damaged ones listed with their problems)."""
        listing = _kept(request.app.state, "api runs", lambda runs: LISTING.dump_json(
            [RunSummary(**info.api()) for info in runs]))
        return Response(listing, media_type="application/json")

    @app.get("/api/runs/{run_id:path}", response_model=RunDetail, tags=["runs"], responses={404: ERRORS[404]})
    def api_run(request: Request, run_id: str) -> RunDetail:
        """One run: its config, recorded scores and per-epoch history; what is damaged, in ``problems``."""
        path, _, info = _entry(request.app.state, run_id)
        return RunDetail(**run_detail(read_run(path), info))

    @app.get("/api/audits", response_model=list[str], tags=["audits"])
    def api_audits(request: Request) -> list[str]:
        """The label audits saved under the runs directory (``fitbench audit``), by id."""
        return list(_audits.audit_ids(request.app.state.runs_dir))

    @app.get("/api/audits/{audit_id:path}", response_model=LabelAudit, tags=["audits"], responses={404: ERRORS[404]})
    def api_audit(request: Request, audit_id: str) -> LabelAudit:
        """One label audit: what was audited and its suspects, most doubtful first."""
        return _audits.load(request.app.state.runs_dir, audit_id)

    @app.get("/api/model", response_model=ModelState, tags=["predict"], responses={404: ERRORS[404]})
    def api_model(request: Request,
                  run: Annotated[str, Query(description="the run id whose model is asked about")]) -> ModelState:
        """Whether the run's model is loaded for predictions; opening its draw page starts loading it."""
        path, version, _ = _entry(request.app.state, run)
        return ModelState(run=run, state=request.app.state.models.state(path, version))

    # Async: decoding and predicting run on a thread each; a model loading is awaited without
    # holding one (ModelCache), so loads for seconds never stall the other requests.
    @app.post(PREDICT, response_model=Prediction, tags=["predict"], responses=ERRORS)
    async def api_predict(
            request: Request, file: Annotated[UploadFile, File(description="a PNG or JPEG image")],
            run: Annotated[str, Query(description="the run id whose model reads the image")],
            explain: Annotated[bool, Query(description="also say what the model looked at (`attribution`)")] = True,
    ) -> Prediction:
        """What a run's model reads in an image: any size, dark ink on light paper or the reverse;
        and what it looked at, sanity-checked."""
        started = time.perf_counter()
        path, version, info = await run_in_threadpool(_entry, request.app.state, run)
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise ImageTooLarge(f"upload too large: at most {UPLOAD_LIMIT // 1024 // 1024} MB; send a smaller image")
        loaded = await request.app.state.models.get(path, version, info)
        # As run.predict and `fitbench predict` prepare it; (h, w[, c]) on a thread of its own.
        image = await run_in_threadpool(preprocess, data, loaded.preparation)
        probabilities = await run_in_threadpool(_models.predict, loaded, image)
        label = int(probabilities.argmax())
        seen = to_color_mode(image / loaded.scale, "grayscale")  # (h, w) in 0..1, for the page to show
        # Compiled when the model loaded: milliseconds for the `first` model's 28x28 images.
        why = await run_in_threadpool(attribution, loaded, image, label) if explain else None
        return Prediction(run=run, label=label, name=loaded.class_names[label],
                          class_names=list(loaded.class_names), probabilities=probabilities.tolist(),
                          image=seen.round(4).tolist(), scale=loaded.scale, attribution=why,
                          elapsed_ms=(time.perf_counter() - started) * 1000)
