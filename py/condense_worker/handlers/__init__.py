"""Handler registry: how request kinds plug into the worker.

A handler serves one `ToWorker.body` oneof name ("prefill", "compress", ...):

    from condense_worker.handlers import Context, Reply, Request, handler
    from condense_worker.gen.condense.v1 import worker_pb2 as pb

    @handler("compress", capabilities=lambda loaded: ["compress:knorm", "compress:snapkv"])
    def compress(ctx: Context, req: Request) -> Reply:
        body: pb.CompressRequest = req.body
        ...
        ctx.check()                        # raises Cancelled / DeadlineExceeded between steps
        return Reply(pb.CompressReply(...), tensors=[("container", t)])

- `req.body` is the decoded request message; `req.tensors` maps tensor name -> torch tensor in
  header order. Tensors from frames are READ-ONLY zero-copy views of the received bytes (or of an
  mmapped FileRef): never modify them in place (clone first if you must).
- `ctx` carries the loaded model (`ctx.model`, `ctx.tokenizer`, `ctx.config`, `ctx.shape`,
  `ctx.device`, `ctx.dtype`, `ctx.loaded`; model/tokenizer are None when the worker runs
  `--model none`; device and dtype are the worker's --device/--dtype either way), `ctx.check()`,
  `ctx.emit(body, tensors)` for streamed replies (e.g. TrainProgress; the returned Reply is sent
  last), `ctx.inflight()`, and `ctx.log` (a JSON-lines logger bound to the request id).
- Return a `Reply`: the reply body message (its type picks the FromWorker oneof: PrefillReply ->
  "prefill") plus output tensors as (name, tensor) pairs, sent as raw frames with at most one copy,
  or written as FileRefs into `files_dir` when set.
- Raise a `condense_worker.errors.WorkerError` subclass for a typed failure; any other exception
  becomes INTERNAL (torch OOM becomes OUT_OF_MEMORY) and the worker keeps serving.
- `capabilities` (strings or a callable taking the LoadedModel) are announced in Hello besides the
  kind itself. `needs_model=False` for handlers that work without a loaded model (train loads its
  own); the others are neither announced nor served by a `--model none` worker.

The built-in modules (health, tokenize, prefill, generate, echo) are always imported; compress, challenge,
evaluate and train are imported when their module exists. Shutdown and Cancel are handled by the
runtime itself, never by a handler.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence, Union

import torch

from ..errors import Cancelled, DeadlineExceeded

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from ..models import LoadedModel

BUILTIN_MODULES = ("health", "tokenize", "prefill", "generate", "echo")
OPTIONAL_MODULES = ("compress", "evaluate", "challenge", "train")

Capabilities = Union[Iterable[str], Callable[["LoadedModel"], Iterable[str]]]


@dataclass
class Request:
    id: str
    kind: str  # the ToWorker body oneof name
    body: Any  # the decoded request message, e.g. pb.PrefillRequest
    tensors: dict[str, torch.Tensor]
    deadline_unix_ms: int = 0  # 0 = none


@dataclass
class Reply:
    body: Any  # a reply message, e.g. pb.PrefillReply
    tensors: Sequence[tuple[str, torch.Tensor]] = ()
    files_dir: str | None = None  # write tensors as FileRefs into this directory instead of frames


class Context:
    """What a handler sees of the worker while serving one request."""

    def __init__(
        self,
        *,
        loaded: "LoadedModel | None",
        request: Request,
        is_cancelled: Callable[[str], bool],
        emit: Callable[[str, Reply], None],
        log: Any,
        worker_id: str = "",
        inflight: Callable[[], int] = lambda: 0,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.loaded = loaded
        self.request = request
        self.worker_id = worker_id
        self.log = log
        self._is_cancelled = is_cancelled
        self._emit = emit
        self.inflight = inflight  # requests this worker holds now (queued or running)
        # The worker's --device/--dtype, also meaningful without a model (train loads its own).
        self._device = device or torch.device("cpu")
        self._dtype = dtype or torch.float32

    @property
    def model(self) -> Any:
        return self.loaded.model if self.loaded else None

    @property
    def tokenizer(self) -> Any:
        return self.loaded.tokenizer if self.loaded else None

    @property
    def config(self) -> Any:
        return self.loaded.config if self.loaded else None

    @property
    def shape(self) -> Any:
        return self.loaded.shape if self.loaded else None

    @property
    def device(self) -> torch.device:
        return self.loaded.device if self.loaded else self._device

    @property
    def dtype(self) -> torch.dtype:
        return self.loaded.dtype if self.loaded else self._dtype

    def check(self) -> None:
        """Raise Cancelled or DeadlineExceeded; call between steps (per chunk, layer, token)."""
        req = self.request
        if self._is_cancelled(req.id):
            raise Cancelled(f"request {req.id} was cancelled")
        if req.deadline_unix_ms and time.time() * 1000 > req.deadline_unix_ms:
            raise DeadlineExceeded(f"request {req.id} passed its deadline ({req.deadline_unix_ms} unix ms)")

    def emit(self, body: "Message", tensors: Sequence[tuple[str, torch.Tensor]] = ()) -> None:
        """Send an intermediate reply for this request (streamed kinds such as train)."""
        self._emit(self.request.id, Reply(body, tensors))


HandlerFn = Callable[[Context, Request], Reply]


@dataclass
class HandlerSpec:
    kind: str
    fn: HandlerFn
    capabilities: Capabilities = ()
    needs_model: bool = True
    module: str = ""

    def announced(self, loaded: "LoadedModel | None") -> list[str]:
        caps = self.capabilities(loaded) if callable(self.capabilities) else self.capabilities
        return [self.kind, *[c for c in caps if c != self.kind]]


HANDLERS: dict[str, HandlerSpec] = {}


def handler(kind: str, *, capabilities: Capabilities = (), needs_model: bool = True) -> Callable[[HandlerFn], HandlerFn]:
    """Register `fn` as the handler of ToWorker body `kind`. A second registration is a bug."""

    def register(fn: HandlerFn) -> HandlerFn:
        if kind in HANDLERS:
            raise RuntimeError(f"handler for {kind!r} registered twice ({HANDLERS[kind].module} and {fn.__module__})")
        HANDLERS[kind] = HandlerSpec(kind, fn, capabilities, needs_model, fn.__module__)
        return fn

    return register


def load_handlers(log: Any = None) -> dict[str, HandlerSpec]:
    """Import the built-in handler modules and the optional ones that exist.

    An optional module that exists but fails to import is logged and skipped, so a broken
    compress.py does not take Prefill/Generate down with it.
    """
    for name in BUILTIN_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    for name in OPTIONAL_MODULES:
        full = f"{__name__}.{name}"
        if importlib.util.find_spec(full) is None:
            continue
        try:
            importlib.import_module(full)
        except Exception as exc:  # noqa: BLE001 - reported, the worker serves the rest
            if log is not None:
                log.error(f"handler module {full} failed to import: {exc!r}", exc_info=True)
    return HANDLERS


def capabilities_for(loaded: "LoadedModel | None") -> list[str]:
    caps: list[str] = []
    for spec in HANDLERS.values():
        if spec.needs_model and loaded is None:
            continue
        for c in spec.announced(loaded):
            if c not in caps:
                caps.append(c)
    return caps
