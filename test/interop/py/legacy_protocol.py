"""The subnet's last release (neural-condense-subnet v0.0.3) synapses, declared as its
neural_condense_core/protocol.py declares them (fields and defaults; see spec neural-condense-subnet.md §2)."""
from typing import List

import bittensor as bt
from pydantic import BaseModel


class UtilData(BaseModel):
    compressed_kv_b64: str = ""
    compressed_length: int = 0
    download_time: float = 0.0
    bonus_compress_size: float = 0.0
    bonus_time: float = 0.0
    local_filename: str = ""


class TaskData(BaseModel):
    formatted_context: str = ""
    original_context: str = ""
    challenge_questions: List[str] = []
    challenge_answers: List[str] = []
    formatted_questions: List[str] = []
    negative_chunks: List[str] = []
    positive_chunks: List[str] = []


class Metadata(bt.Synapse):
    metadata: dict = {}


class TextCompressProtocol(bt.Synapse):
    context: str = ""
    target_model: str = ""
    tier: str = ""
    compressed_kv_url: str = ""
    compressed_context: str = ""
    util_data: UtilData = UtilData()
    task_data: TaskData = TaskData()
