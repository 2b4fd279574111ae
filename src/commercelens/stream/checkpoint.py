"""Checkpoints: processor state, source position and sink positions, replaced atomically.

Written after the sinks have made their output durable; a crash at any moment leaves either the
previous checkpoint or the new one, never half of one. Pickle: the file is the processor's own
state in its own directory, read back only by the same installation.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from commercelens.stream.processor import ProcessorState

FILE_NAME = "checkpoint.pkl"
VERSION = 1


@dataclass
class Checkpoint:
    state: ProcessorState
    source_position: object
    sink_positions: dict[str, object]
    finished: bool = False
    version: int = VERSION


def load(directory: Path) -> Checkpoint | None:
    path = directory / FILE_NAME
    if not path.exists():
        return None
    with path.open("rb") as f:
        checkpoint = pickle.load(f)
    if getattr(checkpoint, "version", None) != VERSION:
        return None
    return checkpoint


def save(directory: Path, checkpoint: Checkpoint) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{FILE_NAME}.tmp"
    with tmp.open("wb") as f:
        pickle.dump(checkpoint, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / FILE_NAME)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a power cut
    finally:
        os.close(fd)
