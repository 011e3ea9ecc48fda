"""Procedural long-context tasks with exact answers (the validator's synthetic challenges reuse this).

Public API:
    generate_task(kind, seed, length, *, unit="tokens"|"chars", tokenizer=None) -> Task
    generate_suite(n, length, *, unit, tokenizer, kinds=KINDS, first_seed=0) -> list[Task]
    check_answer(task, reply) -> bool
    existence_chunks(task, n_positive=2, n_negative=2) -> list[(chunk, in_context)]
    Task.formatted(chat_format(tokenizer)) -> (formatted_context, formatted_question)
    KINDS = needle_single, needle_multikey, kv_retrieval, variable_tracking, counting
Same (kind, seed, length, unit, tokenizer) -> the same task, on any machine.
"""
from .chat import MISTRAL_SUBNET, ChatFormat, chat_format
from .checker import check_answer, existence_chunks
from .generator import Task, TaskError, generate_suite, generate_task
from .kinds import KINDS

__all__ = ["KINDS", "MISTRAL_SUBNET", "ChatFormat", "Task", "TaskError", "chat_format", "check_answer",
           "existence_chunks", "generate_suite", "generate_task"]
