from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProtocolVersion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROTOCOL_VERSION_UNSPECIFIED: _ClassVar[ProtocolVersion]
    PROTOCOL_VERSION_CURRENT: _ClassVar[ProtocolVersion]

class DType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DTYPE_UNSPECIFIED: _ClassVar[DType]
    DTYPE_F32: _ClassVar[DType]
    DTYPE_F16: _ClassVar[DType]
    DTYPE_BF16: _ClassVar[DType]
    DTYPE_I8: _ClassVar[DType]
    DTYPE_I32: _ClassVar[DType]
    DTYPE_I64: _ClassVar[DType]
    DTYPE_U8: _ClassVar[DType]

class ErrorCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_CODE_UNSPECIFIED: _ClassVar[ErrorCode]
    ERROR_CODE_MALFORMED: _ClassVar[ErrorCode]
    ERROR_CODE_UNSUPPORTED_VERSION: _ClassVar[ErrorCode]
    ERROR_CODE_UNKNOWN_MESSAGE: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_ARGUMENT: _ClassVar[ErrorCode]
    ERROR_CODE_UNSUPPORTED_MODEL: _ClassVar[ErrorCode]
    ERROR_CODE_UNSUPPORTED_ALGORITHM: _ClassVar[ErrorCode]
    ERROR_CODE_INVALID_CONTAINER: _ClassVar[ErrorCode]
    ERROR_CODE_DEADLINE_EXCEEDED: _ClassVar[ErrorCode]
    ERROR_CODE_CANCELLED: _ClassVar[ErrorCode]
    ERROR_CODE_OVERLOADED: _ClassVar[ErrorCode]
    ERROR_CODE_WORKER_DEAD: _ClassVar[ErrorCode]
    ERROR_CODE_OUT_OF_MEMORY: _ClassVar[ErrorCode]
    ERROR_CODE_NOT_FOUND: _ClassVar[ErrorCode]
    ERROR_CODE_INTERNAL: _ClassVar[ErrorCode]
    ERROR_CODE_NO_WORKER: _ClassVar[ErrorCode]

