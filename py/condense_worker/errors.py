"""Typed worker errors. Each maps to one `ErrorCode` of the protocol; raise them from handlers.

The runtime turns any `WorkerError` into an `Error{code, message, retryable, request_id}` reply.
Any other exception escaping a handler becomes `INTERNAL` (or `OUT_OF_MEMORY` for torch OOM);
the worker itself keeps running.
"""

from __future__ import annotations

from .gen.condense.v1 import worker_pb2 as pb


class WorkerError(Exception):
    """Base of every error the worker reports to the orchestrator as a typed `Error` reply."""

    code: int = pb.ERROR_CODE_INTERNAL
    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable

    def to_proto(self, request_id: str = "") -> pb.Error:
        return pb.Error(code=self.code, message=self.message, retryable=self.retryable, request_id=request_id)


class Malformed(WorkerError):
    """Header or frames do not decode, or frames do not match their description."""

    code = pb.ERROR_CODE_MALFORMED


class UnsupportedVersion(WorkerError):
    code = pb.ERROR_CODE_UNSUPPORTED_VERSION


class UnknownMessage(WorkerError):
    """No body set, or a body this worker has no handler for."""

    code = pb.ERROR_CODE_UNKNOWN_MESSAGE


class InvalidArgument(WorkerError):
    code = pb.ERROR_CODE_INVALID_ARGUMENT


class UnsupportedModel(WorkerError):
    code = pb.ERROR_CODE_UNSUPPORTED_MODEL


class UnsupportedAlgorithm(WorkerError):
    code = pb.ERROR_CODE_UNSUPPORTED_ALGORITHM


class InvalidContainer(WorkerError):
    code = pb.ERROR_CODE_INVALID_CONTAINER


class DeadlineExceeded(WorkerError):
    code = pb.ERROR_CODE_DEADLINE_EXCEEDED


class Cancelled(WorkerError):
    code = pb.ERROR_CODE_CANCELLED


class Overloaded(WorkerError):
    code = pb.ERROR_CODE_OVERLOADED
    retryable = True


class OutOfMemory(WorkerError):
    code = pb.ERROR_CODE_OUT_OF_MEMORY
    retryable = True


class NotFound(WorkerError):
    code = pb.ERROR_CODE_NOT_FOUND


class Internal(WorkerError):
    code = pb.ERROR_CODE_INTERNAL


class ModelLoadError(Exception):
    """The model named by --model cannot be loaded; fatal at start-up (reported as WorkerDead)."""
