"""Echo: the request's tensors back unchanged, as frames or (reply_as_file) as FileRefs in
`file_dir`. Exists for transport tests and the ipc benchmark; touches no model."""

from __future__ import annotations

from ..errors import InvalidArgument
from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler


@handler("echo", needs_model=False)
def echo(ctx: Context, req: Request) -> Reply:
    body: pb.EchoRequest = req.body
    if body.reply_as_file and not body.file_dir:
        raise InvalidArgument("echo: reply_as_file needs file_dir")
    return Reply(pb.EchoReply(), tensors=list(req.tensors.items()), files_dir=body.file_dir if body.reply_as_file else None)