class AnswerCheck(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANSWER_CHECK_UNSPECIFIED: _ClassVar[AnswerCheck]
    ANSWER_CHECK_PROCEDURAL: _ClassVar[AnswerCheck]
    ANSWER_CHECK_EXACT: _ClassVar[AnswerCheck]
    ANSWER_CHECK_JUDGE: _ClassVar[AnswerCheck]
PROTOCOL_VERSION_UNSPECIFIED: ProtocolVersion
PROTOCOL_VERSION_CURRENT: ProtocolVersion
DTYPE_UNSPECIFIED: DType
DTYPE_F32: DType
DTYPE_F16: DType
DTYPE_BF16: DType
DTYPE_I8: DType
DTYPE_I32: DType
DTYPE_I64: DType
DTYPE_U8: DType
ERROR_CODE_UNSPECIFIED: ErrorCode
ERROR_CODE_MALFORMED: ErrorCode
ERROR_CODE_UNSUPPORTED_VERSION: ErrorCode
ERROR_CODE_UNKNOWN_MESSAGE: ErrorCode
ERROR_CODE_INVALID_ARGUMENT: ErrorCode
ERROR_CODE_UNSUPPORTED_MODEL: ErrorCode
ERROR_CODE_UNSUPPORTED_ALGORITHM: ErrorCode
ERROR_CODE_INVALID_CONTAINER: ErrorCode
ERROR_CODE_DEADLINE_EXCEEDED: ErrorCode
ERROR_CODE_CANCELLED: ErrorCode
ERROR_CODE_OVERLOADED: ErrorCode
ERROR_CODE_WORKER_DEAD: ErrorCode
ERROR_CODE_OUT_OF_MEMORY: ErrorCode
ERROR_CODE_NOT_FOUND: ErrorCode
ERROR_CODE_INTERNAL: ErrorCode
ERROR_CODE_NO_WORKER: ErrorCode
ANSWER_CHECK_UNSPECIFIED: AnswerCheck
ANSWER_CHECK_PROCEDURAL: AnswerCheck
ANSWER_CHECK_EXACT: AnswerCheck
ANSWER_CHECK_JUDGE: AnswerCheck

class Tensor(_message.Message):
    __slots__ = ("name", "dtype", "shape", "frame", "file")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    name: str
    dtype: DType
    shape: _containers.RepeatedScalarFieldContainer[int]
    frame: int
    file: FileRef
    def __init__(self, name: _Optional[str] = ..., dtype: _Optional[_Union[DType, str]] = ..., shape: _Optional[_Iterable[int]] = ..., frame: _Optional[int] = ..., file: _Optional[_Union[FileRef, _Mapping]] = ...) -> None: ...

class FileRef(_message.Message):
    __slots__ = ("path", "offset", "length", "keep")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    KEEP_FIELD_NUMBER: _ClassVar[int]
    path: str
    offset: int
    length: int
    keep: bool
    def __init__(self, path: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ..., keep: _Optional[bool] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("code", "message", "retryable", "request_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    code: ErrorCode
    message: str
    retryable: bool
    request_id: str
    def __init__(self, code: _Optional[_Union[ErrorCode, str]] = ..., message: _Optional[str] = ..., retryable: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class ToWorker(_message.Message):
    __slots__ = ("protocol_version", "request_id", "deadline_unix_ms", "tensors", "health", "tokenize", "prefill", "generate", "compress", "evaluate", "train", "shutdown", "cancel", "echo", "challenge")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    TENSORS_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    TOKENIZE_FIELD_NUMBER: _ClassVar[int]
    PREFILL_FIELD_NUMBER: _ClassVar[int]
    GENERATE_FIELD_NUMBER: _ClassVar[int]
    COMPRESS_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_FIELD_NUMBER: _ClassVar[int]
    TRAIN_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    ECHO_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    protocol_version: ProtocolVersion
    request_id: str
    deadline_unix_ms: int
    tensors: _containers.RepeatedCompositeFieldContainer[Tensor]
    health: HealthRequest
    tokenize: TokenizeRequest
    prefill: PrefillRequest
    generate: GenerateRequest
    compress: CompressRequest
    evaluate: EvaluateRequest
    train: TrainRequest
    shutdown: ShutdownRequest
    cancel: CancelRequest
    echo: EchoRequest
    challenge: ChallengeRequest
    def __init__(self, protocol_version: _Optional[_Union[ProtocolVersion, str]] = ..., request_id: _Optional[str] = ..., deadline_unix_ms: _Optional[int] = ..., tensors: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., health: _Optional[_Union[HealthRequest, _Mapping]] = ..., tokenize: _Optional[_Union[TokenizeRequest, _Mapping]] = ..., prefill: _Optional[_Union[PrefillRequest, _Mapping]] = ..., generate: _Optional[_Union[GenerateRequest, _Mapping]] = ..., compress: _Optional[_Union[CompressRequest, _Mapping]] = ..., evaluate: _Optional[_Union[EvaluateRequest, _Mapping]] = ..., train: _Optional[_Union[TrainRequest, _Mapping]] = ..., shutdown: _Optional[_Union[ShutdownRequest, _Mapping]] = ..., cancel: _Optional[_Union[CancelRequest, _Mapping]] = ..., echo: _Optional[_Union[EchoRequest, _Mapping]] = ..., challenge: _Optional[_Union[ChallengeRequest, _Mapping]] = ...) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ("deep",)
    DEEP_FIELD_NUMBER: _ClassVar[int]
    deep: bool
    def __init__(self, deep: _Optional[bool] = ...) -> None: ...

class TokenizeRequest(_message.Message):
    __slots__ = ("text", "add_special_tokens")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ADD_SPECIAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    text: str
    add_special_tokens: bool
    def __init__(self, text: _Optional[str] = ..., add_special_tokens: _Optional[bool] = ...) -> None: ...

class PrefillRequest(_message.Message):
    __slots__ = ("context", "input_ids", "add_special_tokens", "dtype")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    INPUT_IDS_FIELD_NUMBER: _ClassVar[int]
    ADD_SPECIAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    context: str
    input_ids: _containers.RepeatedScalarFieldContainer[int]
    add_special_tokens: bool
    dtype: DType
    def __init__(self, context: _Optional[str] = ..., input_ids: _Optional[_Iterable[int]] = ..., add_special_tokens: _Optional[bool] = ..., dtype: _Optional[_Union[DType, str]] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("question", "question_ids", "original_length", "max_new_tokens", "add_special_tokens")
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    QUESTION_IDS_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_LENGTH_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    ADD_SPECIAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    question: str
    question_ids: _containers.RepeatedScalarFieldContainer[int]
    original_length: int
    max_new_tokens: int
    add_special_tokens: bool
    def __init__(self, question: _Optional[str] = ..., question_ids: _Optional[_Iterable[int]] = ..., original_length: _Optional[int] = ..., max_new_tokens: _Optional[int] = ..., add_special_tokens: _Optional[bool] = ...) -> None: ...

class CompressParams(_message.Message):
    __slots__ = ("ratio", "target_tokens", "min_tokens", "max_tokens", "sink_tokens", "checkpoint", "num_soft_tokens", "seed")
    RATIO_FIELD_NUMBER: _ClassVar[int]
    TARGET_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MIN_TOKENS_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SINK_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    NUM_SOFT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    ratio: float
    target_tokens: int
    min_tokens: int
    max_tokens: int
    sink_tokens: int
    checkpoint: str
    num_soft_tokens: int
    seed: int
    def __init__(self, ratio: _Optional[float] = ..., target_tokens: _Optional[int] = ..., min_tokens: _Optional[int] = ..., max_tokens: _Optional[int] = ..., sink_tokens: _Optional[int] = ..., checkpoint: _Optional[str] = ..., num_soft_tokens: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class CompressRequest(_message.Message):
    __slots__ = ("context", "target_model", "algorithm", "params", "dtype", "output_path", "return_soft_embeddings", "miner_hotkey", "add_special_tokens", "legacy_npy_path")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PATH_FIELD_NUMBER: _ClassVar[int]
    RETURN_SOFT_EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    MINER_HOTKEY_FIELD_NUMBER: _ClassVar[int]
    ADD_SPECIAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LEGACY_NPY_PATH_FIELD_NUMBER: _ClassVar[int]
    context: str
    target_model: str
    algorithm: str
    params: CompressParams
    dtype: DType
    output_path: str
    return_soft_embeddings: bool
    miner_hotkey: str
    add_special_tokens: bool
    legacy_npy_path: str
    def __init__(self, context: _Optional[str] = ..., target_model: _Optional[str] = ..., algorithm: _Optional[str] = ..., params: _Optional[_Union[CompressParams, _Mapping]] = ..., dtype: _Optional[_Union[DType, str]] = ..., output_path: _Optional[str] = ..., return_soft_embeddings: _Optional[bool] = ..., miner_hotkey: _Optional[str] = ..., add_special_tokens: _Optional[bool] = ..., legacy_npy_path: _Optional[str] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("container_path", "questions", "max_new_tokens", "existence_chunks", "target_model", "batch", "expected", "answer_check", "existence_labels", "items", "max_batch_rows")
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    ANSWER_CHECK_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_LABELS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_ROWS_FIELD_NUMBER: _ClassVar[int]
    container_path: str
    questions: _containers.RepeatedScalarFieldContainer[str]
    max_new_tokens: int
    existence_chunks: _containers.RepeatedScalarFieldContainer[str]
    target_model: str
    batch: bool
    expected: _containers.RepeatedCompositeFieldContainer[ExpectedAnswer]
    answer_check: AnswerCheck
    existence_labels: _containers.RepeatedScalarFieldContainer[bool]
    items: _containers.RepeatedCompositeFieldContainer[EvaluateItem]
    max_batch_rows: int
    def __init__(self, container_path: _Optional[str] = ..., questions: _Optional[_Iterable[str]] = ..., max_new_tokens: _Optional[int] = ..., existence_chunks: _Optional[_Iterable[str]] = ..., target_model: _Optional[str] = ..., batch: _Optional[bool] = ..., expected: _Optional[_Iterable[_Union[ExpectedAnswer, _Mapping]]] = ..., answer_check: _Optional[_Union[AnswerCheck, str]] = ..., existence_labels: _Optional[_Iterable[bool]] = ..., items: _Optional[_Iterable[_Union[EvaluateItem, _Mapping]]] = ..., max_batch_rows: _Optional[int] = ...) -> None: ...

class ExpectedAnswer(_message.Message):
    __slots__ = ("answers",)
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, answers: _Optional[_Iterable[str]] = ...) -> None: ...

class EvaluateItem(_message.Message):
    __slots__ = ("id", "container_path", "container_tensor", "questions", "expected", "existence_chunks", "existence_labels")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PATH_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_TENSOR_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_LABELS_FIELD_NUMBER: _ClassVar[int]
    id: str
    container_path: str
    container_tensor: str
    questions: _containers.RepeatedScalarFieldContainer[str]
    expected: _containers.RepeatedCompositeFieldContainer[ExpectedAnswer]
    existence_chunks: _containers.RepeatedScalarFieldContainer[str]
    existence_labels: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, id: _Optional[str] = ..., container_path: _Optional[str] = ..., container_tensor: _Optional[str] = ..., questions: _Optional[_Iterable[str]] = ..., expected: _Optional[_Iterable[_Union[ExpectedAnswer, _Mapping]]] = ..., existence_chunks: _Optional[_Iterable[str]] = ..., existence_labels: _Optional[_Iterable[bool]] = ...) -> None: ...

class TrainRequest(_message.Message):
    __slots__ = ("condenser_model", "decoder_model", "num_condense_tokens", "last_k_layers", "lora_rank", "lr", "lr_projection", "max_steps", "batch_size", "context_tokens", "objective", "data_path", "output_dir", "resume_from", "val_every", "seed", "gradient_checkpointing")
    CONDENSER_MODEL_FIELD_NUMBER: _ClassVar[int]
    DECODER_MODEL_FIELD_NUMBER: _ClassVar[int]
    NUM_CONDENSE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LAST_K_LAYERS_FIELD_NUMBER: _ClassVar[int]
    LORA_RANK_FIELD_NUMBER: _ClassVar[int]
    LR_FIELD_NUMBER: _ClassVar[int]
    LR_PROJECTION_FIELD_NUMBER: _ClassVar[int]
    MAX_STEPS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    DATA_PATH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    RESUME_FROM_FIELD_NUMBER: _ClassVar[int]
    VAL_EVERY_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    GRADIENT_CHECKPOINTING_FIELD_NUMBER: _ClassVar[int]
    condenser_model: str
    decoder_model: str
    num_condense_tokens: int
    last_k_layers: int
    lora_rank: int
    lr: float
    lr_projection: float
    max_steps: int
    batch_size: int
    context_tokens: int
    objective: str
    data_path: str
    output_dir: str
    resume_from: str
    val_every: int
    seed: int
    gradient_checkpointing: bool
    def __init__(self, condenser_model: _Optional[str] = ..., decoder_model: _Optional[str] = ..., num_condense_tokens: _Optional[int] = ..., last_k_layers: _Optional[int] = ..., lora_rank: _Optional[int] = ..., lr: _Optional[float] = ..., lr_projection: _Optional[float] = ..., max_steps: _Optional[int] = ..., batch_size: _Optional[int] = ..., context_tokens: _Optional[int] = ..., objective: _Optional[str] = ..., data_path: _Optional[str] = ..., output_dir: _Optional[str] = ..., resume_from: _Optional[str] = ..., val_every: _Optional[int] = ..., seed: _Optional[int] = ..., gradient_checkpointing: _Optional[bool] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class EchoRequest(_message.Message):
    __slots__ = ("reply_as_file", "file_dir")
    REPLY_AS_FILE_FIELD_NUMBER: _ClassVar[int]
    FILE_DIR_FIELD_NUMBER: _ClassVar[int]
    reply_as_file: bool
    file_dir: str
    def __init__(self, reply_as_file: _Optional[bool] = ..., file_dir: _Optional[str] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("target_request_id",)
    TARGET_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    target_request_id: str
    def __init__(self, target_request_id: _Optional[str] = ...) -> None: ...

class ChallengeRequest(_message.Message):
    __slots__ = ("seed", "min_chars", "max_chars", "kinds", "num_questions", "target_model", "salt", "num_positive_chunks", "num_negative_chunks", "corpus_dir", "generator", "passage")
    SEED_FIELD_NUMBER: _ClassVar[int]
    MIN_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_CHARS_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    NUM_QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    SALT_FIELD_NUMBER: _ClassVar[int]
    NUM_POSITIVE_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    NUM_NEGATIVE_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    CORPUS_DIR_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    PASSAGE_FIELD_NUMBER: _ClassVar[int]
    seed: int
    min_chars: int
    max_chars: int
    kinds: _containers.RepeatedScalarFieldContainer[str]
    num_questions: int
    target_model: str
    salt: str
    num_positive_chunks: int
    num_negative_chunks: int
    corpus_dir: str
    generator: str
    passage: str
    def __init__(self, seed: _Optional[int] = ..., min_chars: _Optional[int] = ..., max_chars: _Optional[int] = ..., kinds: _Optional[_Iterable[str]] = ..., num_questions: _Optional[int] = ..., target_model: _Optional[str] = ..., salt: _Optional[str] = ..., num_positive_chunks: _Optional[int] = ..., num_negative_chunks: _Optional[int] = ..., corpus_dir: _Optional[str] = ..., generator: _Optional[str] = ..., passage: _Optional[str] = ...) -> None: ...

class FromWorker(_message.Message):
    __slots__ = ("protocol_version", "request_id", "tensors", "hello", "heartbeat", "dead", "error", "health", "tokenize", "prefill", "generate", "compress", "evaluate", "train_progress", "shutdown", "echo", "challenge")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TENSORS_FIELD_NUMBER: _ClassVar[int]
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    TOKENIZE_FIELD_NUMBER: _ClassVar[int]
    PREFILL_FIELD_NUMBER: _ClassVar[int]
    GENERATE_FIELD_NUMBER: _ClassVar[int]
    COMPRESS_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_FIELD_NUMBER: _ClassVar[int]
    TRAIN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    ECHO_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    protocol_version: ProtocolVersion
    request_id: str
    tensors: _containers.RepeatedCompositeFieldContainer[Tensor]
    hello: Hello
    heartbeat: Heartbeat
    dead: WorkerDead
    error: Error
    health: HealthReply
    tokenize: TokenizeReply
    prefill: PrefillReply
    generate: GenerateReply
    compress: CompressReply
    evaluate: EvaluateReply
    train_progress: TrainProgress
    shutdown: ShutdownReply
    echo: EchoReply
    challenge: ChallengeReply
    def __init__(self, protocol_version: _Optional[_Union[ProtocolVersion, str]] = ..., request_id: _Optional[str] = ..., tensors: _Optional[_Iterable[_Union[Tensor, _Mapping]]] = ..., hello: _Optional[_Union[Hello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., dead: _Optional[_Union[WorkerDead, _Mapping]] = ..., error: _Optional[_Union[Error, _Mapping]] = ..., health: _Optional[_Union[HealthReply, _Mapping]] = ..., tokenize: _Optional[_Union[TokenizeReply, _Mapping]] = ..., prefill: _Optional[_Union[PrefillReply, _Mapping]] = ..., generate: _Optional[_Union[GenerateReply, _Mapping]] = ..., compress: _Optional[_Union[CompressReply, _Mapping]] = ..., evaluate: _Optional[_Union[EvaluateReply, _Mapping]] = ..., train_progress: _Optional[_Union[TrainProgress, _Mapping]] = ..., shutdown: _Optional[_Union[ShutdownReply, _Mapping]] = ..., echo: _Optional[_Union[EchoReply, _Mapping]] = ..., challenge: _Optional[_Union[ChallengeReply, _Mapping]] = ...) -> None: ...

class ModelShape(_message.Message):
    __slots__ = ("num_layers", "num_kv_heads", "head_dim", "hidden_size", "num_attention_heads", "vocab_size", "max_position_embeddings")
    NUM_LAYERS_FIELD_NUMBER: _ClassVar[int]
    NUM_KV_HEADS_FIELD_NUMBER: _ClassVar[int]
    HEAD_DIM_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_SIZE_FIELD_NUMBER: _ClassVar[int]
    NUM_ATTENTION_HEADS_FIELD_NUMBER: _ClassVar[int]
    VOCAB_SIZE_FIELD_NUMBER: _ClassVar[int]
    MAX_POSITION_EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    num_layers: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    num_attention_heads: int
    vocab_size: int
    max_position_embeddings: int
    def __init__(self, num_layers: _Optional[int] = ..., num_kv_heads: _Optional[int] = ..., head_dim: _Optional[int] = ..., hidden_size: _Optional[int] = ..., num_attention_heads: _Optional[int] = ..., vocab_size: _Optional[int] = ..., max_position_embeddings: _Optional[int] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("protocol_version", "worker_id", "model", "model_id", "device", "dtype", "shape", "capabilities", "max_inflight", "pid", "heartbeat_ms", "pool_key")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    MAX_INFLIGHT_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_MS_FIELD_NUMBER: _ClassVar[int]
    POOL_KEY_FIELD_NUMBER: _ClassVar[int]
    protocol_version: ProtocolVersion
    worker_id: str
    model: str
    model_id: str
    device: str
    dtype: DType
    shape: ModelShape
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    max_inflight: int
    pid: int
    heartbeat_ms: int
    pool_key: str
    def __init__(self, protocol_version: _Optional[_Union[ProtocolVersion, str]] = ..., worker_id: _Optional[str] = ..., model: _Optional[str] = ..., model_id: _Optional[str] = ..., device: _Optional[str] = ..., dtype: _Optional[_Union[DType, str]] = ..., shape: _Optional[_Union[ModelShape, _Mapping]] = ..., capabilities: _Optional[_Iterable[str]] = ..., max_inflight: _Optional[int] = ..., pid: _Optional[int] = ..., heartbeat_ms: _Optional[int] = ..., pool_key: _Optional[str] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("unix_ms", "inflight", "busy_request_id")
    UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    INFLIGHT_FIELD_NUMBER: _ClassVar[int]
    BUSY_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    unix_ms: int
    inflight: int
    busy_request_id: str
    def __init__(self, unix_ms: _Optional[int] = ..., inflight: _Optional[int] = ..., busy_request_id: _Optional[str] = ...) -> None: ...

class WorkerDead(_message.Message):
    __slots__ = ("cause", "traceback")
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    cause: str
    traceback: str
    def __init__(self, cause: _Optional[str] = ..., traceback: _Optional[str] = ...) -> None: ...

class HealthReply(_message.Message):
    __slots__ = ("ok", "status", "uptime_s", "inflight", "probe_ms")
    OK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPTIME_S_FIELD_NUMBER: _ClassVar[int]
    INFLIGHT_FIELD_NUMBER: _ClassVar[int]
    PROBE_MS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    status: str
    uptime_s: float
    inflight: int
    probe_ms: float
    def __init__(self, ok: _Optional[bool] = ..., status: _Optional[str] = ..., uptime_s: _Optional[float] = ..., inflight: _Optional[int] = ..., probe_ms: _Optional[float] = ...) -> None: ...

class TokenizeReply(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, ids: _Optional[_Iterable[int]] = ...) -> None: ...

class PrefillReply(_message.Message):
    __slots__ = ("num_tokens", "num_layers")
    NUM_TOKENS_FIELD_NUMBER: _ClassVar[int]
    NUM_LAYERS_FIELD_NUMBER: _ClassVar[int]
    num_tokens: int
    num_layers: int
    def __init__(self, num_tokens: _Optional[int] = ..., num_layers: _Optional[int] = ...) -> None: ...

class GenerateReply(_message.Message):
    __slots__ = ("text", "token_ids")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_IDS_FIELD_NUMBER: _ClassVar[int]
    text: str
    token_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, text: _Optional[str] = ..., token_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class ContainerInfo(_message.Message):
    __slots__ = ("original_tokens", "kept_tokens", "num_layers", "bytes", "sha256_context", "algorithm", "dtype", "format")
    ORIGINAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    KEPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    NUM_LAYERS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    SHA256_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    original_tokens: int
    kept_tokens: int
    num_layers: int
    bytes: int
    sha256_context: str
    algorithm: str
    dtype: DType
    format: str
    def __init__(self, original_tokens: _Optional[int] = ..., kept_tokens: _Optional[int] = ..., num_layers: _Optional[int] = ..., bytes: _Optional[int] = ..., sha256_context: _Optional[str] = ..., algorithm: _Optional[str] = ..., dtype: _Optional[_Union[DType, str]] = ..., format: _Optional[str] = ...) -> None: ...

class CompressReply(_message.Message):
    __slots__ = ("info", "path", "compute_ms", "serialize_ms", "legacy_npy_bytes")
    INFO_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_MS_FIELD_NUMBER: _ClassVar[int]
    SERIALIZE_MS_FIELD_NUMBER: _ClassVar[int]
    LEGACY_NPY_BYTES_FIELD_NUMBER: _ClassVar[int]
    info: ContainerInfo
    path: str
    compute_ms: float
    serialize_ms: float
    legacy_npy_bytes: int
    def __init__(self, info: _Optional[_Union[ContainerInfo, _Mapping]] = ..., path: _Optional[str] = ..., compute_ms: _Optional[float] = ..., serialize_ms: _Optional[float] = ..., legacy_npy_bytes: _Optional[int] = ...) -> None: ...

class EvaluateReply(_message.Message):
    __slots__ = ("answers", "existence", "compute_ms", "existence_replies", "correct", "existence_correct", "items")
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_MS_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_REPLIES_FIELD_NUMBER: _ClassVar[int]
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_CORRECT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedScalarFieldContainer[str]
    existence: _containers.RepeatedScalarFieldContainer[bool]
    compute_ms: float
    existence_replies: _containers.RepeatedScalarFieldContainer[str]
    correct: _containers.RepeatedScalarFieldContainer[bool]
    existence_correct: _containers.RepeatedScalarFieldContainer[bool]
    items: _containers.RepeatedCompositeFieldContainer[EvaluateItemResult]
    def __init__(self, answers: _Optional[_Iterable[str]] = ..., existence: _Optional[_Iterable[bool]] = ..., compute_ms: _Optional[float] = ..., existence_replies: _Optional[_Iterable[str]] = ..., correct: _Optional[_Iterable[bool]] = ..., existence_correct: _Optional[_Iterable[bool]] = ..., items: _Optional[_Iterable[_Union[EvaluateItemResult, _Mapping]]] = ...) -> None: ...

class EvaluateItemResult(_message.Message):
    __slots__ = ("id", "error", "answers", "correct", "existence", "existence_replies", "existence_correct", "kept_tokens", "next_position")
    ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_REPLIES_FIELD_NUMBER: _ClassVar[int]
    EXISTENCE_CORRECT_FIELD_NUMBER: _ClassVar[int]
    KEPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    NEXT_POSITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    error: Error
    answers: _containers.RepeatedScalarFieldContainer[str]
    correct: _containers.RepeatedScalarFieldContainer[bool]
    existence: _containers.RepeatedScalarFieldContainer[bool]
    existence_replies: _containers.RepeatedScalarFieldContainer[str]
    existence_correct: _containers.RepeatedScalarFieldContainer[bool]
    kept_tokens: int
    next_position: int
    def __init__(self, id: _Optional[str] = ..., error: _Optional[_Union[Error, _Mapping]] = ..., answers: _Optional[_Iterable[str]] = ..., correct: _Optional[_Iterable[bool]] = ..., existence: _Optional[_Iterable[bool]] = ..., existence_replies: _Optional[_Iterable[str]] = ..., existence_correct: _Optional[_Iterable[bool]] = ..., kept_tokens: _Optional[int] = ..., next_position: _Optional[int] = ...) -> None: ...

class TrainProgress(_message.Message):
    __slots__ = ("step", "max_steps", "loss", "val_loss", "tokens_per_s", "eta_s", "checkpoint", "final", "val_accuracy", "lr")
    STEP_FIELD_NUMBER: _ClassVar[int]
    MAX_STEPS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    VAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_S_FIELD_NUMBER: _ClassVar[int]
    ETA_S_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    VAL_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    LR_FIELD_NUMBER: _ClassVar[int]
    step: int
    max_steps: int
    loss: float
    val_loss: float
    tokens_per_s: float
    eta_s: float
    checkpoint: str
    final: bool
    val_accuracy: float
    lr: float
    def __init__(self, step: _Optional[int] = ..., max_steps: _Optional[int] = ..., loss: _Optional[float] = ..., val_loss: _Optional[float] = ..., tokens_per_s: _Optional[float] = ..., eta_s: _Optional[float] = ..., checkpoint: _Optional[str] = ..., final: _Optional[bool] = ..., val_accuracy: _Optional[float] = ..., lr: _Optional[float] = ...) -> None: ...

class ShutdownReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChallengeQuestion(_message.Message):
    __slots__ = ("kind", "question", "formatted_question", "answers")
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    FORMATTED_QUESTION_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    question: str
    formatted_question: str
    answers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kind: _Optional[str] = ..., question: _Optional[str] = ..., formatted_question: _Optional[str] = ..., answers: _Optional[_Iterable[str]] = ...) -> None: ...

class ExistenceChunk(_message.Message):
    __slots__ = ("text", "in_context")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    IN_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    in_context: bool
    def __init__(self, text: _Optional[str] = ..., in_context: _Optional[bool] = ...) -> None: ...

class ChallengeReply(_message.Message):
    __slots__ = ("context", "formatted_context", "questions", "chunks", "context_chars", "drawn_chars", "target_model", "generator")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    FORMATTED_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_CHARS_FIELD_NUMBER: _ClassVar[int]
    DRAWN_CHARS_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODEL_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    context: str
    formatted_context: str
    questions: _containers.RepeatedCompositeFieldContainer[ChallengeQuestion]
    chunks: _containers.RepeatedCompositeFieldContainer[ExistenceChunk]
    context_chars: int
    drawn_chars: int
    target_model: str
    generator: str
    def __init__(self, context: _Optional[str] = ..., formatted_context: _Optional[str] = ..., questions: _Optional[_Iterable[_Union[ChallengeQuestion, _Mapping]]] = ..., chunks: _Optional[_Iterable[_Union[ExistenceChunk, _Mapping]]] = ..., context_chars: _Optional[int] = ..., drawn_chars: _Optional[int] = ..., target_model: _Optional[str] = ..., generator: _Optional[str] = ...) -> None: ...

class EchoReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
